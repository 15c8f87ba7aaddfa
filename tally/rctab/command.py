"""``tally rctab CONFIG.json --out DIR``: an RCTab-compatible run from the command line.

Writes RCTab's reports (names without the ``<case>_`` prefix and ``expected_`` marker) into DIR, only
once the whole count succeeded. ``--tiebreak-decisions FILE`` supplies the operator's choices for the
``stopCountingAndAsk`` / ``previousRoundCountsThenAsk`` tie-break modes (format in ``tiebreak.py``); on a
terminal without such a file the tie is asked interactively.
"""

from __future__ import annotations

from pathlib import Path

import click

from .session import run
from .tiebreak import default_decisions


@click.command("rctab")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the reports (default: the config's outputDirectory, beside the config).",
)
@click.option(
    "--tiebreak-decisions",
    "decisions_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help='JSON list of {"round": N, "tied": [names], "choice": name} for the ...Ask tie-break modes.',
)
def rctab(config: Path, out_dir: Path | None, decisions_file: Path | None) -> None:
    """Tabulate an RCTab contest CONFIG exactly as RCTab 2.0.1 does and write its reports."""
    result = run(config, out_dir, default_decisions(decisions_file))
    winners = ", ".join(result.winners) or "none"
    click.echo(f"winners: {winners}")
    for tab in result.passes:
        for tie in tab.tiebreaks:
            tied = ", ".join(tie["tied"])
            click.echo(
                f"tie-break: pass {tie['pass']} round {tie['round']} {tie['kind']} among {tied}: "
                f"{tie['selected']} ({tie['rule']})"
            )
    for name in result.files:
        click.echo(f"wrote {name}")
