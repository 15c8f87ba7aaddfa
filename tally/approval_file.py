"""Approval ballot files (``.apv``) for ``tally count``.

Format: UTF-8 text. Lines starting with ``#`` are comments. The first other line lists the candidates,
comma-separated. Every following line is one ballot: the approved candidates, comma-separated (an empty
line is a ballot approving nobody). Names are stripped of surrounding spaces. An unknown or repeated
name is an error naming the file and line. Example::

    # council 2026
    Ana, Ben, Chloe
    Ana, Chloe
    Ben
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .ballot_types import ApprovalBallots
from .errors import TallyError
from .formats import Loaded, loader


@loader(".apv")
def load_apv(path: Path) -> Loaded:
    p = str(path)
    try:
        lines = Path(path).read_bytes().decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        raise TallyError(f"not UTF-8 text ({err.reason} at byte {err.start})", file=p) from None
    body = [(i, line) for i, line in enumerate(lines, start=1) if not line.lstrip().startswith("#")]
    while body and not body[0][1].strip():
        body.pop(0)
    if not body:
        raise TallyError("no candidate line", file=p)
    hline, header = body[0]
    names = [n.strip() for n in header.split(",")]
    if any(not n for n in names) or len(set(names)) != len(names):
        raise TallyError("the candidate line has an empty or repeated name", file=p, record=f"line {hline}")
    index = {n: i for i, n in enumerate(names)}
    rows = body[1:]
    while rows and not rows[-1][1].strip():
        rows.pop()
    app = np.zeros((len(rows), len(names)), dtype=bool)
    for r, (lineno, line) in enumerate(rows):
        if not line.strip():
            continue
        for name in (n.strip() for n in line.split(",")):
            if name not in index:
                raise TallyError(f"unknown candidate {name!r}", file=p, record=f"line {lineno}")
            if app[r, index[name]]:
                raise TallyError(f"{name!r} approved twice", file=p, record=f"line {lineno}")
            app[r, index[name]] = True
    return Loaded(ballots=ApprovalBallots.from_array(app, None, names), method="approval")
