"""athar: geospatial incident database and tile API for documenting civilian harm in Syria.

This package holds only the command line, the one place allowed to wire ``db``,
``gazetteer``, ``etl`` and ``api`` together.
"""

__version__ = "0.1.0"
