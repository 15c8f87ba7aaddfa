"""Server-rendered SVG charts and round tables from a certified ``tally`` result (no script, no styles).

The numbers come from the certified ``result.json`` only; the app draws them, it never recounts. Bar
lengths are the one place floats appear, and they decide nothing.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from markupsafe import Markup, escape

PALETTE = ("#1f5fa8", "#b35900", "#2e7d32", "#7b1fa2", "#c62828", "#00695c", "#5d4037", "#37474f")


def number(value: Any) -> Fraction:
    """A result number (int or decimal/fraction string) as an exact Fraction (0 when not a number)."""
    if isinstance(value, bool):
        return Fraction(0)
    if isinstance(value, int):
        return Fraction(value)
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return Fraction(0)


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    t = escape(title)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{t}" class="chart"><title>{t}</title>' + "".join(body) + "</svg>"
    )


def _bar_rows(rows: list[tuple[str, Fraction, str]], title: str, width: int = 640) -> Markup:
    """Horizontal bars, one per (label, value, text); negative values grow left of a zero axis."""
    if not rows:
        return Markup("")
    top = max((abs(v) for _, v, _ in rows), default=Fraction(1)) or Fraction(1)
    negative = any(v < 0 for _, v, _ in rows)
    label_w, text_w = 200, 90
    span = width - label_w - text_w
    zero = label_w + (span // 2 if negative else 0)
    scale = (span // 2 if negative else span) / float(top)
    body = []
    for i, (label, value, text) in enumerate(rows):
        y = 10 + i * 28
        length = abs(float(value)) * scale
        x = zero - length if value < 0 else zero
        body.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="13">{escape(label)}</text>'
        )
        body.append(
            f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="20" fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        body.append(f'<text x="{width - text_w + 6}" y="{y + 15}" font-size="13">{escape(text)}</text>')
    body.append(f'<line x1="{zero}" y1="4" x2="{zero}" y2="{16 + len(rows) * 28}" stroke="#333"/>')
    return _svg(width, 20 + len(rows) * 28, title, body)


def ranked_rounds(result: dict[str, Any], label) -> dict[str, Any] | None:
    """Round table and transfer chart for results whose rounds carry a ``tally`` (IRV, STV families)."""
    rounds = [r for r in result.get("rounds", []) if isinstance(r, dict) and isinstance(r.get("tally"), dict)]
    if not rounds:
        return None
    names = list(result.get("candidates", []))
    table = []
    for name in names:
        table.append((label(name), [r["tally"].get(name) for r in rounds]))
    transfers = []
    for r in rounds:
        for source, dests in (r.get("transfers") or {}).items():
            if isinstance(dests, dict):
                for dest, votes in dests.items():
                    transfers.append(
                        (r.get("round"), label(source), label(dest) if dest in names else dest, votes)
                    )
    return {
        "rounds": rounds,
        "table": table,
        "transfers": transfers,
        "chart": transfer_chart(rounds, names, label),
    }


def transfer_chart(rounds: list[dict[str, Any]], names: list[str], label) -> Markup:
    """One column per round: each candidate's votes as a bar; arrows show where eliminated votes went."""
    col_w, row_h, label_w = 150, 30, 190
    width = label_w + col_w * len(rounds) + 10
    height = 40 + row_h * len(names)
    top = max((number(v) for r in rounds for v in r["tally"].values()), default=Fraction(1)) or Fraction(1)
    body = []
    for j, r in enumerate(rounds):
        x0 = label_w + j * col_w
        body.append(
            f'<text x="{x0 + 4}" y="18" font-size="13" font-weight="bold">'
            f"Round {escape(r.get('round', j + 1))}</text>"
        )
    for i, name in enumerate(names):
        y = 30 + i * row_h
        body.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="13">'
            f"{escape(label(name))}</text>"
        )
        for j, r in enumerate(rounds):
            if name not in r["tally"]:
                continue
            x0 = label_w + j * col_w
            value = number(r["tally"][name])
            length = float(value) / float(top) * (col_w - 50)
            colour = PALETTE[i % len(PALETTE)]
            body.append(f'<rect x="{x0}" y="{y}" width="{length:.1f}" height="20" fill="{colour}"/>')
            mark = " ✓" if name in r.get("elected", []) else " ✗" if name in r.get("eliminated", []) else ""
            body.append(
                f'<text x="{x0 + length + 3:.1f}" y="{y + 15}" font-size="12">'
                f"{escape(str(r['tally'][name]) + mark)}</text>"
            )
            if j + 1 < len(rounds):
                for dest in (r.get("transfers") or {}).get(name, {}) or {}:
                    if dest in names:
                        k = names.index(dest)
                        body.append(
                            f'<line x1="{x0 + col_w - 30}" y1="{y + 10}" x2="{x0 + col_w - 4}" '
                            f'y2="{30 + k * row_h + 10}" stroke="{colour}" stroke-width="2"/>'
                        )
    return _svg(width, height, "Votes per round and transfers between rounds", body)


def score_chart(result: dict[str, Any], label, title: str) -> Markup:
    scores = result.get("scores")
    if not isinstance(scores, dict):
        return Markup("")
    rows = sorted(((label(k), number(v), str(v)) for k, v in scores.items()), key=lambda t: (-t[1], t[0]))
    return _bar_rows(rows, title)


def allocation_chart(result: dict[str, Any], costs: dict[str, int], budget: int | None, label) -> Markup:
    """Funded projects as a stacked bar against the budget cap."""
    funded = [p for p in result.get("elected", []) if p in costs]
    if not budget:
        return Markup("")
    width, bar_w = 640, 600
    body = [f'<rect x="20" y="20" width="{bar_w}" height="30" fill="#eeeeee" stroke="#333"/>']
    x = 20.0
    for i, p in enumerate(funded):
        w = costs[p] / budget * bar_w
        body.append(
            f'<rect x="{x:.1f}" y="20" width="{w:.1f}" height="30" fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        body.append(
            f'<text x="20" y="{75 + i * 20}" font-size="13" fill="{PALETTE[i % len(PALETTE)]}">'
            f"■ {escape(label(p))}: {costs[p]}</text>"
        )
        x += w
    spent = sum(costs[p] for p in funded)
    body.append(f'<text x="20" y="14" font-size="13">Spent {spent} of {budget}</text>')
    return _svg(width, 90 + len(funded) * 20, f"Budget allocation: {spent} of {budget} spent", body)


def generic_rows(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Rounds of any method as a plain table: the union of scalar keys, in first-seen order."""
    rounds = [r for r in result.get("rounds", []) if isinstance(r, dict)]
    cols: list[str] = []
    for r in rounds:
        for k, v in r.items():
            if k not in cols and not isinstance(v, dict | list):
                cols.append(k)
    return cols, [[r.get(c, "") for c in cols] for r in rounds]
