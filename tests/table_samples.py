"""Small awkward tables (.csv and .xlsx) made from a seed, for pinning what the table import makes of them.

:func:`table_sample` draws one table: a plain table or a survey tool's layout, with empty rows,
empty text cells, unnamed columns, preview responses, typed and untyped values, quoted cells over
several lines, and now and then a fault (a cell too many or too few, a quote left open, text after
a closing quote, two columns of one name, a title above the header, a missing or repeated id, a
column or sheet that is not there, merged cells), often more than one, so that which error wins is
pinned too. The options of the import (text, id, case and keep columns, encoding, sheet, unit,
maximum words, study) are drawn with it.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TEXTS = ["Het scheelt tijd.", "AI helpt bij het nakijken, maar ik controleer alles.", "Geen idee",
          "Eén keer per week; soms vaker", 'Ze zei: "dat werkt niet".', "café, crèche en ëxtra 😀",
          "Eerst dit.\nDan dat.", "Regel een\r\nregel twee", "  spaties eromheen  ", "7,5", "2025", "nee",
          "Minder werkdruk. Meer tijd voor leerlingen! Toch?", "bijv. de toetsen, enz. Verder niets.",
          "Eerste alinea.\n\nTweede alinea met meer woorden erin dan vijf.", "tab\there", "x"]
_VALUES = ["De Linde", "Het Baken", "po", "vo", "mbo", "2025", "2024", "7,5", "3.5", "0123", "-4", "+3", "1e5",
           " rand ", "17.0", "ja", "2025-03-01", "noord", "", "", "0", "12,0"]
_ATTRIBUTES = ["school", "sector", "wave", "cijfer", "postcode", "regio", "ervaring", "datum", "leeftijd",
               "E-mail", "naam", "Telefoon", "groep", "Progress"]
_TEXT_NAMES = ["antwoord", "toelichting", "opmerking", "Tekst", "notitie", "Antwoord 2", "vraag_open"]
_ID_NAMES = ["id", "respondent", "code", "nr"]
_STATUS = ["IP Address", "IP Address", "Survey Preview", "Spam", "anonymous", "preview", "test"]


@dataclass
class TableSample:
    """One generated table: its file name, its bytes or cells, and the options to import it with."""

    name: str
    rows: list[list[Any]]  # the cells as written (csv: text; xlsx: typed values)
    options: dict[str, Any] = field(default_factory=dict)  # for read_document and import_files
    import_options: dict[str, Any] = field(default_factory=dict)  # unit, max_words, study
    csv_bytes: bytes | None = None
    merged: list[str] = field(default_factory=list)  # xlsx merged ranges
    sheets: list[str] = field(default_factory=list)  # xlsx: sheets before the table's own

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        if self.csv_bytes is not None:
            path.write_bytes(self.csv_bytes)
            return path
        import openpyxl

        workbook = openpyxl.Workbook()
        first = workbook.active
        for title in self.sheets:
            first.title = title
            first.append([f"uitleg bij {title}"])
            first = workbook.create_sheet("Antwoorden")
        for row in self.rows:
            first.append(row)
        for ref in self.merged:
            first.merge_cells(ref)
        workbook.save(path)
        return path

    def described(self) -> dict[str, Any]:
        """The sample as JSON-able data (what a golden file shows of the input)."""
        out: dict[str, Any] = {"name": self.name, "options": self.options, "import_options": self.import_options}
        if self.csv_bytes is not None:
            out["bytes"] = self.csv_bytes.decode("latin-1")
        else:
            out["cells"] = [[_plain(v) for v in row] for row in self.rows]
            out["merged"], out["sheets"] = self.merged, self.sheets
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.time)):
        return {type(value).__name__: value.isoformat()}
    return value


def _survey(rng: random.Random, texts: list[str], attributes: list[str], id_name: str | None) -> tuple[
        str, list[list[str]], list[str], dict[int, str]]:
    """A survey tool's header rows; (layout, header rows, column kinds, question texts by column)."""
    layout = rng.choice(["qualtrics", "qualtrics2", "qualtrics-bare", "legacy", "surveymonkey", "google",
                         "limesurvey", "msforms"])
    own = ([id_name] if id_name else []) + attributes + texts
    kinds = (["id"] if id_name else []) + ["attribute"] * len(attributes) + ["text"] * len(texts)
    questions = {i: f"Vraag {i}: {name}?" for i, name in enumerate(own)}
    if layout == "qualtrics":
        meta = ["StartDate", "Status", "IPAddress", "ResponseId", "DistributionChannel"]
        first = meta + [f"Q{i + 1}" + ("_TEXT" if k == "text" else "") for i, k in enumerate(kinds)]
        second = ["Start Date", "Response Type", "IP Address", "Response ID", "Distribution Channel"] + [
            questions[i] for i in range(len(own))]
        third = [f'{{"ImportId":"{c}"}}' for c in first]
        return layout, [first, second, third], ["date", "status", "attribute", "id2", "channel"] + kinds, {}
    if layout == "qualtrics2":
        meta = ["StartDate", "ResponseId", "Status"]
        first = meta + own
        second = ["Start Date", "Response ID", "Response Type"] + [questions[i] for i in range(len(own))]
        return layout, [first, second], ["date", "id2", "status"] + kinds, {}
    if layout == "qualtrics-bare":
        first = [f"Q{i + 1}" + ("_TEXT" if k == "text" else "") for i, k in enumerate(kinds)]
        return layout, [first, [questions[i] for i in range(len(own))]], kinds, {}
    if layout == "legacy":
        meta = ["ResponseID", "ResponseSet", "Name", "IPAddress", "Status"]
        first = [f"V{i + 1}" for i in range(len(meta))] + own
        second = meta + [questions[i] for i in range(len(own))]
        return layout, [first, second], ["id2", "attribute", "attribute", "attribute", "status"] + kinds, {}
    if layout == "surveymonkey":
        meta = ["Respondent ID", "Collector ID", "IP Address"]
        first = meta + [questions[i] for i in range(len(own))] + ["Welke tools gebruikt u?", ""]
        second = ["", "", ""] + ["Open-Ended Response" if k == "text" else "Response" for k in kinds] + [
            "ChatGPT", "Copilot"]
        return layout, [first, second], ["id2", "attribute", "attribute"] + kinds + ["attribute", "attribute"], {}
    if layout == "google":
        return layout, [["Tijdstempel", "E-mailadres"] + own], ["date", "attribute"] + kinds, {}
    if layout == "limesurvey":
        return layout, [["id", "submitdate", "lastpage", "ipaddr"] + [("code" if n == "id" else n) for n in own]], [
            "id2", "date", "attribute", "attribute"] + kinds, {}
    return layout, [["ID", "Start time", "Completion time", "Email"] + [("code" if n == "id" else n) for n in own]], [
        "id2", "date", "date", "attribute"] + kinds, {}


