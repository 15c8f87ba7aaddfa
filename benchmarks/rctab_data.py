"""Generated inputs for the RCTab benchmarks: the 2013 Minneapolis mayor CVR replicated N times.

``write_replicated_mayor(folder, times)`` writes ``mayor_xN.xlsx`` (a minimal xlsx with inline strings,
written directly as zip + XML) and a copy of the case's config pointing to it, and returns the config path.
RCTab's own scale test replicates this CVR 13 times (1,041,313 ballots).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from python_calamine import CalamineWorkbook

CASE = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "rctab" / "2013_minneapolis_mayor"

_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG = "http://schemas.openxmlformats.org/package/2006/"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SSML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_CONTENT_TYPES = (
    f'{_HEAD}<Types xmlns="{_PKG}content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_MIME}sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_MIME}worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_MIME}sharedStrings+xml"/></Types>'
)
_RELS = (
    f'{_HEAD}<Relationships xmlns="{_PKG}relationships">'
    f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'{_HEAD}<workbook xmlns="{_SSML}" xmlns:r="{_DOC}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_HEAD}<Relationships xmlns="{_PKG}relationships">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def _row(number: int, cells: list, strings: dict[str, int]) -> str:
    out = [f'<row r="{number}">']
    for col, value in enumerate(cells):
        ref = f"{chr(65 + col)}{number}"
        if isinstance(value, float | int) and not isinstance(value, bool):
            out.append(f'<c r="{ref}"><v>{value}</v></c>')
        elif value not in (None, ""):
            index = strings.setdefault(str(value), len(strings))
            out.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
    out.append("</row>")
    return "".join(out)


def write_xlsx(path: Path, header: list, rows: list[list], times: int) -> None:
    """An xlsx with a shared-strings table, as ES&S exports are, holding ``rows`` ``times`` over."""
    strings: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'{_HEAD}<worksheet xmlns="{_SSML}"><sheetData>'.encode())
            sheet.write(_row(1, header, strings).encode())
            number = 2
            for _ in range(times):
                chunk = []
                for cells in rows:
                    chunk.append(_row(number, cells, strings))
                    number += 1
                sheet.write("".join(chunk).encode())
            sheet.write(b"</sheetData></worksheet>")
        items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
        archive.writestr(
            "xl/sharedStrings.xml",
            f'{_HEAD}<sst xmlns="{_SSML}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>',
        )


def write_replicated_mayor(folder: Path, times: int = 13) -> Path:
    sheet = CalamineWorkbook.from_path(str(CASE / "2013_minneapolis_mayor_cvr.xlsx")).get_sheet_by_index(0)
    rows = sheet.to_python(skip_empty_area=False)
    header, body = rows[0], rows[1:]
    xlsx = folder / f"mayor_x{times}.xlsx"
    write_xlsx(xlsx, header, body, times)
    config = json.loads((CASE / "2013_minneapolis_mayor_config.json").read_text())
    config["cvrFileSources"][0]["filePath"] = xlsx.name
    config["outputSettings"]["tabulateByPrecinct"] = False
    path = folder / "mayor_config.json"
    path.write_text(json.dumps(config, indent=2))
    return path
