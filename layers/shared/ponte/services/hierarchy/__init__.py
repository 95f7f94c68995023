"""The hierarchy API over the ERP's academic records: institutions → units →
turmas → horários → people with a role."""
