"""State machine definitions (ASL JSON, wired in template.yaml) and the builders of those that
are generated rather than written by hand."""
