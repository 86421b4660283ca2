"""The ``athar`` command: builds settings once and hands them to each command group."""

from __future__ import annotations

import click

from athar import __version__
from athar.cli_audit import register as register_audit
from athar.cli_backup import register as register_backup
from athar.cli_db import register as register_db
from athar.cli_etl import etl_group
from athar.cli_etl import register as register_etl
from athar.cli_export import export_group
from athar.cli_export import register as register_export
from athar.cli_export_data import register as register_export_data
from athar.cli_export_tiles import register as register_export_tiles
from athar.cli_gazetteer import gazetteer_group
from athar.cli_gazetteer import register as register_gazetteer
from athar.cli_gazetteer_edit import register as register_gazetteer_edit
from athar.cli_ingest import register as register_ingest
from athar.cli_keys import register as register_keys
from athar.cli_load import register as register_load
from athar.cli_zones import register as register_zones
from db.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="athar")
@click.pass_context
def main(ctx: click.Context) -> None:
    """athar: incidents, places, control zones and tiles for documenting civilian harm in Syria."""
    ctx.obj = Settings()


register_db(main)
register_gazetteer(main)
register_gazetteer_edit(gazetteer_group)
register_etl(main)
register_ingest(etl_group)
register_load(main)
register_keys(main)
register_audit(main)
register_backup(main)
register_zones(main)
register_export(main)
register_export_tiles(export_group)
register_export_data(export_group)
