"""People across systems: pulled records linked to the ERP's students, guardians and
professors (``linking``), kept when either side changes (``relinking``), and read back
(``views``)."""
