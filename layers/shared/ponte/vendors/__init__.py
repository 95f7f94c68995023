"""Clients of the vendors' APIs: each owns its vendor's URLs, limits and retries."""
