"""``athar etl ...``: parse reports, import structured incidents, load them into PostGIS."""

from __future__ import annotations

import click


@click.group("etl")
def etl_group() -> None:
    """Turn reports and incident files into geocoded incidents."""


def register(main: click.Group) -> None:
    main.add_command(etl_group)
