"""Domain logic. Services take plain data and callables; they never see AWS types."""
