"""The ``tally`` command line. Each sub-command lives beside the code it drives.

Sub-commands are imported only when invoked (or listed by ``--help``), so ``tally count`` does not pay
for the RCTab, CVR and audit code, nor ``tally --version`` for numba. A ``TallyError`` (bad config,
malformed CVR, invalid ballot) is printed as one line on stderr with exit status 2; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from . import __version__
from .errors import TallyError

# command name -> "module:attribute" of its click command, imported on first use
COMMANDS = {
    "certify": "tally.audit.command:certify_cmd",
    "convert": "tally.cvr.convert:convert_cmd",
    "count": "tally.count_command:count_cmd",
    "methods": "tally.cli:methods_cmd",
    "rctab": "tally.rctab.command:rctab",
    "receipt": "tally.audit.command:receipt_cmd",
    "verify": "tally.audit.command:verify_cmd",
}


class _Group(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TallyError as err:
            click.echo(f"tally: error: {err}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="tally")
def cli() -> None:
    """Exact, reproducible vote counting: RCTab contests, ranked, approval, budget and more."""


@click.command("methods")
def methods_cmd() -> None:
    """List the counting method ids."""
    from .methods import method_ids

    for name in method_ids():
        click.echo(name)


def main() -> None:
    cli(prog_name="tally")
