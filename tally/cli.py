"""The ``tally`` command line. Each sub-command lives beside the code it drives.

Sub-commands are imported only when invoked (or listed by ``--help``), so ``tally count`` does not pay
for the RCTab, CVR and audit code, nor ``tally --version`` for numba. A ``TallyError`` (bad config,
malformed CVR, invalid ballot) is printed as one line on stderr with exit status 2; anything else is a
bug and keeps its traceback. The counting sub-commands start numba lean (``tally._kernel_process``) and
end the process without the interpreter's teardown (see ``main``).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import NoReturn

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


# Sub-commands that count with numba kernels: their process starts as ``tally._kernel_process`` says.
KERNEL_COMMANDS = frozenset({"certify", "count", "rctab", "verify"})


def main() -> None:
    """The ``tally`` console script. The counting sub-commands set up the process for numba first
    (``tally._kernel_process``) and end it without the interpreter's teardown (``_exit_now``)."""
    counting = bool(sys.argv[1:2]) and sys.argv[1] in KERNEL_COMMANDS
    if counting:
        from ._kernel_process import prepare

        prepare()
    try:
        cli(prog_name="tally")
    except SystemExit as end:
        if counting:
            _exit_now(end.code)
        raise


def _exit_now(code: object) -> NoReturn:
    """End the process with ``code`` (as ``sys.exit`` would) once stdout and stderr are flushed,
    without the interpreter's teardown: after numba has loaded, freeing its tens of thousands of
    objects (cyclic garbage collection included) takes about 0.15-0.2 s, a quarter of a 1M-ballot
    ``tally count``. Every file the commands write is closed before they return."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: the interpreter would end with status 120
        status = status or 120
    os._exit(status)
