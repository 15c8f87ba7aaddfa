"""BLT ballot files (Hill, Wichmann & Woodall 1987), with droop's extensions.

Layout, whitespace-separated (line ends are ordinary whitespace)::

    4 2                 candidates, seats
    -2                  optional: withdrawn candidates, each with a minus sign
    3 1 3 4 0           ballot lines: weight, preferences in order, 0
    0                   end of ballots
    "Adam" ...          one quoted name per candidate, then the quoted title

Accepted extensions (droop's dialect):

- option lines between the header and the ballots: ``[nick a b c]`` (nicknames usable on ballot lines
  instead of numbers), ``[tie 3 2 1]`` (predetermined tie-breaking order, earliest first; candidates
  not listed follow in file order), ``[withdrawn 4]`` (same as ``-4``), ``[undeclared 4]`` (an
  undeclared write-in, droop 0.12: Minneapolis STV defeats it after the first count, other rules treat it
  as withdrawn), ``[droop k=v ...]`` (count
  options the file states; kept in ``RankedProfile.options``, applied as defaults by the rules);
- negative numbers after the header (withdrawals), on one line or several;
- equal rankings ``b=c`` (``1=2``): stored as an overvote cell plus an entry in the ``equal`` side table;
- ``#`` comments to the end of a line and ``/* ... */`` comments;
- anything after the quoted title (Wichmann's quoted source/comment fields, or free text as in droop's
  ``dk*`` files): kept in ``meta["trailer"]``, never counted;
- a UTF-8 byte-order mark at the start of the file.

Rejected, each with an error naming the file and line: any other ``[option]``, skipped rankings
(``-`` on a ballot line), OpenSTV ballot ids, a candidate number out of range, a candidate ranked twice
on one ballot, a weight that is not a non-negative integer, fewer names than candidates, a missing title.

Candidate names have every run of whitespace replaced by one space (as droop does), so
``"Ellen   Hurcombe"`` reads as ``"Ellen Hurcombe"``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .ballots import BLANK, OVERVOTE, Candidates, rank_dtype
from .errors import BallotError, TallyError
from .formats import Loaded, loader
from .profile import RankedProfile

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<hash>\#[^\n]*)
  | (?P<cmt>/\*.*?\*/)
  | (?P<str>"[^"]*")
  | (?P<opt>\[[^\]]*\])
  | (?P<word>[^\s"\[\]#]+)
    """,
    re.VERBOSE | re.DOTALL,
)

_OPTIONS = ("nick", "tie", "withdrawn", "undeclared", "droop")


class _Tokens:
    """(kind, text, line) tokens with comments dropped."""

    def __init__(self, text: str, file: str):
        self.file = file
        self.items: list[tuple[str, str, int]] = []
        pos, line = 0, 1
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                raise TallyError(
                    f"unreadable text {text[pos : pos + 20]!r}", file=file, record=f"line {line}"
                )
            kind = m.lastgroup
            if kind in ("str", "opt", "word"):
                self.items.append((kind, m.group(), line))
            elif kind == "cmt" and not m.group().endswith("*/"):
                raise TallyError("unterminated /* comment", file=file, record=f"line {line}")
            line += m.group().count("\n")
            pos = m.end()
        self.pos = 0
        self.last_line = self.items[-1][2] if self.items else 1

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def next(self, what: str) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise TallyError(
                f"file ends where {what} was expected", file=self.file, record=f"line {self.last_line}"
            )
        self.pos += 1
        return tok

    def error(self, msg: str, line: int) -> TallyError:
        return TallyError(msg, file=self.file, record=f"line {line}")


def _int(tokens: _Tokens, tok: tuple[str, str, int], what: str) -> int:
    kind, text, line = tok
    if kind != "word" or not re.fullmatch(r"-?\d+", text):
        raise tokens.error(f"expected {what}, found {text!r}", line)
    return int(text)


def read_blt(path: str | Path) -> Loaded:
    """Read a BLT file into a ``Loaded`` holding a ``RankedProfile`` (see module docstring)."""
    p = Path(path)
    file = str(p)
    try:
        raw = p.read_bytes()
    except OSError as err:
        raise TallyError(f"cannot read: {err.strerror}", file=file) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise TallyError("not UTF-8 text", file=file, record=f"line {line}") from None
    return parse_blt(text, file=file)


