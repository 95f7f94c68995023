"""Domain types shared by services and the repository (no AWS types)."""
