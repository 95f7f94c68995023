"""Ordered full sync: the ERP's whole bundle applied entity by entity by a Step Functions
workflow (``api`` serves the HTTP routes, ``tasks`` the workflow's states)."""
