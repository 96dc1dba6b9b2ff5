"""The `qualcode` group: where a QualcodeError becomes one `Error: ...` line, and nowhere else."""
from __future__ import annotations

import errno
import sys
from typing import Any

import click

from qualcode.errors import QualcodeError

# Faults of the machine, not of qualcode: one line, like every other error (a bug still shows its traceback).
_FILE_SYSTEM_FAULTS = {
    errno.EACCES: "no permission to write here; choose a folder you can write to",
    errno.EPERM: "no permission to write here; choose a folder you can write to",
    errno.EROFS: "the disk is read-only; choose a folder on a writable disk",
    errno.ENOSPC: "the disk is full; free some space and run the command again",
    errno.EDQUOT: "your disk quota is used up; free some space and run the command again",
}

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class QualcodeGroup(click.Group):
    """A click group that shows QualcodeError as one line and exits non-zero, without traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QualcodeError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            if exc.errno not in _FILE_SYSTEM_FAULTS:
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: {where}{_FILE_SYSTEM_FAULTS[exc.errno]} ({exc.strerror}); nothing was written there",
                       err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted; decisions made so far are saved, nothing else was changed.", err=True)
            sys.exit(130)


@click.group(cls=QualcodeGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="qualcode")
def main() -> None:
    """qualcode: code interview and workshop transcripts into opportunity/risk matrices.

    \b
    Typical session:
      qualcode init
      qualcode import transcripts/ --study vo-2025 --cases cases.csv
      qualcode code
      qualcode review --coder anna          (or: qualcode review export review.xlsx)
      qualcode matrix --by role
      qualcode export xlsx results.xlsx

    Every command takes --project PATH (or the QUALCODE_PROJECT environment variable);
    the default is project.qualcode in the current folder.
    """
