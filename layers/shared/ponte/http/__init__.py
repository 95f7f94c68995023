"""HTTP rendering shared by every function: envelopes, resolvers, auth middleware."""
