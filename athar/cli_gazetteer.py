"""``athar gazetteer ...``: build, load and query the bundled gazetteer."""

from __future__ import annotations

import click


@click.group("gazetteer")
def gazetteer_group() -> None:
    """Resolve Syrian place names to coordinates and admin units."""


def register(main: click.Group) -> None:
    main.add_command(gazetteer_group)
