"""The hierarchy API (seed 002) over the ERP's academic records: institutions → units →
turmas → horários → people with a role."""
