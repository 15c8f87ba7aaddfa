"""The ``tally`` command line. Each sub-command lives beside the code it drives.

A ``TallyError`` (bad config, malformed CVR, invalid ballot) is printed as one line on stderr with
exit status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import TallyError


class _Group(click.Group):
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


@cli.command("methods")
def methods_cmd() -> None:
    """List the counting method ids."""
    from .methods import method_ids

    for name in method_ids():
        click.echo(name)


from .count_command import count_cmd  # noqa: E402

cli.add_command(count_cmd)

from .cvr.convert import convert_cmd  # noqa: E402

cli.add_command(convert_cmd)

from .audit.command import certify_cmd, receipt_cmd, verify_cmd  # noqa: E402

cli.add_command(verify_cmd)
cli.add_command(certify_cmd)
cli.add_command(receipt_cmd)

from .rctab.command import rctab  # noqa: E402

cli.add_command(rctab)


def main() -> None:
    cli(prog_name="tally")
