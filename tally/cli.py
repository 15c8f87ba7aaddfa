"""The ``tally`` command line. Each sub-command lives beside the code it drives.

Sub-commands are imported only when invoked (or listed by ``--help``), so ``tally count`` does not pay
for the RCTab, CVR and audit code, nor ``tally --version`` for numba. A ``TallyError`` (bad config,
malformed CVR, invalid ballot) is printed as one line on stderr with exit status 2; anything else is a
bug and keeps its traceback. The counting sub-commands start numba without its SciPy and cffi probes
(``_skip_numba_probes``).
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


# Sub-commands that count with numba kernels (see ``_skip_numba_probes``).
KERNEL_COMMANDS = frozenset({"certify", "count", "rctab", "verify"})

# numba modules that probe on import for an optional dependency tally's kernels never use, and the
# module each one tries to import: SciPy's BLAS (float ``np.dot``/``np.linalg`` in jitted code) and
# cffi (calling C through cffi from jitted code).
NUMBA_PROBES = {"numba.np.arraymath": "scipy.linalg.cython_blas", "numba.core.typing.cffi_utils": "cffi"}


def main() -> None:
    """The ``tally`` console script."""
    if sys.argv[1:2] and sys.argv[1] in KERNEL_COMMANDS:
        _skip_numba_probes()
    cli(prog_name="tally")


def _skip_numba_probes() -> None:
    """Let numba find SciPy's BLAS and cffi missing, so that the first kernel call imports neither.

    On first use numba imports the modules of ``NUMBA_PROBES``, which try to import SciPy's BLAS
    (that imports all of ``scipy.linalg``: about 0.3 s when SciPy is installed) and cffi (its C parser:
    about 0.07 s): together a third of a ``tally count``. tally's kernels are integer loops that use
    neither. So the ``tally`` process imports those numba modules up front with each probe's import
    refused (a ``None`` entry in ``sys.modules`` makes it fail, as if the package were absent) and
    removes the entries at once: SciPy and cffi stay importable for anything else. Only this console
    script does it; ``import tally`` changes nothing.
    """
    for module, probe in NUMBA_PROBES.items():
        if module in sys.modules or probe.rpartition(".")[0] in sys.modules or probe in sys.modules:
            continue  # numba already started, or the probe would find its package imported: cheap
        sys.modules[probe] = None
        try:
            importlib.import_module(module)
        finally:
            del sys.modules[probe]