def _cell(rng: random.Random, kind: str, row: int, ids: list[str]) -> Any:
    if kind == "id":
        roll = rng.random()
        if roll < 0.02:
            return ""
        if roll < 0.04 and ids:
            return rng.choice(ids)
        value = f"R{row}" if rng.random() < 0.8 else str(100 + row)
        ids.append(value)
        return value
    if kind == "id2":
        return f"R_{row}x"
    if kind == "text":
        return "" if rng.random() < 0.2 else rng.choice(_TEXTS)
    if kind == "status":
        return rng.choice(_STATUS)
    if kind == "channel":
        return rng.choice(["anonymous", "anonymous", "preview", "test", "email"])
    if kind == "date":
        return rng.choice(["2025-03-01 10:00:00", "03/01/2025 10:09:00 AM", ""])
    if kind == "unnamed":
        return "" if rng.random() < 0.7 else rng.choice(["losse waarde", "x", "3"])
    return rng.choice(_VALUES)


def _typed(rng: random.Random, value: Any) -> Any:
    """An xlsx cell: numbers and dates as Excel stores them, now and then."""
    if not isinstance(value, str) or rng.random() < 0.4:
        return value if value != "" else None
    for cast in (int, float):
        try:
            return cast(value.replace(",", "."))
        except ValueError:
            pass
    if value == "2025-03-01":
        return dt.datetime(2025, 3, 1, 10, 30) if rng.random() < 0.5 else dt.date(2025, 3, 1)
    if value == "ja" and rng.random() < 0.5:
        return True
    return value


