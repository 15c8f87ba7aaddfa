"""Hart cast-vote records (``hart``): a folder with one XML file per ballot, as RCTab 2.0 reads it.

Every ``*.xml`` file of the folder is read in path order except signature files (``*.sig.xml``). In each
``Cvr`` document, each ``Contests/Contest`` whose ``Id`` is the source's ``contestId`` is one CVR; each of
its ``Options/Option`` has an ``Id`` (the candidate code, the CVR string) and a ``Value`` of 0/1 digits
where digit k set means rank k: so two options with the same digit set are an overvote, one option with
several digits set a repeated ranking. An option id equal to ``undeclaredWriteInLabel`` is the UWI
pseudo-candidate. One code with two different option names across files is an error (as in RCTab), and
so is a ``Value`` with other characters, a rank above ``maxRankingsAllowed`` or a code the config does
not know.

Ids: batch = ``BatchNumber``, supplied id = ``CvrGuid``, precinct = ``PrecinctSplit/Name``, precinct
portion = ``PrecinctSplit/Id``; no tabulator, no computed id. ``extra`` holds ``contest_id``.
Each file goes through the hardened XML parser and may be at most 16 MiB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..rctab.model import UWI, ContestConfig, Cvr, CvrSource
from ._guard import (
    MAX_RANK,
    check_dir,
    check_file,
    check_rankings,
    child_text,
    children,
    fail,
    iterparse_xml,
    local,
    sorted_files,
)

MAX_BALLOT_FILE = 16 * 1024**2


def ballot_files(folder: Path) -> list[Path]:
    check_dir(folder)
    return [
        p
        for p in sorted_files(folder, "*")
        if p.name.lower().endswith("xml") and not p.name.lower().endswith(".sig.xml")
    ]


def read(source: CvrSource, config: ContestConfig) -> Iterator[Cvr]:
    folder = source.file_path
    files = ballot_files(folder)
    label = source.undeclared_write_in_label
    names_by_code: dict[str, str | None] = {}
    for path in files:
        check_file(path, MAX_BALLOT_FILE)
        root = None
        for _event, elem in iterparse_xml(path, events=("end",)):
            root = elem
        if root is None or local(root.tag) != "Cvr":
            raise fail(path, "Hart CVR file must have a <Cvr> root element")
        contests = next((c for c in root if local(c.tag) == "Contests"), None)
        for contest in children(contests, "Contest") if contests is not None else ():
            if child_text(contest, "Id") != source.contest_id:
                continue
            pairs: list[tuple[int, str]] = []
            options = next((o for o in contest if local(o.tag) == "Options"), None)
            for option in children(options, "Option") if options is not None else ():
                code = child_text(option, "Id") or ""
                name = child_text(option, "Name")
                if label and code == label:
                    code = UWI
                else:
                    seen = names_by_code.setdefault(code, name)
                    if seen != name:
                        raise fail(path, f"candidate code {code!r} has two names: {seen!r} and {name!r}")
                value = (child_text(option, "Value") or "").strip()
                if value.strip("01"):
                    raise fail(path, f"option Value {value!r} is not a string of 0/1 digits", code)
                if len(value) > MAX_RANK:
                    raise fail(path, "option Value is too long", code)
                pairs.extend((k + 1, code) for k, ch in enumerate(value) if ch == "1")
            split = next((s for s in root if local(s.tag) == "PrecinctSplit"), None)
            yield Cvr(
                rankings=check_rankings(pairs, config, path, path.name),
                source=source,
                supplied_id=child_text(root, "CvrGuid") or "",
                batch_id=child_text(root, "BatchNumber") or "",
                precinct=(child_text(split, "Name") or "") if split is not None else "",
                precinct_portion=(child_text(split, "Id") or "") if split is not None else "",
                extra={"contest_id": source.contest_id},
            )
