"""Kommo role sync on Step Functions (role_sync.asl.json): ``api`` starts, watches and stops
runs; ``tasks`` are the workflow's states; ``history`` closes a run with its sync logs."""