def parse_blt(text: str, file: str = "<blt>") -> Loaded:
    """Parse BLT text (see module docstring); ``file`` names the source in errors."""
    toks = _Tokens(text, file)
    n_cand = _int(toks, toks.next("the number of candidates"), "the number of candidates")
    seats = _int(toks, toks.next("the number of seats"), "the number of seats")
    if n_cand < 1:
        raise toks.error(f"{n_cand} candidates: need at least one", toks.items[0][2])
    if seats < 1:
        raise toks.error(f"{seats} seats: need at least one", toks.items[1][2])

    nick: dict[str, int] = {}
    withdrawn: list[int] = []
    undeclared: list[int] = []
    tie_tokens: list[tuple[str, int]] | None = None
    options: dict[str, str] = {}

    def cand_ref(text: str, line: int) -> int:
        if text in nick:
            return nick[text]
        if re.fullmatch(r"\d+", text):
            c = int(text)
            if 1 <= c <= n_cand:
                return c - 1
            raise toks.error(f"candidate {c} is not in 1..{n_cand}", line)
        raise toks.error(f"{text!r} is neither a candidate number nor a nickname", line)

    # Header extensions: withdrawals and [options], in any order, before the first ballot.
    while True:
        tok = toks.peek()
        if tok is None:
            break
        kind, text, line = tok
        if kind == "word" and re.fullmatch(r"-\d+", text):
            toks.next("a withdrawal")
            withdrawn.append(cand_ref(text[1:], line))
        elif kind == "opt":
            toks.next("an option")
            words = text[1:-1].split()
            if not words or words[0] not in _OPTIONS:
                raise toks.error(f"unknown option {text!r} (known: {', '.join(_OPTIONS)})", line)
            name, args = words[0], words[1:]
            if name == "nick":
                if len(args) != n_cand:
                    raise toks.error(f"[nick] gives {len(args)} nicknames for {n_cand} candidates", line)
                if len(set(args)) != len(args):
                    raise toks.error("[nick] repeats a nickname", line)
                nick = {a: i for i, a in enumerate(args)}
            elif name == "tie":
                tie_tokens = [(a, line) for a in args]
            elif name == "withdrawn":
                withdrawn.extend(cand_ref(a, line) for a in args)
            elif name == "undeclared":
                undeclared.extend(cand_ref(a, line) for a in args)
            else:
                for a in args:
                    if "=" not in a:
                        raise toks.error(f"[droop] option {a!r} is not key=value", line)
                    k, v = a.split("=", 1)
                    options[k] = v
        else:
            break

    rows: list[list[int]] = []
    weights: list[int] = []
    equal: dict[tuple[int, int], tuple[int, ...]] = {}
    while True:
        tok = toks.next("a ballot line or the closing 0")
        kind, text, line = tok
        if kind == "word" and text.startswith("("):
            raise toks.error("ballot ids are not supported", line)
        weight = _int(toks, tok, "a ballot weight or the closing 0")
        if weight == 0:
            break
        if weight < 0:
            raise toks.error(f"ballot weight {weight} is negative", line)
        row: list[int] = []
        seen: set[int] = set()
        while True:
            kind, text, bline = toks.next("a preference or the 0 that ends the ballot")
            if kind != "word":
                raise toks.error(f"expected a preference, found {text!r}", bline)
            if text == "0":
                break
            if text == "-":
                raise toks.error("skipped rankings ('-') are not supported", bline)
            group = tuple(cand_ref(t, bline) for t in text.split("="))
            for c in group:
                if c in seen:
                    raise toks.error(f"candidate {c + 1} is ranked twice on one ballot", bline)
                seen.add(c)
            if len(group) == 1:
                row.append(group[0])
            else:
                equal[(len(rows), len(row))] = group
                row.append(OVERVOTE)
        rows.append(row)
        weights.append(weight)

    names: list[str] = []
    for i in range(n_cand):
        kind, text, line = toks.next(f"the name of candidate {i + 1}")
        if kind != "str":
            raise toks.error(f"expected the quoted name of candidate {i + 1}, found {text!r}", line)
        names.append(re.sub(r"\s+", " ", text[1:-1]))
    kind, text, line = toks.next("the quoted title")
    if kind != "str":
        raise toks.error(f"expected the quoted title, found {text!r}", line)
    title = text[1:-1]
    trailer = " ".join(t for _, t, _ in toks.items[toks.pos :])

    tie_order = None
    if tie_tokens is not None:
        listed = [cand_ref(a, line) for a, line in tie_tokens]
        if len(set(listed)) != len(listed):
            raise toks.error("[tie] lists a candidate twice", tie_tokens[0][1])
        tie_order = tuple(listed + [c for c in range(n_cand) if c not in listed])

    try:
        cands = Candidates(tuple(names))
    except BallotError as err:
        raise TallyError(err.message, file=file) from None
    width = max((len(r) for r in rows), default=0)
    matrix = np.full((len(rows), width), BLANK, dtype=rank_dtype(n_cand))
    for b, row in enumerate(rows):
        matrix[b, : len(row)] = row
    profile = RankedProfile(
        matrix,
        np.asarray(weights, dtype=np.int64),
        cands,
        equal=equal,
        withdrawn=tuple(sorted(set(withdrawn))),
        undeclared=tuple(sorted(set(undeclared) - set(withdrawn))),
        tie_order=tie_order,
        options=options,
    )
    meta = {"trailer": trailer} if trailer else {}
    if nick:
        meta["nicknames"] = list(nick)
    return Loaded(ballots=profile, seats=seats, title=title, meta=meta)


@loader(".blt")
def _load_blt(path: Path) -> Loaded:
    return read_blt(path)
