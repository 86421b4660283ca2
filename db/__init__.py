"""Database layer: schema, engines and sessions, the embedded cluster, shared spatial queries.

Everything else in athar builds on this package; it imports none of them.
"""
