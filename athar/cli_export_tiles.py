"""Export commands registered into ``athar export`` (issue 6)."""

from __future__ import annotations

import click


def register(export_group: click.Group) -> None:
    pass
