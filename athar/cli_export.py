"""``athar export ...``: write layers and query results to files (PMTiles, GeoJSON, CSV, ...).

The group lives here; the tile archive and the data exports register their own commands.
"""

from __future__ import annotations

import click


@click.group("export")
def export_group() -> None:
    """Write layers and query results to files for static hosting, GIS and field use."""


def register(main: click.Group) -> None:
    main.add_command(export_group)
