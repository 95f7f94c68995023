"""Per platform, its streams: how to page, what the cursor is, how a record is keyed and
timestamped. A new vendor is a client in ``ponte.vendors`` and a module here."""
