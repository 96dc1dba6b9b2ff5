"""restore: put an automatic backup of the project back in place."""
from __future__ import annotations

from pathlib import Path

import click

from qualcode.cli.app import CONTEXT_SETTINGS
from qualcode.cli.options import project_path_option


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("backup", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--list", "list_only", is_flag=True, help="Only list the automatic backups, newest last.")
@project_path_option()
def restore(backup: Path | None, list_only: bool, project_path: str) -> None:
    """Restore the project from an automatic backup (default: the newest one).

    qualcode keeps a backup in .qualcode-backups/ next to the project before every
    command that changes decisions (the newest 5). The file it replaces is kept beside
    it as PROJECT.damaged-TIMESTAMP, so a restore loses nothing either.

    \b
    Examples:
      qualcode restore --list
      qualcode restore
      qualcode restore .qualcode-backups/project.20260101-120000.qualcode
    """
    from qualcode.store.connection import backups, restore_backup

    path = Path(project_path)
    if list_only:
        found = backups(path)
        if not found:
            click.echo(f"No automatic backups of {path} yet.")
        for item in found:
            click.echo(str(item))
        return
    restored, kept = restore_backup(path, backup)
    click.echo(f"Restored {path} from {restored}." + (f" The file it replaced is kept as {kept}." if kept else ""))


COMMANDS = (restore,)
