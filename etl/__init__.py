"""athar ETL: turn published reports and structured incident files into interchange records.

``etl.report`` parses prose reports; ``etl.importers`` reads CSV, GeoJSON and ACLED exports.
Nothing here touches the database, so the same code runs in CI, on a laptop, or in ingest.
"""
