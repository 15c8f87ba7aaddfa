"""``tally count FILE --method M``: count a ballot file with any registered method.

The reader is chosen by the file's extension (``tally.formats``); a method or seat count the file
declares is the default when ``--method`` / ``--seats`` are not given. Only options given on the command
line are passed on, so a method refuses an option it does not know (``--decimal-places`` with IRV).
``--option KEY=VALUE`` passes any other rule option (``true``/``false`` and integers are converted).
"""

from __future__ import annotations

import re
from typing import Any

import click

from .errors import TallyError


def _option_value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


@click.command("count")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--method", "-m", help="Method id (see `tally methods`); default: the one the file declares.")
@click.option("--seats", type=int, help="Seats to fill; default: the file's, else 1.")
@click.option("--seed", help="Tie-break seed, declared before the count.")
@click.option("--decimal-places", type=int, help="Fixed-point decimals for fractional transfers.")
@click.option("--option", "-o", "extra", multiple=True, metavar="KEY=VALUE", help="Any other rule option.")
@click.option(
    "--arithmetic", type=click.Choice(["fixed", "guarded", "rational"]), help="STV rules: arithmetic."
)
@click.option("--precision", type=int, help="STV rules: decimal places (fixed, guarded).")
@click.option("--guard", type=int, help="STV rules: guard digits (guarded).")
@click.option("--omega", type=int, help="Meek/Warren: stop iterating when the surplus is below 10^-omega.")
@click.option("--display", type=int, help="STV rules: decimal places printed.")
@click.option("--json", "as_json", is_flag=True, help="Print the canonical JSON result.")
def count_cmd(file, method, seats, seed, decimal_places, extra, as_json, **stv) -> None:
    """Count the ballots in FILE (.csv: one ballot per row, names in rank order)."""
    from . import formats
    from .methods import count

    options: dict[str, Any] = {}
    if seed is not None:
        options["seed"] = seed
    if decimal_places is not None:
        options["decimal_places"] = decimal_places
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise TallyError(f"--option {item!r} is not KEY=VALUE")
        options[key.strip().replace("-", "_")] = _option_value(value.strip())
    loaded = formats.load(file)
    method = method or loaded.method
    if not method:
        raise TallyError("no --method given and the file declares none", file=file)
    if seats is None:
        seats = loaded.seats if loaded.seats is not None else 1
    from .stvrules.variants import split_method  # droop names: meek-prf-o6-fixed-p9-d9

    method, stv_options = split_method(method, **stv)
    options.update(stv_options)
    result = count(loaded.ballots, method=method, seats=seats, **options)
    if as_json:
        click.echo(result.to_json())
    else:
        click.echo(render_text(result))


def render_text(result) -> str:
    """A readable round-by-round table (candidates down, rounds across) and the winners."""
    d = result.to_dict()
    from .stvrules.report import is_stv_record, render

    if is_stv_record(d):
        return render(d)
    lines = [f"method: {d['method']}  seats: {d['options'].get('seats', '')}"]
    rounds = d.get("rounds") or []
    if rounds and all(isinstance(r, dict) and isinstance(r.get("tally"), dict) for r in rounds):
        names = list(d["candidates"])
        header = ["candidate", *(f"round {r.get('round', i + 1)}" for i, r in enumerate(rounds))]
        table = [header]
        for name in names:
            table.append([name, *(str(r["tally"].get(name, "")) for r in rounds)])
        for key in ("threshold", "active"):
            if any(key in r for r in rounds):
                table.append([key, *(str(r.get(key, "")) for r in rounds)])
        for key in ("elected", "eliminated"):
            table.append([key, *("; ".join(r.get(key, [])) for r in rounds)])
        inactive = [r.get("inactive", {}) for r in rounds]
        for cat in sorted({k for i in inactive for k in i}):
            table.append([f"inactive: {cat}", *(str(i.get(cat, "")) for i in inactive)])
        widths = [max(len(row[j]) for row in table) for j in range(len(header))]
        for row in table:
            lines.append(
                "  ".join(
                    cell.ljust(w) if j == 0 else cell.rjust(w)
                    for j, (cell, w) in enumerate(zip(row, widths, strict=True))
                )
            )
    for tie in d.get("ties", []):
        lines.append(
            f"tie in round {tie.get('round')}: {', '.join(tie.get('tied', []))} -> {tie.get('selected')}"
        )
    lines.append("elected: " + (", ".join(d["elected"]) or "nobody"))
    return "\n".join(lines)
