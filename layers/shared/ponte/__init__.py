"""Ponte's shared code, deployed as one Lambda layer.

Layering: handlers (functions/) -> services (no AWS types) -> repository (the only module
that knows DynamoDB key formats) and vendor clients (the only modules that know vendor URLs).
"""