def _csv_text(rng: random.Random, rows: list[list[Any]], delimiter: str, faults: set[str]) -> str:
    newline = rng.choice(["\n", "\r\n", "\n", "\r"]) if rng.random() < 0.9 else "\n"
    quote_all = rng.random() < 0.3
    lines = []
    for r, row in enumerate(rows):
        cells = []
        for value in row:
            text = str(value)
            needs = any(ch in text for ch in (delimiter, '"', "\n", "\r")) or (text != text.strip())
            if quote_all or needs:
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        if r > 0 and r == len(rows) - 1 and "open-quote" in faults:
            cells[-1] = '"' + cells[-1].strip('"')
        if r > 0 and r == len(rows) // 2 + 1 and "after-quote" in faults:
            cells[0] = '"' + str(row[0]).replace('"', "") + '" na'
        if r > 0 and r == len(rows) // 2 and "extra-cell" in faults:
            cells.insert(1, "losse tekst")
        if r > 0 and r == len(rows) // 2 + 1 and "missing-cell" in faults and len(cells) > 1:
            cells.pop()
        if r > 0 and "trailing" in faults and rng.random() < 0.5:
            cells += [""] * rng.randint(1, 2)
        lines.append(delimiter.join(cells))
    text = newline.join(lines) + (newline if rng.random() < 0.8 else "")
    if "sep-hint" in faults:
        text = f"sep={delimiter}{newline}" + text
    return text


def table_sample(seed: int) -> TableSample:
    """The table of ``seed``: the same seed gives the same table and options."""
    rng = random.Random(seed)
    xlsx = rng.random() < 0.3
    faults = {fault for fault, chance in (
        ("extra-cell", 0.05), ("missing-cell", 0.04), ("trailing", 0.1), ("open-quote", 0.03),
        ("after-quote", 0.03), ("duplicate-column", 0.03), ("title", 0.03), ("header-only", 0.03),
        ("empty", 0.02), ("sep-hint", 0.06), ("missing-text-column", 0.03), ("missing-id-column", 0.03),
        ("personal-id", 0.03), ("bad-sheet", 0.04 if xlsx else 0.0), ("merged", 0.25 if xlsx else 0.0),
        ("blank-rows", 0.3), ("unnamed", 0.2),
    ) if rng.random() < chance}
    texts = rng.sample(_TEXT_NAMES, rng.choice([1, 1, 1, 2, 3]))
    attributes = rng.sample(_ATTRIBUTES, rng.randint(0, 4))
    id_name = rng.choice(_ID_NAMES) if rng.random() < 0.7 else None
    survey = rng.random() < 0.35
    if survey:
        layout, header_rows, kinds, _ = _survey(rng, texts, attributes, id_name)
    else:
        layout = "plain"
        names = ([id_name] if id_name else []) + attributes + texts
        kinds = (["id"] if id_name else []) + ["attribute"] * len(attributes) + ["text"] * len(texts)
        order = list(range(len(names)))
        rng.shuffle(order)
        names, kinds = [names[i] for i in order], [kinds[i] for i in order]
        header_rows = [names]
    header = header_rows[0]
    if "unnamed" in faults:
        at = rng.randrange(len(header) + 1)
        for row in header_rows:
            row.insert(at, "")
        kinds.insert(at, "unnamed")
    if "duplicate-column" in faults and len(header) > 1:
        header[rng.randrange(1, len(header))] = header[0]
    rows: list[list[Any]] = [list(r) for r in header_rows]
    ids: list[str] = []
    for n in range(0 if "header-only" in faults else rng.randint(1, 7)):
        if "blank-rows" in faults and rng.random() < 0.3:
            rows.append([""] * len(kinds))
        rows.append([_cell(rng, kind, n + 1, ids) for kind in kinds])
    if "blank-rows" in faults and rng.random() < 0.5:
        rows.append([""] * len(kinds))
    if "title" in faults:
        rows.insert(0, ["Export enquête 2025"])
    if "empty" in faults:
        rows = [] if rng.random() < 0.5 else [[""], [""]]

    options: dict[str, Any] = {}
    text_names = [header[kinds.index("text")]] if "text" in kinds else []
    if survey and layout.startswith("qualtrics") or layout == "legacy":
        named = [i for i, k in enumerate(kinds) if k == "text"]
        if named and len(header_rows) > 1 and rng.random() < 0.4:
            text_names = [header_rows[1][named[0]]]  # named by its question text
    roll = rng.random()
    if roll < 0.1:
        pass  # guessed from the column names
    elif roll < 0.35 and len([k for k in kinds if k == "text"]) > 1:
        options["text_columns"] = [header[i] for i, k in enumerate(kinds) if k == "text"]
    elif text_names:
        options["text_columns"] = [rng.choice([text_names[0], text_names[0].upper(), f" {text_names[0]} "])]
    if "missing-text-column" in faults:
        options["text_columns"] = ["bestaat_niet"]
    if "id" in kinds and rng.random() < 0.7:
        options["id_column"] = header[kinds.index("id")]
    elif "id2" in kinds and rng.random() < 0.5:
        options["id_column"] = header[kinds.index("id2")]
    if "missing-id-column" in faults:
        options["id_column"] = "geen_id"
    if "personal-id" in faults:
        options["id_column"] = "E-mail" if "E-mail" in header else header[0]
    if rng.random() < 0.15 and attributes:
        options["case_column"] = rng.choice(attributes)
    if rng.random() < 0.2:
        options["keep_columns"] = rng.sample(["E-mail", "naam", "IPAddress", "IP Address", "Email", "niet_er"],
                                             rng.randint(1, 2))
    import_options: dict[str, Any] = {}
    if rng.random() < 0.2:
        import_options["unit"] = rng.choice(["paragraph", "sentence"])
    if rng.random() < 0.1:
        import_options["max_words"] = 5
    if rng.random() < 0.15:
        import_options["study"] = "s1"

    name = f"tabel-{seed:03d}." + ("xlsx" if xlsx else "csv")
    if xlsx:
        cells = [[_typed(rng, v) for v in row] for row in rows]
        merged: list[str] = []
        if "merged" in faults and rows:
            column = rng.randrange(1, 4)
            letter = "ABCD"[column - 1]
            first = rng.randrange(1, max(2, len(rows)))
            merged.append(f"{letter}{first}:{letter}{first + 1}")
        sheets = ["Uitleg"] if rng.random() < 0.2 else []
        if "bad-sheet" in faults:
            options["sheet"] = "Blad9"
        elif sheets:
            options["sheet"] = "Antwoorden"
        return TableSample(name, cells, options, import_options, merged=merged, sheets=sheets)
    delimiter = rng.choice([",", ";", "\t", ";"])
    text = _csv_text(rng, rows, delimiter, faults)
    roll = rng.random()
    if roll < 0.1:
        data = b"\xef\xbb\xbf" + text.encode("utf-8")
    elif roll < 0.2:
        data = text.encode("cp1252", errors="replace")
    elif roll < 0.23:
        data = text.encode("utf-16")
    else:
        data = text.encode("utf-8")
    if rng.random() < 0.05:
        options["encoding"] = rng.choice(["latin-1", "utf-8", "cp1252"])
    return TableSample(name, rows, options, import_options, csv_bytes=data)


