"""``athar db ...``, ``athar migrate``, ``athar serve``: the database and the server."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    pass
