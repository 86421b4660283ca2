"""Loaders: store parsed reports and imported incident files in PostGIS, idempotently."""
