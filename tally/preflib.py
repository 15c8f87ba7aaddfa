"""PrefLib ordinal preference files: ``.soc``, ``.soi``, ``.toc``, ``.toi`` (PrefLib data format 2022).

Layout::

    # TITLE: 2009 Burlington Mayoral Election
    # DATA TYPE: toi
    # NUMBER ALTERNATIVES: 6
    # NUMBER VOTERS: 8980
    # NUMBER UNIQUE ORDERS: 384
    # ALTERNATIVE NAME 1: Bob Kiss
    ...
    840: 5
    4: {1,6},5,2,4,3

Each data line is ``count: ranking``, alternatives numbered from 1, best first, separated by commas.

- ``soc`` (strict, complete): every alternative exactly once; ``soi`` (strict, incomplete): any
  number of alternatives, none twice. Brace groups are refused in both.
- ``toc`` / ``toi`` (ties allowed): a brace group ``{a,b}`` ranks its alternatives equal. It is read
  deliberately as an *equal ranking*: the matrix cell holds ``OVERVOTE`` and the group goes to the
  ``equal`` side table of ``RankedProfile``. Rules that know equal rankings (Meek, Warren) split the
  ballot among the group; every other ranked rule sees an overvote and applies its overvote rule (IRV's
  default exhausts the ballot there, as Burlington's official count treated a double mark). ``toc``
  requires every alternative to appear once.

Checked, each failure an error naming file and line: header counts (``NUMBER VOTERS`` equals the sum of
the counts, ``NUMBER UNIQUE ORDERS`` the number of lines, ``NUMBER ALTERNATIVES`` the names), the
``DATA TYPE`` agrees with the extension, alternatives in range and not repeated, counts positive.
Files state no seats, so ``Loaded.seats`` is ``None``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .ballots import BLANK, OVERVOTE, Candidates, rank_dtype
from .errors import BallotError, TallyError
from .formats import Loaded, loader
from .profile import RankedProfile

TYPES = ("soc", "soi", "toc", "toi")
_HEADER = re.compile(r"#\s*([A-Z ]+?)\s*(\d+)?\s*:\s?(.*)$")


def read_preflib(path: str | Path) -> Loaded:
    """Read a PrefLib ``.soc``/``.soi``/``.toc``/``.toi`` file into a ``RankedProfile``."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TallyError("not UTF-8 text", file=str(p)) from None
    except OSError as err:
        raise TallyError(f"cannot read: {err.strerror}", file=str(p)) from None
    return parse_preflib(text, kind=p.suffix.lower().lstrip("."), file=str(p))


def parse_preflib(text: str, kind: str, file: str = "<preflib>") -> Loaded:
    """Parse PrefLib text of type ``kind`` (soc, soi, toc, toi); ``file`` names the source in errors."""
    if kind not in TYPES:
        raise TallyError(f"unknown PrefLib type {kind!r} (known: {', '.join(TYPES)})", file=file)
    ties = kind.startswith("to")
    complete = kind.endswith("c")
    header: dict[str, str] = {}
    names: dict[int, str] = {}
    rows: list[list[int]] = []
    counts: list[int] = []
    equal: dict[tuple[int, int], tuple[int, ...]] = {}
    n_alt: int | None = None

    def err(msg: str, line: int) -> TallyError:
        return TallyError(msg, file=file, record=f"line {line}")

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = _HEADER.match(line)
            if m is None:
                continue
            key, idx, value = m.group(1), m.group(2), m.group(3).strip()
            if key == "ALTERNATIVE NAME" and idx:
                names[int(idx)] = value
            elif idx is None:
                header[key] = value
                if key == "NUMBER ALTERNATIVES":
                    if not value.isdigit():
                        raise err(f"NUMBER ALTERNATIVES {value!r} is not a number", lineno)
                    n_alt = int(value)
            continue
        if n_alt is None:
            raise err("data before the '# NUMBER ALTERNATIVES' header", lineno)
        count_text, sep, ranking = line.partition(":")
        if not sep or not count_text.strip().isdigit():
            raise err("expected 'count: ranking'", lineno)
        count = int(count_text)
        if count <= 0:
            raise err(f"count {count} is not positive", lineno)
        row: list[int] = []
        seen: set[int] = set()
        for token in re.findall(r"\{[^}]*\}|[^,{}]+|[{}]", ranking):
            token = token.strip()
            if not token:
                continue
            if token in "{}":
                raise err("unbalanced brace", lineno)
            group_text = token[1:-1] if token.startswith("{") else token
            if token.startswith("{") and not ties:
                raise err(f"a tie {token} in a strict-order (.{kind}) file", lineno)
            group = []
            for part in group_text.split(","):
                part = part.strip()
                if not part.isdigit() or not 1 <= int(part) <= n_alt:
                    raise err(f"{part!r} is not an alternative in 1..{n_alt}", lineno)
                a = int(part) - 1
                if a in seen:
                    raise err(f"alternative {a + 1} appears twice", lineno)
                seen.add(a)
                group.append(a)
            if not group:
                raise err("empty tie group {}", lineno)
            if len(group) == 1:
                row.append(group[0])
            else:
                equal[(len(rows), len(row))] = tuple(group)
                row.append(OVERVOTE)
        if complete and len(seen) != n_alt:
            raise err(f"ranks {len(seen)} of {n_alt} alternatives in a complete-order (.{kind}) file", lineno)
        rows.append(row)
        counts.append(count)

    if n_alt is None:
        raise TallyError("no '# NUMBER ALTERNATIVES' header", file=file)
    declared = header.get("DATA TYPE")
    if declared and declared.lower() != kind:
        raise TallyError(f"DATA TYPE {declared!r} does not match the .{kind} extension", file=file)
    missing = [i for i in range(1, n_alt + 1) if i not in names]
    if missing:
        raise TallyError(f"no ALTERNATIVE NAME for {', '.join(map(str, missing[:5]))}", file=file)
    for key, actual in (("NUMBER VOTERS", sum(counts)), ("NUMBER UNIQUE ORDERS", len(rows))):
        if key in header and header[key].isdigit() and int(header[key]) != actual:
            raise TallyError(f"header says {key} {header[key]}, the data lines give {actual}", file=file)
    try:
        cands = Candidates(tuple(names[i] for i in range(1, n_alt + 1)))
    except BallotError as e:
        raise TallyError(e.message, file=file) from None
    width = max((len(r) for r in rows), default=0)
    matrix = np.full((len(rows), width), BLANK, dtype=rank_dtype(n_alt))
    for b, row in enumerate(rows):
        matrix[b, : len(row)] = row
    profile = RankedProfile(matrix, np.asarray(counts, dtype=np.int64), cands, equal=equal)
    meta = {"data_type": kind, **{k.lower().replace(" ", "_"): v for k, v in header.items()}}
    return Loaded(ballots=profile, seats=None, title=header.get("TITLE") or None, meta=meta)


@loader(".soc", ".soi", ".toc", ".toi")
def _load_preflib(path: Path) -> Loaded:
    return read_preflib(path)
