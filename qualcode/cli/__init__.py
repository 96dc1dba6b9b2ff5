"""The `qualcode` command: thin click commands over ``qualcode.Project``.

:mod:`.app` holds the group and turns errors into one line; :mod:`.options` defines
every shared option once; each ``commands_*`` module lists its commands in
``COMMANDS``, registered here.
"""
from __future__ import annotations

from qualcode.cli import (commands_agree, commands_code, commands_decisions, commands_demo, commands_foundation,
                          commands_report, commands_review)
from qualcode.cli.app import CONTEXT_SETTINGS, main

for _module in (commands_foundation, commands_code, commands_review, commands_decisions, commands_agree, commands_report,
                commands_demo):
    for _command in _module.COMMANDS:
        main.add_command(_command)

# REFI-QDA exchange: `export qdc`, `export qdpx` and `codebook import` join their groups.
from qualcode.cli import commands_exchange  # noqa: E402

commands_report.export.add_command(commands_exchange.export_qdc)
commands_report.export.add_command(commands_exchange.export_qdpx)
commands_code.codebook_group.add_command(commands_exchange.codebook_import)

__all__ = ["CONTEXT_SETTINGS", "main"]