def read_output(sample: TableSample, path: Path) -> dict[str, Any]:
    """What the table reader makes of ``path`` (the document, or the error), as JSON-able data."""
    from qualcode.errors import QualcodeError
    from qualcode.ingest.importers import read_document

    try:
        docs = read_document(path, **sample.options)
    except QualcodeError as error:
        return {"error": f"{type(error).__name__}: {error}"}
    return {"documents": [{
        "name": d.name, "format": d.format, "text": d.text, "notes": list(d.notes), "warnings": list(d.warnings),
        "turns": [[t.start, t.end, t.speaker, t.start_time, t.end_time, t.source_row, t.case_id,
                   [[k, repr(v)] for k, v in t.attributes.items()], t.boilerplate]
                  for t in d.turns],
    } for d in docs]}


def grid_output(path: Path, **options: Any) -> dict[str, Any]:
    """What :func:`read_grid` makes of ``path`` (the grid, or the error), as JSON-able data."""
    from qualcode.errors import QualcodeError
    from qualcode.ingest.importers.table import read_grid

    try:
        grid = read_grid(path, path.read_bytes(), **options)
    except QualcodeError as error:
        return {"error": f"{type(error).__name__}: {error}"}
    return {"name": grid.name, "columns": list(grid.columns), "labels": list(grid.labels), "layout": grid.layout,
            "header_rows": list(grid.header_rows), "merged": list(grid.merged), "decimal_comma": grid.decimal_comma,
            "rows": [[number, [repr(v) for v in values]] for number, values in grid.rows]}  # repr tells 1, 1.0, True, "1" apart


