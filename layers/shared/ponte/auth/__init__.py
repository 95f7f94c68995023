"""Principals (API clients and JWT users), how they are authenticated and rate limited."""
