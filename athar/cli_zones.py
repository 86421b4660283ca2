"""``athar zones ...``, ``athar hazards ...``, ``athar dev synth``: control zones and landmines."""

from __future__ import annotations

import click


@click.group("zones")
def zones_group() -> None:
    """Control zones through time: import, load bundled defaults, query."""


@click.group("hazards")
def hazards_group() -> None:
    """Landmine and war-remnant hazard areas."""


@click.group("dev")
def dev_group() -> None:
    """Developer tools: synthetic data for tests and benchmarks."""


def register(main: click.Group) -> None:
    main.add_command(zones_group)
    main.add_command(hazards_group)
    main.add_command(dev_group)