def store_output(sample: TableSample, path: Path, project_path: Path) -> dict[str, Any]:
    """What an import of ``path`` writes into a new project (cases, attributes, segments, documents) and
    reports, or the error, as JSON-able data."""
    from qualcode.errors import QualcodeError
    from qualcode.project import Project

    if "sheet" in sample.options:
        return {"skipped": "an import reads the first sheet (no --sheet)"}
    with Project.init(project_path) as project:
        try:
            report = project.import_files([path], **sample.options, **sample.import_options)
        except QualcodeError as error:
            return {"error": f"{type(error).__name__}: {error}"}
        con = project.con

        def rows(sql: str) -> list[list[Any]]:
            return [list(r) for r in con.execute(sql)]

        return {
            "report": {"cases_created": report.cases_created, "cases_updated": report.cases_updated,
                       "notes": report.notes, "warnings": report.warnings,
                       "files": [[f.name, f.segments, f.skipped_reason] for f in report.files]},
            "documents": rows("SELECT d.id, d.name, d.format, d.text, d.unit, s.name FROM documents d "
                              "LEFT JOIN studies s ON s.id = d.study_id ORDER BY d.id"),
            "cases": rows("SELECT c.rowid, c.id, c.pseudonym, c.role, s.name FROM cases c "
                          "LEFT JOIN studies s ON s.id = c.study_id ORDER BY c.rowid"),
            "attributes": rows("SELECT rowid, case_id, name, value, type FROM case_attributes ORDER BY rowid"),
            "segments": rows('SELECT id, document_id, position, start, "end", speaker, case_id, kind, to_code, '
                             "start_time, end_time, source_row FROM segments ORDER BY id"),
        }



def _csv(name: str, text: str, **options: Any) -> TableSample:
    return TableSample(name, [], options, csv_bytes=text.encode("utf-8"))


# Two or more faults in one table: which one is reported (the reading of the whole table comes first:
# a CSV fault anywhere, then a row of the wrong width, then the header, the columns named, the ids).
COMBINATIONS = [
    _csv("c01.csv", 'id,antwoord,groep\n1,a,A\n2,b,c,d\n3,"open,B\n'),  # width, then an open quote
    _csv("c02.csv", "id,antwoord,groep\n1,a,A\n2,b,c,d\n", text_columns=["nergens"]),  # width, missing column
    _csv("c03.csv", 'id,antwoord,antwoord\n1,a,b\n2,"c" d,e\n'),  # duplicate column, text after a quote
    _csv("c04.csv", "id,antwoord\nR1,a\nR1,b\n", text_columns=["nergens"], id_column="id"),
    _csv("c05.csv", "id,antwoord,groep\n,a,A\n2,b,B\n3,c\n", id_column="id"),  # no id, then a cell missing
    _csv("c06.csv", 'id,antwoord\nR1,a\nR1,b\nR3,"c\n', id_column="id"),  # duplicate id, open quote
    _csv("c07.csv", "E-mail,antwoord\na@b,x\nc@d,y,z\n", id_column="E-mail"),  # personal id, width
    _csv("c08.csv", "id,antwoord\nR1,\nR1,\n", id_column="id"),  # no text and a duplicate id
    _csv("c09.csv", "Titel\nid,antwoord\n1,a\n", text_columns=["nergens"]),  # a title, missing column
    _csv("c10.csv", "id,antwoord,antwoord\n1,a,b\n", text_columns=["nergens"]),  # duplicate and missing column
    _csv("c11.csv", "id,antwoord\n,a\nR2,b\nR2,c\n", id_column="id"),  # no id before a duplicate
    _csv("c12.csv", "id,antwoord\nR1,a\nR2,b\nR2,c\n,d\n", id_column="id"),  # a duplicate before no id
    _csv("c13.csv", "id,antwoord\n1,a\n2,b\n", id_column="nergens", case_column="ook niet"),
    _csv("c14.csv", "naam,antwoord\nJan,a\n", case_column="naam", id_column="nergens"),
    _csv("c15.csv", "id;antwoord;groep\n\n1;a;A\n\n\n2;;B\n3;c;\n\n", id_column="id"),  # blank rows: numbers
    _csv("c16.csv", "\n\n", text_columns=["antwoord"]),  # nothing but blank lines
    _csv("c17.csv", ',antwoord,\n,a,x\n,b,\n3,c,\n'),  # unnamed columns with values
    _csv("c18.csv", "StartDate,ResponseId,Status,Q1_TEXT\nStart Date,Response ID,Response Type,Vraag?\n"
                    "2025,R_1,Survey Preview,a\n2025,R_2,IP Address,\n2025,R_3,Spam,c\n"),
    _csv("c19.csv", "StartDate,ResponseId,Status,Q1_TEXT\nStart Date,Response ID,Response Type,Vraag?\n"),
    _csv("c20.csv", 'id,antwoord\n1,"a\n', text_columns=["nergens"]),  # an open quote and a missing column
]
