"""Importers: one contract over every format, then the awkward cases of each.

Fixtures are written by the tests into tmp_path; no binary files are committed.
"""
from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.errors import CasesFileError, ImportFormatError, QualcodeError
from qualcode.ingest.importers import SUPPORTED_EXTENSIONS, read_cases_file, read_document
from qualcode.ingest.importers.encoding import decode_bytes
from qualcode.ingest.importers.turns import find_turns, parse_timestamp

Turns = list[tuple[str | None, str]]

INTERVIEW: Turns = [
    ("Interviewer", "Hoe ziet uw werkweek eruit sinds de school AI gebruikt?"),
    ("Marieke de Vries", "Drukker, eerlijk gezegd. Ik controleer de “slimme” feedback – dat kost tijd 😅"),
    ("Interviewer", "En de gesprekken in het café met collega’s?"),
    ("Marieke de Vries", "Die schieten erbij in; één collega zei: ‘geen tijd meer’. Jammer, want dat is het leukste."),
]
# "Tweede punt:" must not become a speaker: it is a label once, in prose.
PARAGRAPHS: Turns = [
    (None, "Groep 3 vond dat AI de werkdruk kan verlagen, vooral bij het nakijken."),
    (None, "Tweede punt: zorgen over autonomie – “wie beslist er straks?” 😟 Daarover was geen overeenstemming."),
]
HUGE = "woord " * 33_333 + "einde"  # > 200,000 characters on one line
HUGE_INTERVIEW: Turns = [INTERVIEW[0], ("Marieke de Vries", HUGE), INTERVIEW[2], INTERVIEW[3]]
# Names written surname first with an affiliation, a speaker who speaks once, an inline
# timestamp and a colon inside a turn: none of it may become (or hide) a speaker.
NAMES: Turns = [
    ("Vries, Marieke de", "Sinds de AI-pilot kijk ik minder na."),
    ("Bakker, J. (Universiteit Utrecht)", "Wat doet u met de tijd die dat oplevert?"),
    ("Vries, Marieke de", "Eerlijk gezegd [00:12:00] gaat die op aan het dashboard: grafiekjes bekijken."),
    ("Onderwijsassistent", "Ik zie juist dat de juf meer tijd heeft voor het groepje aan de instructietafel."),
]
EXCEL_CELL_MAX = 32_767
CONTENTS = {"interview": INTERVIEW, "paragraphs": PARAGRAPHS, "huge": HUGE_INTERVIEW, "names": NAMES}
TABLE_CONTENTS = ("interview", "paragraphs", "huge")  # a table pairs question and answer columns


def _encode(text: str, variant: str) -> bytes:
    if variant == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8")
    if variant == "bom":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    return text.encode("utf-8")


def _stamp(index: int) -> str:
    return f"00:00:{index * 5:02d}"


def write_txt(path: Path, turns: Turns, variant: str) -> dict:
    if turns[0][0] is None:
        body = "\n\n".join(text for _, text in turns)
    else:  # timestamps on some lines, and a preamble-free plain form on others
        body = "\n".join(
            f"[{_stamp(i)}] {speaker}: {text}" if i % 2 else f"{speaker}: {text}"
            for i, (speaker, text) in enumerate(turns)
        )
    path.write_bytes(_encode(body + "\n", variant))
    return {}


def write_md(path: Path, turns: Turns, variant: str) -> dict:
    body = "\n\n".join(
        f"**{speaker}:** {text}" if speaker else text for speaker, text in turns
    )
    path.write_bytes(_encode(body + "\n", variant))
    return {}


def write_docx(path: Path, turns: Turns, variant: str) -> dict:
    import docx

    document = docx.Document()
    for speaker, text in turns:
        paragraph = document.add_paragraph()
        if speaker:
            paragraph.add_run(f"{speaker}:").bold = True
            paragraph.add_run(" ")
        paragraph.add_run(text)
    document.save(path)
    return {}


def write_odt(path: Path, turns: Turns, variant: str) -> dict:
    from odf.opendocument import OpenDocumentText
    from odf.text import LineBreak, P, S

    document = OpenDocumentText()
    for speaker, text in turns:
        paragraph = P()
        if speaker:
            paragraph.addText(f"{speaker}:")
            paragraph.addElement(S(c=2))  # LibreOffice writes runs of spaces as <text:s text:c="2"/>
        paragraph.addText(text)
        document.text.addElement(paragraph)
    if turns[0][0] is None:  # a line break inside the last paragraph stays in it
        document.text.childNodes[-1].addElement(LineBreak())
    document.save(str(path))
    return {}


def _rtf_escape(text: str) -> str:
    out = []
    for char in text:
        if char in "\\{}":
            out.append("\\" + char)
        elif ord(char) < 128:
            out.append(char)
        else:
            for unit in range(0, len(char.encode("utf-16-le")), 2):
                value = int.from_bytes(char.encode("utf-16-le")[unit:unit + 2], "little")
                out.append(f"\\u{value - 65536 if value > 32767 else value}?")
    return "".join(out)


def write_rtf(path: Path, turns: Turns, variant: str) -> dict:
    body = "".join(
        ("{\\b " + _rtf_escape(speaker) + ":} " if speaker else "") + _rtf_escape(text) + "\\par\n"
        + ("\\par\n" if speaker is None else "")
        for speaker, text in turns
    )
    rtf = "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Calibri;}}\n\\f0\\fs22 " + body + "}\n"
    path.write_bytes(_encode(rtf, variant))
    return {}


def _cues(turns: Turns, voice: Callable[[str | None, str], str], vtt: bool) -> list[str]:
    separator = "." if vtt else ","
    blocks = []
    for index, (speaker, text) in enumerate(turns):
        # Speaker-less cues get a pause between them, so each is its own paragraph.
        start, end = index * 5, index * 5 + 2
        timing = f"00:00:{start:02d}{separator}000 --> 00:00:{end:02d}{separator}500"
        blocks.append(f"{timing}\n{voice(speaker, text)}")
    return blocks


def write_vtt_teams(path: Path, turns: Turns, variant: str) -> dict:
    cues = _cues(turns, lambda s, t: f"<v {s}>{t}</v>" if s else t, vtt=True)
    body = "WEBVTT\n\n" + "\n\n".join(
        f"3f2a9c1e-8b7d-4e0f-a1b2-c3d4e5f6a7b8/{i}-0\n{cue}" for i, cue in enumerate(cues)
    )
    path.write_bytes(_encode(body + "\n", variant))
    return {}


def write_vtt_zoom(path: Path, turns: Turns, variant: str) -> dict:
    cues = _cues(turns, lambda s, t: f"{s}: {t}" if s else t, vtt=True)
    body = "WEBVTT\n\n" + "\n\n".join(f"{i + 1}\n{cue}" for i, cue in enumerate(cues))
    path.write_bytes(_encode(body + "\n", variant))
    return {}


def write_srt(path: Path, turns: Turns, variant: str) -> dict:
    cues = _cues(turns, lambda s, t: f"{s}: {t}" if s else t, vtt=False)
    body = "\n\n".join(f"{i + 1}\n{cue}" for i, cue in enumerate(cues))
    path.write_bytes(_encode(body + "\n", variant))
    return {}


def _table(turns: Turns) -> tuple[list[list[object]], dict]:
    """An interview as question/answer pairs, one row each; paragraphs as one text column."""
    if turns[0][0] is None:
        rows = [["id", "school", "tekst"]] + [
            [f"G{i + 1}", "De Linde", text] for i, (_, text) in enumerate(turns)
        ]
        return rows, {}
    speakers = list(dict.fromkeys(speaker for speaker, _ in turns))
    rows = [["id", *speakers, "wave"]] + [
        [f"R{i + 1}", turns[i][1], turns[i + 1][1], 2025] for i in range(0, len(turns), 2)
    ]
    return rows, {"text_columns": speakers, "id_column": "id"}


def write_csv(path: Path, turns: Turns, variant: str) -> dict:
    rows, options = _table(turns)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\n").writerows(rows)
    path.write_bytes(_encode(buffer.getvalue(), variant))
    return options


def write_xlsx(path: Path, turns: Turns, variant: str) -> dict:
    import openpyxl

    rows, options = _table(turns)
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return options


def _clock(index: int, base: int = 0) -> str:
    seconds = base + index * 5
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _plain_paragraphs(path: Path, turns: Turns, variant: str) -> bool:
    """Speaker-less content is written as paragraphs by every transcript tool."""
    if turns[0][0] is not None:
        return False
    path.write_bytes(_encode("\n\n".join(text for _, text in turns) + "\n", variant))
    return True


def _layout_writer(render: Callable[[int, str, str], str], preamble: str = "", footer: str = "",
                   separator: str = "\n") -> Callable[[Path, Turns, str], dict]:
    """A .txt in a transcript tool's layout: ``render(index, speaker, text)`` per turn."""
    def write(path: Path, turns: Turns, variant: str) -> dict:
        if not _plain_paragraphs(path, turns, variant):
            body = separator.join(render(i, speaker or "", text) for i, (speaker, text) in enumerate(turns))
            path.write_bytes(_encode(preamble + body + footer, variant))
        return {}

    return write


def _cue_time(index: int, end: bool = False, style: str = "teams") -> str:
    seconds = index * 5 + (2 if end else 0)
    if style == "teams":  # old Teams: 0:0:5.230
        return f"0:{seconds // 60}:{seconds % 60}.{230 if end else 0}"
    return f"{seconds // 60:02d}:{seconds % 60:02d}.{500 if end else 0:03d}"  # Whisper: 00:05.000


def _timed_writer(render: Callable[[int, str | None, str], str]) -> Callable[[Path, Turns, str], dict]:
    """Timed-cue layouts (Whisper, old Teams): speaker-less content is timed too."""
    def write(path: Path, turns: Turns, variant: str) -> dict:
        body = "".join(render(i, speaker, text) for i, (speaker, text) in enumerate(turns))
        path.write_bytes(_encode(body, variant))
        return {}

    return write


def _docx_lines_writer(render: Callable[[int, str | None, str], list[str]]) -> Callable[[Path, Turns, str], dict]:
    """A Word transcript whose paragraphs are the lines of a tool's layout."""
    def write(path: Path, turns: Turns, variant: str) -> dict:
        import docx

        document = docx.Document()
        for i, (speaker, text) in enumerate(turns):
            for line in render(i, speaker, text):
                document.add_paragraph(line)
        document.save(path)
        return {}

    return write


TRANSCRIPT_LAYOUTS = {
    # Zoom's cloud-recording page, copied: avatar line, name, time, text.
    "txt-zoom-web": (".txt", _layout_writer(lambda i, s, t: f"user avatar\n{s}\n{_clock(i, 382)}\n{t}\n")),
    # Zoom's "Save transcript" in the meeting: [Name] clock time, text below.
    "txt-zoom-saved": (".txt", _layout_writer(lambda i, s, t: f"[{s}] {_clock(i, 39729)}\n{t}\n")),
    # Otter.ai: "Name  0:22", text, blank line.
    "txt-otter": (".txt", _layout_writer(lambda i, s, t: f"{s}  {i // 60}:{i * 5 % 60:02d}\n{t}\n",
                                         separator="\n")),
    # Rev: "Name (00:05):" then the text.
    "txt-rev": (".txt", _layout_writer(lambda i, s, t: f"{s} ({_clock(i)[3:]}):\n{t}\n")),
    # Sonix / Descript plain text: "Name: [00:00:05] text"; Descript Markdown: "**Name:** [00:00:05] text".
    "txt-sonix": (".txt", _layout_writer(lambda i, s, t: f"{s}: [{_clock(i)}] {t}\n")),
    "md-descript": (".md", _layout_writer(lambda i, s, t: f"**{s}:** [{_clock(i)}] {t}\n", separator="\n")),
    # f4 / MAXQDA transcription rules: "Name: text #00:00:05-3#".
    "txt-f4": (".txt", _layout_writer(lambda i, s, t: f"{s}: {t} #{_clock(i + 1)}-3#\n", separator="\n")),
    # Old Teams transcript (.txt and .docx): timing line, name line, text line.
    "txt-teams-old": (".txt", _timed_writer(
        lambda i, s, t: f"{_cue_time(i)} --> {_cue_time(i, True)}\n" + (f"{s}\n" if s else "") + f"{t}\n\n")),
    "docx-teams-old": (".docx", _docx_lines_writer(
        lambda i, s, t: [f"{_cue_time(i)} --> {_cue_time(i, True)}"] + ([s] if s else []) + [t, ""])),
    # New Teams .docx: "Name   0:03" then the text; Word's Transcribe: "00:00:03 Name" then the text.
    "docx-teams-new": (".docx", _docx_lines_writer(
        lambda i, s, t: ([f"{s}   {i // 60}:{i * 5 % 60:02d}"] if s else []) + [t])),
    "docx-word-transcribe": (".docx", _docx_lines_writer(
        lambda i, s, t: ([f"{_clock(i)} {s}"] if s else []) + [t])),
    # Whisper .txt (WhisperX adds the speaker): "[00:05.000 --> 00:07.500]  text".
    "txt-whisper": (".txt", _timed_writer(
        lambda i, s, t: f"[{_cue_time(i, style='w')} --> {_cue_time(i, True, 'w')}]  " + (f"{s}: " if s else "")
        + f"{t}\n")),
}


# Survey exports as the tools write them: extra header rows, metadata and personal-data columns.
# Each keeps the answers of _table() and adds what the tool adds; a personal-data value is
# "PII-<column>", so a test can look for it in every export.
def _qualtrics(rows: list[list[object]], options: dict) -> tuple[list[list[object]], dict]:
    header, data = rows[0], rows[1:]
    meta = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
            "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
            "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"]
    texts = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
             "Finished", "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name",
             "Recipient Email", "External Data Reference", "Location Latitude", "Location Longitude",
             "Distribution Channel", "User Language"]
    import_ids = [f'{{"ImportId":"{name[0].lower() + name[1:]}"}}' for name in meta]
    out = [meta + header, texts + [f"Vraag: {c}?" for c in header],
           import_ids + [f'{{"ImportId":"QID{i + 1}_TEXT"}}' for i in range(len(header))]]
    for n, row in enumerate(data):
        out.append(["2025-03-01 10:00:00", "2025-03-01 10:09:00", "IP Address", f"PII-IPAddress{n}", 100, 540,
                    "True", "2025-03-01 10:09:01", f"R_{n}x8Jd", f"PII-RecipientLastName{n}",
                    f"PII-RecipientFirstName{n}", f"PII-RecipientEmail{n}", f"PII-ExternalReference{n}",
                    f"PII-LocationLatitude{n}", f"PII-LocationLongitude{n}", "anonymous", "NL"] + row)
    # the text columns named by their question text, as a user copies it from the survey
    named = {**options, "text_columns": [f"Vraag: {c}?" for c in options["text_columns"]]} \
        if "text_columns" in options else options
    return out, named


def _qualtrics_legacy(rows: list[list[object]], options: dict) -> tuple[list[list[object]], dict]:
    header, data = rows[0], rows[1:]
    legacy = ["ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress", "IPAddress", "Status",
              "StartDate", "EndDate", "Finished"]
    out = [[f"V{i + 1}" for i in range(len(legacy))] + header + ["LocationLatitude", "LocationLongitude"],
           legacy + [f"Vraag: {c}?" for c in header] + ["LocationLatitude", "LocationLongitude"]]
    for n, row in enumerate(data):
        out.append([f"R_{n}", "Default Response Set", f"PII-Name{n}", "", f"PII-EmailAddress{n}",
                    f"PII-IPAddress{n}", 0, "2016-03-01 10:00:00", "2016-03-01 10:09:00", 1] + row
                   + [f"PII-LocationLatitude{n}", f"PII-LocationLongitude{n}"])
    return out, options


def _surveymonkey(rows: list[list[object]], options: dict) -> tuple[list[list[object]], dict]:
    header, data = rows[0], rows[1:]
    meta = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
            "First Name", "Last Name", "Custom Data 1"]
    out = [meta + header + ["Welke tools gebruikt u?", ""],
           [""] * len(meta) + ["Open-Ended Response" if isinstance(c, str) and c != "id" else "Response"
                               for c in header] + ["ChatGPT", "Copilot"]]
    for n, row in enumerate(data):
        out.append([11400000 + n, 2300001, "03/01/2025 10:00:00 AM", "03/01/2025 10:09:00 AM",
                    f"PII-IP Address{n}", f"PII-Email Address{n}", f"PII-First Name{n}", f"PII-Last Name{n}", ""]
                   + row + ["ChatGPT", ""])
    return out, options


def _google_forms(rows: list[list[object]], options: dict) -> tuple[list[list[object]], dict]:
    header, data = rows[0], rows[1:]
    out = [["Tijdstempel", "E-mailadres"] + header]
    out += [[f"2025/03/0{n + 1} 10:00:00 AM CET", f"PII-E-mailadres{n}"] + row for n, row in enumerate(data)]
    return out, options


def _own_id(rows: list[list[object]], options: dict) -> tuple[list[list[object]], dict]:
    """The tool writes an ``id`` column itself: the researcher's is called ``code``."""
    header = ["code" if c == "id" else c for c in rows[0]]
    return [header] + rows[1:], {**options, **({"id_column": "code"} if "id_column" in options else {})}


def _microsoft_forms(rows: list[list[object]], options: dict) -> tuple[list[list[object]], dict]:
    rows, options = _own_id(rows, options)
    header, data = rows[0], rows[1:]
    out = [["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"] + header]
    out += [[n + 1, "3/1/25 10:00:00", "3/1/25 10:09:00", f"PII-Email{n}", f"PII-Name{n}", ""] + row
            for n, row in enumerate(data)]
    return out, options


def _limesurvey(rows: list[list[object]], options: dict) -> tuple[list[list[object]], dict]:
    rows, options = _own_id(rows, options)
    header, data = rows[0], rows[1:]
    out = [["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr", "refurl"]
           + header]
    out += [[n + 1, "2025-03-01 10:09:00", 3, "nl", 12345, "2025-03-01 10:00:00", "2025-03-01 10:09:00",
             f"PII-ipaddr{n}", f"PII-refurl{n}"] + row for n, row in enumerate(data)]
    return out, options


SURVEYS = {"qualtrics": _qualtrics, "qualtrics-legacy": _qualtrics_legacy, "surveymonkey": _surveymonkey,
           "google-forms": _google_forms, "microsoft-forms": _microsoft_forms, "limesurvey": _limesurvey}


def _survey_writer(layout: str, suffix: str) -> Callable[[Path, Turns, str], dict]:
    def write(path: Path, turns: Turns, variant: str) -> dict:
        rows, options = SURVEYS[layout](*_table(turns))
        if suffix == ".xlsx":
            import openpyxl

            workbook = openpyxl.Workbook()
            for row in rows:
                workbook.active.append(row)
            workbook.save(path)
        else:  # the tools write comma-separated, every field quoted, CRLF
            buffer = io.StringIO()
            csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
            path.write_bytes(_encode(buffer.getvalue(), variant))
        return options

    return write


WRITERS = {
    "txt": (".txt", write_txt), "md": (".md", write_md), "docx": (".docx", write_docx),
    "vtt-teams": (".vtt", write_vtt_teams), "vtt-zoom": (".vtt", write_vtt_zoom),
    "srt": (".srt", write_srt), "csv": (".csv", write_csv), "xlsx": (".xlsx", write_xlsx),
    "odt": (".odt", write_odt), "rtf": (".rtf", write_rtf),
    "csv-qualtrics": (".csv", _survey_writer("qualtrics", ".csv")),
    "csv-qualtrics-legacy": (".csv", _survey_writer("qualtrics-legacy", ".csv")),
    "csv-surveymonkey": (".csv", _survey_writer("surveymonkey", ".csv")),
    "xlsx-surveymonkey": (".xlsx", _survey_writer("surveymonkey", ".xlsx")),
    "csv-google-forms": (".csv", _survey_writer("google-forms", ".csv")),
    "xlsx-microsoft-forms": (".xlsx", _survey_writer("microsoft-forms", ".xlsx")),
    "csv-limesurvey": (".csv", _survey_writer("limesurvey", ".csv")),
    **TRANSCRIPT_LAYOUTS,
}
BYTE_VARIANTS = ("plain", "crlf", "bom")
ZIP_FORMATS = {"docx", "xlsx", "odt", "xlsx-surveymonkey", "xlsx-microsoft-forms"}  # CRLF and BOM do not apply
ZIP_FORMATS |= {fmt for fmt, (suffix, _) in TRANSCRIPT_LAYOUTS.items() if suffix == ".docx"}
CONTRACT = [
    pytest.param(fmt, content, variant, id=f"{fmt}-{content}-{variant}")
    for fmt, (suffix, _) in WRITERS.items()
    for content in (TABLE_CONTENTS if suffix in (".csv", ".xlsx") else CONTENTS)
    for variant in (("plain",) if fmt in ZIP_FORMATS else BYTE_VARIANTS)
]


@pytest.mark.parametrize(("fmt", "content", "variant"), CONTRACT)
def test_every_format_keeps_the_contract(tmp_path: Path, fmt: str, content: str, variant: str) -> None:
    suffix, write = WRITERS[fmt]
    path = tmp_path / f"interview-01{suffix}"
    expected = CONTENTS[content]
    if suffix == ".xlsx":  # an Excel cell holds at most 32,767 characters
        expected = [(speaker, text[:EXCEL_CELL_MAX].rstrip()) for speaker, text in expected]
    options = write(path, expected, variant)

    documents = read_document(path, **options)

    assert len(documents) == 1
    document = documents[0]
    assert document.name == path.name
    assert document.format == suffix.lstrip(".")
    if fmt in TRANSCRIPT_LAYOUTS and content != "paragraphs" and fmt not in ("txt-f4",):
        assert all(turn.start_time is not None for turn in document.turns if turn.speaker), fmt
    assert "\r" not in document.text and "\ufeff" not in document.text
    found = [(turn.speaker, document.text[turn.start : turn.end]) for turn in document.turns]
    assert found == expected
    assert {turn.speaker for turn in document.turns} == {speaker for speaker, _ in expected}
    assert all(0 <= t.start < t.end <= len(document.text) for t in document.turns)
    assert all(a.end <= b.start for a, b in zip(document.turns, document.turns[1:]))
    if suffix in (".csv", ".xlsx"):  # every row its own respondent; no personal data as an attribute
        assert len({t.source_row for t in document.turns}) == len(document.turns) // max(1, len(options.get("text_columns", [1])))
        assert not any(str(v).startswith("PII-") for t in document.turns for v in t.attributes.values())
        layout = fmt.split("-", 1)[-1]
        if layout in SURVEYS:
            words = layout.split("-")
            assert any(all(word in note.casefold() for word in words) for note in document.notes), document.notes


def test_supported_extensions_are_the_contract_formats() -> None:
    # .pdf has its own test below: the contract's emoji cannot be written into a test PDF without a font file.
    assert set(SUPPORTED_EXTENSIONS) == {suffix for suffix, _ in WRITERS.values()} | {".pdf"}


# ----------------------------------------------------------------- errors, one line each


def _error(error_type: type[QualcodeError], call: Callable[[], object]) -> str:
    with pytest.raises(error_type) as raised:
        call()
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_unknown_extension_names_the_file_and_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "notes.key"
    path.write_text("x")
    message = _error(ImportFormatError, lambda: read_document(path))
    assert message.startswith("notes.key: cannot import the extension '.key'")
    assert ".docx" in message and ".vtt" in message


def test_old_word_file_is_told_to_be_saved_as_docx(tmp_path: Path) -> None:
    path = tmp_path / "int-02.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0rest")
    assert "save it as .docx" in _error(ImportFormatError, lambda: read_document(path))


def test_missing_file(tmp_path: Path) -> None:
    message = _error(ImportFormatError, lambda: read_document(tmp_path / "weg.txt"))
    assert "weg.txt: no such file" in message


# ----------------------------------------------------------------- encodings


def test_windows_1252_text(tmp_path: Path) -> None:
    path = tmp_path / "word-export.txt"
    path.write_bytes(b"R1: Het caf\xe9 is dicht, zegt ze\x92s morgens.\r\nI: Jammer.\r\n")
    [document] = read_document(path)
    assert [(t.speaker, document.text[t.start : t.end]) for t in document.turns] == [
        ("R1", "Het café is dicht, zegt ze’s morgens."), ("I", "Jammer."),
    ]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path: Path, encoding: str) -> None:
    bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
    path = tmp_path / "teams.txt"
    path.write_bytes(bom + "Interviewer: Één vraag?\r\nR1: Ja – “zeker” 😅\r\n".encode(encoding))
    [document] = read_document(path)
    assert document.text == "Interviewer: Één vraag?\nR1: Ja – “zeker” 😅\n"
    assert [document.text[t.start : t.end] for t in document.turns] == ["Één vraag?", "Ja – “zeker” 😅"]


def test_lone_carriage_returns_become_newlines() -> None:
    assert decode_bytes(b"I: a\rR: b\r", "old-mac.txt") == "I: a\nR: b\n"


@pytest.mark.parametrize("data, expected", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file, not text; export it as .txt (UTF-8) or .docx"),
    (b"PK\x03\x04\x14\x00\x00\x00", "is a zip archive (a .docx, .xlsx or .odt with another extension?), not text; "
                                 "give the file its real extension and import it again"),
])
def test_binary_file(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(data)
    message = _error(ImportFormatError, lambda: read_document(path))
    assert message == f"x.txt: {expected}"


@pytest.mark.parametrize("suffix", [".txt", ".md", ".vtt", ".srt", ".csv"])
@pytest.mark.parametrize("data", [b"", b"  \r\n\t\n", codecs.BOM_UTF8])
def test_empty_file(tmp_path: Path, suffix: str, data: bytes) -> None:
    path = tmp_path / f"leeg{suffix}"
    path.write_bytes(data)
    assert _error(ImportFormatError, lambda: read_document(path)).startswith(f"leeg{suffix}: the file is empty")


# ----------------------------------------------------------------- speaker turns in plain text


def _turns(text: str) -> list[tuple[str | None, str, float | None]]:
    return [(t.speaker, text[t.start : t.end], t.start_time) for t in find_turns(text)]


def test_turn_forms_continuation_and_blank_lines() -> None:
    text = (
        "Interview 3 – 12 maart 2025\n\n"
        "[00:01:23] Interviewer: Hoe gaat het?\n"
        "R1: Goed. Let op: dit loopt door\n"
        "op de volgende regel.\n\n"
        "En na een lege regel.\n"
        "Marieke de Vries   0:03\n"
        "Tekst op de volgende regel.\n"
        "00:02:00 Jan\n"
        "Jan praat.\n"
        "Jan (1:02:03): Nog iets.\n"
        "(00:00:07) I:   ruimte eromheen   \n"
    )
    assert _turns(text) == [
        (None, "Interview 3 – 12 maart 2025", None),
        ("Interviewer", "Hoe gaat het?", 83.0),
        ("R1", "Goed. Let op: dit loopt door\nop de volgende regel.\n\nEn na een lege regel.", None),
        ("Marieke de Vries", "Tekst op de volgende regel.", 3.0),
        ("Jan", "Jan praat.", 120.0),
        ("Jan", "Nog iets.", 3723.0),
        ("I", "ruimte eromheen", 7.0),
    ]


def test_a_label_used_once_in_prose_is_not_a_speaker() -> None:
    text = "Let op: dit is gewoon tekst.\nNog een zin.\n\nTweede alinea."
    assert _turns(text) == [(None, "Let op: dit is gewoon tekst.\nNog een zin.", None), (None, "Tweede alinea.", None)]


def test_a_repeated_label_is_a_speaker_a_sentence_is_not_and_one_who_speaks_once_is() -> None:
    text = "Petra: ja.\nDit is een lange zin die eindigt met: iets.\nPetra: nee.\nAnna van Dijk: oké.\n"
    # Anna speaks once, in a file where every turn is one "Name: text" line: a speaker.
    assert [s for s, _, _ in _turns(text)] == ["Petra", "Petra", "Anna van Dijk"]


@pytest.mark.parametrize(
    ("stamp", "seconds"),
    [("[00:01:23]", 83.0), ("00:01:23", 83.0), ("1:23", 83.0), ("(00:01:23)", 83.0), ("01:02:03,5", 3723.5), ("1:75", None)],
)
def test_parse_timestamp(stamp: str, seconds: float | None) -> None:
    assert parse_timestamp(stamp) == seconds


# ----------------------------------------------------------------- docx


def _docx_turns(path: Path) -> list[tuple[str | None, str]]:
    [document] = read_document(path)
    return [(t.speaker, document.text[t.start : t.end]) for t in document.turns]


def test_docx_bold_speaker_names(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Interview schoolleider 2", level=1)
    paragraph = document.add_paragraph()
    paragraph.add_run("Marieke:").bold = True
    paragraph.add_run(" Goedemorgen.")
    paragraph = document.add_paragraph()
    paragraph.add_run("Interviewer").bold = True  # no colon: the bold run is the label
    paragraph.add_run(" Hoe is het?")
    document.add_paragraph("Een tweede alinea van de interviewer.")
    paragraph = document.add_paragraph()
    paragraph.add_run("Marieke").bold = True
    paragraph.add_run(": Prima.")
    document.add_paragraph().add_run("Een vetgedrukte kop zonder dubbele punt").bold = True
    path = tmp_path / "int-02.docx"
    document.save(path)
    assert _docx_turns(path) == [
        (None, "Interview schoolleider 2"),
        ("Marieke", "Goedemorgen."),
        ("Interviewer", "Hoe is het?\nEen tweede alinea van de interviewer."),
        ("Marieke", "Prima.\nEen vetgedrukte kop zonder dubbele punt"),
    ]


def test_docx_table_of_speaker_and_text(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Transcript workshop groep 4")
    table = document.add_table(rows=0, cols=2)
    for speaker, text in [("Spreker", "Tekst"), ("Interviewer", "Wat vindt u?"), ("SL2", "Het scheelt tijd.\nMaar ook zorgen."), ("", "Vooral bij het nakijken.")]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = speaker, text
    timed = document.add_table(rows=0, cols=3)
    for stamp, speaker, text in [("00:10:00", "Interviewer", "Dank u."), ("00:10:05", "SL2", "Graag gedaan.")]:
        cells = timed.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = stamp, speaker, text
    path = tmp_path / "groep-4.docx"
    document.save(path)
    [parsed] = read_document(path)
    assert "Interviewer: Wat vindt u?\nSL2: Het scheelt tijd." in parsed.text
    assert [(t.speaker, parsed.text[t.start : t.end], t.start_time) for t in parsed.turns] == [
        (None, "Transcript workshop groep 4", None),
        ("Interviewer", "Wat vindt u?", None),
        ("SL2", "Het scheelt tijd.\nMaar ook zorgen.\nVooral bij het nakijken.", None),
        ("Interviewer", "Dank u.", 600.0),
        ("SL2", "Graag gedaan.", 605.0),
    ]


def test_docx_paragraphs_without_speakers_are_turns_each(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Eerste alinea.")
    document.add_paragraph("Tweede alinea.")
    path = tmp_path / "notities.docx"
    document.save(path)
    assert _docx_turns(path) == [(None, "Eerste alinea."), (None, "Tweede alinea.")]


def test_docx_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "int-03.docx"
    path.write_text("Interviewer: eigenlijk platte tekst")
    assert _error(ImportFormatError, lambda: read_document(path)) == (
        "int-03.docx: not a Word .docx file (it is not a zip archive); save it again as .docx from Word"
    )


def test_docx_that_is_another_zip(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "int-04.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hoi")
    assert _error(ImportFormatError, lambda: read_document(path)).startswith("int-04.docx: not a readable Word .docx file")


def test_empty_docx(tmp_path: Path) -> None:
    import docx

    path = tmp_path / "leeg.docx"
    docx.Document().save(path)
    assert "has no text" in _error(ImportFormatError, lambda: read_document(path))


# ----------------------------------------------------------------- subtitles


TEAMS_VTT = """WEBVTT
Kind: captions

NOTE
Dit transcript is gemaakt door Teams.
Ook: met een dubbele punt.

STYLE
::cue { color: lime }

a1b2c3-0
00:00:01.000 --> 00:00:03.000 align:start position:0%
<v Marieke de Vries>Goedemorgen &amp; welkom.</v>

a1b2c3-1
00:00:03.200 --> 00:00:05.500 line:90%
<v Marieke de Vries><c.yellow>Fijn</c> dat <i>u</i> er bent.</v>

a1b2c3-2
00:00:06.000 --> 00:00:07.000
<v Interviewer>Dank u.</v>

a1b2c3-3
00:00:08.000 --> 00:00:09.250
<v Marieke de Vries>Zullen we beginnen?</v>
"""


def test_vtt_merges_consecutive_cues_of_one_speaker(tmp_path: Path) -> None:
    path = tmp_path / "teams.vtt"
    path.write_text(TEAMS_VTT, encoding="utf-8")
    [document] = read_document(path)
    assert document.text == (
        "Marieke de Vries: Goedemorgen & welkom. Fijn dat u er bent.\n\n"
        "Interviewer: Dank u.\n\nMarieke de Vries: Zullen we beginnen?"
    )
    assert [(t.speaker, document.text[t.start : t.end], t.start_time, t.end_time) for t in document.turns] == [
        ("Marieke de Vries", "Goedemorgen & welkom. Fijn dat u er bent.", 1.0, 5.5),
        ("Interviewer", "Dank u.", 6.0, 7.0),
        ("Marieke de Vries", "Zullen we beginnen?", 8.0, 9.25),
    ]


def test_vtt_with_two_voices_in_one_cue(tmp_path: Path) -> None:
    path = tmp_path / "twee.vtt"
    path.write_text("WEBVTT\n\n00:01.000 --> 00:02.000\n<v Jan>Ja?</v>\n<v.loud Piet>Nee!</v>\n")
    [document] = read_document(path)
    assert [(t.speaker, document.text[t.start : t.end]) for t in document.turns] == [("Jan", "Ja?"), ("Piet", "Nee!")]


@pytest.mark.parametrize(
    ("name", "body", "line"),
    [
        ("geen-kop.vtt", "00:00:01.000 --> 00:00:02.000\nhoi\n", 1),
        ("kapot.vtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nhoi\n\n2\n00:00:0x.000 --> 00:00:03.000\nhallo\n", 8),
        ("pijl.vtt", "WEBVTT\n\nNOTE ok\n\n00:00:01.000 -> 00:00:02.000\nhoi\n", 6),
        ("kapot.srt", "1\n00:00:01,000 --> 00:00:02,000\nhoi\n\n2\nhallo\n", 6),
    ],
)
def test_malformed_subtitles_name_the_line(tmp_path: Path, name: str, body: str, line: int) -> None:
    path = tmp_path / name
    path.write_text(body)
    message = _error(ImportFormatError, lambda: read_document(path))
    assert message.startswith(f"{name}, line {line}: ")
    assert "WEBVTT" in message or "fix or delete that cue" in message


def test_zoom_speaker_prefixes_and_a_speaker_who_speaks_once(tmp_path: Path) -> None:
    path = tmp_path / "zoom.vtt"
    path.write_text(
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nJan Jansen: Hoi.\n\n"
        "2\n00:00:02.000 --> 00:00:03.000\nPiet: Ja: zeker.\n\n"
        "3\n00:00:03.000 --> 00:00:04.000\nJan Jansen: Mooi.\n"
    )
    [document] = read_document(path)
    assert [(t.speaker, document.text[t.start : t.end]) for t in document.turns] == [
        ("Jan Jansen", "Hoi."), ("Piet", "Ja: zeker."), ("Jan Jansen", "Mooi."),
    ]


# ----------------------------------------------------------------- tables


def test_csv_with_semicolons_types_attributes_and_keeps_row_ids(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes(
        "id;school;wave;cijfer;postcode;opmerking\r\n"
        "R1;De Linde;2025;7,5;0123;Meer tijd voor leerlingen.\r\n"
        "R2;Het Baken;2025;;;\r\n"
        "R3;;2024;8;;\"Twee regels\r\nmet ; erin\"\r\n".encode("cp1252")
    )
    [document] = read_document(path, id_column="id")  # the text column is found by its name
    assert document.text == "Meer tijd voor leerlingen.\n\nTwee regels\nmet ; erin"
    first, second = document.turns
    assert (first.speaker, first.source_row, first.case_id) == (None, "R1", "R1")
    assert first.attributes == {"school": "De Linde", "wave": 2025, "cijfer": 7.5, "postcode": "0123"}
    assert (second.source_row, second.attributes) == ("R3", {"wave": 2024, "cijfer": 8})


def test_table_defaults_row_numbers_and_case_column(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("groep,notitie\nG1,AI scheelt tijd.\nG2,Zorgen over toezicht.\n")
    [document] = read_document(path, text_columns=["notitie"], case_column="groep")
    assert [(t.source_row, t.case_id, t.attributes) for t in document.turns] == [("2", "G1", {}), ("3", "G2", {})]


def test_csv_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("id,school,opmerking\n1,X,hoi\n")
    assert _error(ImportFormatError, lambda: read_document(path, text_columns=["antwoord"])) == (
        "survey.csv: no column 'antwoord'; the columns are: id, school, opmerking; "
        "pass --text-column with one of them"
    )


@pytest.mark.parametrize("header", ["id,school", "id,antwoord,opmerking"])
def test_csv_text_column_cannot_be_guessed(tmp_path: Path, header: str) -> None:
    path = tmp_path / "survey.csv"
    path.write_text(f"{header}\n" + ",".join(["1"] + ["x"] * header.count(",")) + "\n")
    assert "pass --text-column" in _error(ImportFormatError, lambda: read_document(path))


def test_duplicated_row_ids(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("id,antwoord\nR1,a\nR2,b\nR1,c\n")
    assert _error(ImportFormatError, lambda: read_document(path, id_column="id")) == (
        "survey.csv: rows 2 and 4 have the same id 'R1' in column 'id'; "
        "make the ids unique or pass another --id-column"
    )


def test_xlsx_sheet_choice_and_errors(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.title = "Uitleg"
    workbook.active.append(["Dit blad is uitleg"])
    sheet = workbook.create_sheet("Antwoorden")
    sheet.append(["id", "antwoord", "score"])
    sheet.append([17, "Het scheelt tijd.", 3.5])
    path = tmp_path / "survey.xlsx"
    workbook.save(path)
    [document] = read_document(path, sheet="Antwoorden", id_column="id")
    [turn] = document.turns
    assert (turn.source_row, turn.attributes, document.text) == ("17", {"score": 3.5}, "Het scheelt tijd.")
    assert "the sheets are: Uitleg, Antwoorden; pass --sheet" in _error(
        ImportFormatError, lambda: read_document(path, sheet="Blad1")
    )
    broken = tmp_path / "broken.xlsx"
    broken.write_text("id;antwoord\n")
    assert _error(ImportFormatError, lambda: read_document(broken)).startswith(
        "broken.xlsx: not an Excel .xlsx file (it is not a zip archive)"
    )


# ----------------------------------------------------------------- cases file


def test_cases_file(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(
        "Case ID;document;speaker;pseudonym;role;school_type;wave\n"
        "R1;int-01.docx;Marieke de Vries;schoolleider 1;school leader;vo;2025\n"
        "I1;int-01.docx;Interviewer;;interviewer;;2025\n"
        "G3;;;;workshop group;po;2025\n"
    )
    rows = read_cases_file(path)
    assert [(r.case_id, r.document, r.speaker, r.pseudonym, r.role, r.row) for r in rows] == [
        ("R1", "int-01.docx", "Marieke de Vries", "schoolleider 1", "school leader", 2),
        ("I1", "int-01.docx", "Interviewer", None, "interviewer", 3),
        ("G3", None, None, None, "workshop group", 4),
    ]
    assert rows[0].attributes == {"role": "school leader", "school_type": "vo", "wave": 2025}
    assert [r.is_interviewer for r in rows] == [False, True, False]


def test_cases_file_xlsx_with_case_column(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["case", "speaker", "wave"])
    workbook.active.append(["R2", "R2", 2019])
    path = tmp_path / "cases.xlsx"
    workbook.save(path)
    [row] = read_cases_file(path)
    assert (row.case_id, row.speaker, row.attributes) == ("R2", "R2", {"wave": 2019})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("naam,role\nR1,expert\n", "cases.csv: no column 'case_id' (or 'case'); the columns are: naam, role; add a case_id column"),
        ("case_id,role\nR1,expert\n ,expert\n", "cases.csv, row 3: no case_id; fill it in or delete the row"),
        (
            "case_id,document,speaker\nR1,a.docx,Jan\nR2,a.docx,Jan\n",
            "cases.csv, row 3: speaker 'Jan' in document 'a.docx' is already case 'R1' (row 2), not 'R2'; keep one of the two rows",
        ),
    ],
)
def test_cases_file_errors(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(body)
    assert _error(CasesFileError, lambda: read_cases_file(path)) == expected


def test_cases_file_of_another_format(tmp_path: Path) -> None:
    path = tmp_path / "cases.txt"
    path.write_text("case_id\nR1\n")
    assert "must be .csv or .xlsx" in _error(CasesFileError, lambda: read_cases_file(path))


# ----------------------------------------------------------------- properties

_LINES = st.lists(
    st.one_of(
        st.sampled_from(["", "  ", "R1: ja", "I:", "[00:01:02] Jan: nee", "Jan 0:03", "Let op: x", "**Piet:** hoi",
                         "user avatar", "00:06:22", "[Jan] 11:02:09", "Jansen, Jan   0:03", "B: ja #00:00:01-2#",
                         "Transcribed by https://otter.ai", "Meeting title: x", "So I [00:12:00] got: x",
                         "Onderwijsassistent: eens", "[id1] tekst", "00:00:05 - Jan: ja"]),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_turn_spans_are_ordered_trimmed_and_inside_the_text(lines: list[str]) -> None:
    text = "\n".join(line.replace("\r", "") for line in lines)
    turns = find_turns(text)
    for turn in turns:
        span = text[turn.start : turn.end]
        assert span and span == span.strip()
    assert all(a.end <= b.start for a, b in zip(turns, turns[1:]))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_raise_a_one_line_import_error(data: bytes) -> None:
    try:
        text = decode_bytes(data, "x.txt")
    except ImportFormatError as error:
        assert "\n" not in str(error)
    else:
        assert "\r" not in text and text.strip()


# ----------------------------------------------------------------- layouts: the exact quirks


def test_a_speaker_who_speaks_once_and_header_fields(tmp_path: Path) -> None:
    # As in the sample's teamsessie-de-regenboog.txt: one line per turn, a role speaking once,
    # and a header line "Aanwezig: ..." that is not a speaker.
    text = (
        "Teamsessie ICT en werkdruk, basisschool De Regenboog\n"
        "Aanwezig: directeur, intern begeleider, negen leerkrachten. Verslag: gespreksleider.\n\n"
        "Gespreksleider: Wie wil beginnen?\n"
        "Leerkracht groep 5: Nou, ik begin wel. Het nakijken is grotendeels weg.\n"
        "Leerkracht groep 7: Bij mij hetzelfde.\n"
        "Onderwijsassistent: Ik zie eigenlijk het omgekeerde bij de kinderen die ik apart neem.\n"
        "Gespreksleider: Interessant.\n"
        "Leerkracht groep 7: Zeker.\n"
        "Leerkracht groep 5: Ja.\n"
    )
    assert [s for s, _, _ in _turns(text)] == [
        None, "Gespreksleider", "Leerkracht groep 5", "Leerkracht groep 7", "Onderwijsassistent",
        "Gespreksleider", "Leerkracht groep 7", "Leerkracht groep 5",
    ]
    assert _turns(text)[0][1].startswith("Teamsessie ICT") and "Aanwezig:" in _turns(text)[0][1]


def test_prose_with_one_colon_label_stays_prose() -> None:
    text = ("Het team begon positief over het digitale rapport en over Snappet.\n"
            "Let op: dit is een opmerking in een verslag zonder sprekers.\n"
            "Daarna kwam de andere kant, en dat werd het grootste deel van de sessie.\n")
    assert [s for s, _, _ in _turns(text)] == [None]


@pytest.mark.parametrize("line", [
    "So I [00:12:00] got laid off, and then: nothing.",
    "Eerlijk gezegd 12:00 uur: toen begon het.",
    "(00:12:00) en toen zei ze: dat nooit.",
])
def test_text_before_an_inline_timestamp_is_never_a_speaker(line: str) -> None:
    text = f"Interviewer: What happened?\n{line}\nInterviewer: And then?\nR1: Nothing.\n"
    turns = _turns(text)
    assert [s for s, _, _ in turns] == ["Interviewer", "Interviewer", "R1"]
    assert turns[0][1] == f"What happened?\n{line}"


def test_descript_inline_minute_marks_are_not_speakers(tmp_path: Path) -> None:
    path = tmp_path / "descript.md"
    path.write_text(
        "**Jane Doe:** [00:00:00] Welcome. Today we talk about AI in schools.\n\n"
        "[00:01:00] So the question is this: what changes for teachers?\n\n"
        "[00:02:00] It is mostly about time, and about marking.\n\n"
        "**John Smith:** [00:02:05] Thanks for having me.\n\n"
        "[00:03:00] Well, one thing: the dashboards.\n", encoding="utf-8")
    [document] = read_document(path)
    assert [(t.speaker, t.start_time) for t in document.turns] == [("Jane Doe", 0.0), ("John Smith", 125.0)]
    assert document.text[document.turns[0].start:document.turns[0].end].endswith("about marking.")


def test_zoom_vtt_with_guid_ids_crlf_surname_first_and_trailing_meeting_cues(tmp_path: Path) -> None:
    cues = [("Jansen, Jan", "Goedemorgen allemaal."), ("Boer, Piet de (ROC)", "Hoi."),
            ("Jansen, Jan", "Zullen we beginnen?"), (None, "Meeting title: Teamoverleg AI"),
            (None, "Hosted by: Jansen, Jan")]
    blocks = ["WEBVTT"]
    for i, (speaker, text) in enumerate(cues):
        guid = f"{i:08x}-8b7d-4e0f-a1b2-c3d4e5f6a7b8"
        blocks.append(f"{guid}\n00:00:0{i}.000 --> 00:00:0{i}.900\n" + (f"{speaker}: " if speaker else "") + text)
    path = tmp_path / "zoom.vtt"
    path.write_bytes(("\r\n\r\n".join(blocks) + "\r\n").replace("\n", "\r\n").replace("\r\r", "\r").encode())
    [document] = read_document(path)
    assert [t.speaker for t in document.turns] == ["Jansen, Jan", "Boer, Piet de (ROC)", "Jansen, Jan", None]
    assert document.text[document.turns[-1].start:document.turns[-1].end] == (
        "Meeting title: Teamoverleg AI Hosted by: Jansen, Jan")


def test_whisper_txt_without_speakers_becomes_timed_paragraphs(tmp_path: Path) -> None:
    sentence = "dit is een zin over werkdruk en toetsen in de klas die doorloopt"
    lines = []
    for i in range(600):  # ~53,000 characters of continuous speech
        start, end = i * 4.04, i * 4.04 + 4.04
        end_mark = "." if i % 3 == 2 else ""
        lines.append(f"[{int(start // 60):02d}:{start % 60:06.3f} --> {int(end // 60):02d}:{end % 60:06.3f}]  "
                     f"{sentence.capitalize() if i % 3 == 0 else sentence}{end_mark}")
    path = tmp_path / "whisper.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [document] = read_document(path)
    assert len(document.text) > 35_000 and "-->" not in document.text
    words = [len(document.text[t.start:t.end].split()) for t in document.turns]
    assert len(document.turns) > 20 and max(words) <= 3 * 150
    assert all(t.speaker is None and t.start_time is not None and t.end_time is not None for t in document.turns)
    assert document.turns[1].start_time == pytest.approx(document.turns[0].end_time, abs=4.1)


def test_f4_end_marks_are_end_times(tmp_path: Path) -> None:
    path = tmp_path / "f4.txt"
    path.write_text("I: Wie gaat het? #00:00:05-3#\n\nB: Goed, dank u. #00:00:09-1#\n", encoding="utf-8")
    [document] = read_document(path)
    assert [(t.speaker, document.text[t.start:t.end], t.end_time) for t in document.turns] == [
        ("I", "Wie gaat het?", 5.3), ("B", "Goed, dank u.", 9.1)]


def test_speaker_pattern_for_a_house_style(tmp_path: Path) -> None:
    path = tmp_path / "huisstijl.txt"
    path.write_text("JAN > hallo daar\nPIET (00:01:02) > hoi\nvervolg van Piet\n", encoding="utf-8")
    [document] = read_document(path, speaker_pattern=r"(?P<speaker>[A-Z]+)(?: \((?P<time>[\d:]+)\))? > ")
    assert [(t.speaker, document.text[t.start:t.end], t.start_time) for t in document.turns] == [
        ("JAN", "hallo daar", None), ("PIET", "hoi\nvervolg van Piet", 62.0)]


@pytest.mark.parametrize(("pattern", "expected"), [
    ("(?P<speaker>[A-Z", "--speaker-pattern '(?P<speaker>[A-Z' is not a valid regular expression"),
    ("[A-Z]+:", "--speaker-pattern '[A-Z]+:' has no group named 'speaker'"),
])
def test_a_bad_speaker_pattern_is_refused(tmp_path: Path, pattern: str, expected: str) -> None:
    from qualcode.errors import UsageError

    path = tmp_path / "a.txt"
    path.write_text("A: b\n")
    assert _error(UsageError, lambda: read_document(path, speaker_pattern=pattern)).startswith(expected)


def test_undecidable_encoding_names_the_option(tmp_path: Path) -> None:
    path = tmp_path / "oud.txt"
    path.write_bytes("R1: Het café is dicht.\n".encode("cp1252") + b"I: \x81\x8d ok\n")
    message = _error(ImportFormatError, lambda: read_document(path))
    assert message.startswith("oud.txt: cannot tell the text encoding") and "--encoding" in message
    [document] = read_document(path, encoding="latin-1")
    assert document.text.startswith("R1: Het café is dicht.")


# ----------------------------------------------------------------- pdf (text layer)


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with one Helvetica text line per entry (WinAnsi: no emoji), as a word processor writes it."""
    def literal(line: str) -> bytes:
        return b"(" + line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"

    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    kids = []
    for lines in pages:
        stream = b"".join(b"BT /F1 11 Tf 72 %d Td " % (760 - 14 * i) + literal(line) + b" Tj ET\n"
                          for i, line in enumerate(lines))
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                       b"/Contents %d 0 R >>" % len(objects))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


ARTICLE = [[
    "Werkdruk en digitalisering in het basisonderwijs",
    "",
    "Leraren ervaren de administratieve last van digitale systemen als een belangrijke",
    "bron van werkdruk. Registratie in het leerlingvolgsysteem kost veel tijd, vooral",
    "rond de rapportperiode.",
    "Adaptieve software kan nakijkwerk verminderen, maar verschuift het werk naar het",
    "analyseren van dash-",
    "boards en het plannen van instructie.",
    "1",
], [
    "Ouderapps maken leraren altijd bereikbaar; scholen spreken daarom tijden af.",
    "Pagina 2 van 2",
]]


def test_pdf_text_layer_in_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "de-vries-2021.pdf"
    path.write_bytes(make_pdf(ARTICLE))
    [document] = read_document(path)
    assert document.format == "pdf"
    assert [document.text[t.start:t.end] for t in document.turns] == [
        "Werkdruk en digitalisering in het basisonderwijs",
        "Leraren ervaren de administratieve last van digitale systemen als een belangrijke bron van werkdruk. "
        "Registratie in het leerlingvolgsysteem kost veel tijd, vooral rond de rapportperiode.",
        "Adaptieve software kan nakijkwerk verminderen, maar verschuift het werk naar het analyseren van "
        "dashboards en het plannen van instructie.",
        "Ouderapps maken leraren altijd bereikbaar; scholen spreken daarom tijden af.",
    ]
    assert all(t.speaker is None for t in document.turns)


def test_pdf_interview_with_speakers(tmp_path: Path) -> None:
    path = tmp_path / "interview.pdf"
    path.write_bytes(make_pdf([["Interviewer: Wat doet AI met uw werk?", "R1: Het scheelt tijd bij het nakijken,",
                                "maar ik mis het gesprek.", "Interviewer: Dank u."]]))
    [document] = read_document(path)
    assert [(t.speaker, document.text[t.start:t.end]) for t in document.turns] == [
        ("Interviewer", "Wat doet AI met uw werk?"), ("R1", "Het scheelt tijd bij het nakijken, maar ik mis het gesprek."),
        ("Interviewer", "Dank u.")]


@pytest.mark.parametrize(("data", "expected"), [
    (make_pdf([[]]), "scan.pdf: the PDF has no text layer (it is a scan or an image); run OCR on it"),
    (b"not a pdf at all", "scan.pdf: not a PDF file (no %PDF header)"),
    (b"%PDF-1.4\n1 0 obj broken", "scan.pdf: not a readable PDF"),
])
def test_pdf_that_cannot_be_read(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    assert _error(ImportFormatError, lambda: read_document(path)).startswith(expected)


def test_odt_and_rtf_that_are_not_what_they_say(tmp_path: Path) -> None:
    odt = tmp_path / "a.odt"
    odt.write_text("platte tekst")
    assert _error(ImportFormatError, lambda: read_document(odt)).startswith("a.odt: not an OpenDocument .odt file")
    rtf = tmp_path / "a.rtf"
    rtf.write_text("platte tekst")
    assert _error(ImportFormatError, lambda: read_document(rtf)).startswith("a.rtf: not an RTF file")


def test_tool_footers_and_headers_are_not_part_of_a_turn(tmp_path: Path) -> None:
    path = tmp_path / "otter.txt"
    path.write_text("Jan Jansen started transcription\n\nJan Jansen  0:00\nGoedemorgen.\n\nPiet  0:05\nHoi.\n\n"
                    "Transcribed by https://otter.ai\n", encoding="utf-8")
    [document] = read_document(path)
    assert [(t.speaker, document.text[t.start:t.end], t.boilerplate) for t in document.turns] == [
        (None, "Jan Jansen started transcription", False), ("Jan Jansen", "Goedemorgen.", False),
        ("Piet", "Hoi.", False), (None, "Transcribed by https://otter.ai", True)]


def test_zoom_meeting_cues_are_kept_but_marked(tmp_path: Path) -> None:
    path = tmp_path / "zoom.vtt"
    path.write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nJan: Hoi.\n\n2\n00:00:02.000 --> 00:00:03.000\n"
                    "Piet: Ja.\n\n3\n00:09:00.000 --> 00:09:01.000\nMeeting title: Overleg\n", encoding="utf-8")
    [document] = read_document(path)
    assert [(t.speaker, t.boilerplate) for t in document.turns] == [("Jan", False), ("Piet", False), (None, True)]


def test_qualtrics_without_its_metadata_columns(tmp_path: Path) -> None:
    path = tmp_path / "qualtrics.xlsx"
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in (["Q1", "Q2_TEXT", "Q3"], ["Wat is uw functie?", "Wat vindt u van AI?", "Hoe oud bent u?"],
                ["leraar", "Het scheelt tijd.", 34], ["directeur", "Het kost tijd.", 51]):
        workbook.active.append(row)
    workbook.save(path)
    [document] = read_document(path, text_columns=["Wat vindt u van AI?"])
    assert [(document.text[t.start:t.end], t.source_row, t.attributes) for t in document.turns] == [
        ("Het scheelt tijd.", "3", {"Q1": "leraar", "Q3": 34}), ("Het kost tijd.", "4", {"Q1": "directeur", "Q3": 51})]


def test_a_plain_table_is_not_taken_for_a_survey(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("Q1,Q2\nantwoord een,3\nantwoord twee,4\n", encoding="utf-8")
    [document] = read_document(path, text_columns=["Q1"])
    assert [document.text[t.start:t.end] for t in document.turns] == ["antwoord een", "antwoord twee"]
    assert document.notes == ()


def test_qualtrics_preview_responses_are_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "qualtrics.csv"
    path.write_text(
        "StartDate,Status,ResponseId,DistributionChannel,Q1_TEXT\n"
        "Start Date,Response Type,Response ID,Distribution Channel,Wat vindt u?\n"
        '"{""ImportId"":""startDate""}","{""ImportId"":""status""}","{""ImportId"":""_recordId""}",'
        '"{""ImportId"":""distributionChannel""}","{""ImportId"":""QID1_TEXT""}"\n'
        "2025-03-01,Survey Preview,R_1,preview,test test\n2025-03-02,IP Address,R_2,anonymous,Het scheelt tijd.\n",
        encoding="utf-8")
    [document] = read_document(path, text_columns=["Q1_TEXT"])
    assert document.warnings == (
        "qualtrics.csv: row 4 hold(s) responses from the survey preview or a test (Status = Survey Preview / Spam, "
        "or DistributionChannel = preview/test), imported as respondents; delete those rows (or filter them out in "
        "the survey tool) and import again",)


def test_utf16_without_a_bom_names_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "teams.txt"
    path.write_bytes("Interviewer: Hoe gaat het?\nR1: Goed.\n".encode("utf-16-le"))
    assert _error(ImportFormatError, lambda: read_document(path)) == (
        "teams.txt: looks like UTF-16 text without a byte-order mark; pass --encoding utf-16-le (or save it as UTF-8)")
    [document] = read_document(path, encoding="utf-16-le")
    assert [t.speaker for t in document.turns] == ["Interviewer", "R1"]


def test_bold_header_fields_in_word_are_not_speakers(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for label, text in (("Datum:", " 12 maart 2025"), ("Aanwezig:", " Jan, Piet"), ("Interviewer:", " Hoe gaat het?"),
                        ("Jan:", " Goed."), ("Interviewer:", " Dank u.")):
        paragraph = document.add_paragraph()
        paragraph.add_run(label).bold = True
        paragraph.add_run(text)
    path = tmp_path / "verslag.docx"
    document.save(path)
    assert [s for s, _ in _docx_turns(path)] == [None, None, "Interviewer", "Jan", "Interviewer"]


@pytest.mark.parametrize(("text", "expected"), [
    # tl;dv Markdown: bold name, time in parentheses, text below; a bold header field above
    ("## Overleg\n**Date:** 2024-12-08\n\n**Jan Jansen** (00:00:00)\nHallo.\n\n**Piet** (00:01:30)\nHoi.\n",
     [(None, None), ("Jan Jansen", 0.0), ("Piet", 90.0)]),
    # Otter's "[0:00] Name:" header variant
    ("[0:00] Jan Jansen:\nHallo.\n[0:05] Piet:\nHoi daar.\n", [("Jan Jansen", 0.0), ("Piet", 5.0)]),
    # Amberscript / Trint: "Speaker 1 [00:00:05]"; Happy Scribe: "[00:00:05.12] Name"
    ("Speaker 1 [00:00:05]\nHallo.\nSpeaker 2 [00:00:09]\nHoi.\n", [("Speaker 1", 5.0), ("Speaker 2", 9.0)]),
    ("[00:00:05.12] Jan\nHallo.\n[00:00:09.50] Piet\nHoi.\n", [("Jan", 5.12), ("Piet", 9.5)]),
    # time, dash, name
    ("00:00:05 - Jan: Hallo.\n00:00:09 - Piet: Hoi.\n00:00:12 - Jan: Ja.\n", [("Jan", 5.0), ("Piet", 9.0), ("Jan", 12.0)]),
])
def test_more_tool_layouts(text: str, expected: list) -> None:
    assert [(s, t) for s, _, t in _turns(text)] == expected


def test_whisperx_speaker_ids_and_qualcoder_ids(tmp_path: Path) -> None:
    path = tmp_path / "whisperx.txt"
    path.write_text("[00:00.000 --> 00:04.000]  SPEAKER_00: Goedemorgen.\n[00:04.500 --> 00:06.000]  SPEAKER_01: Hoi.\n"
                    "[00:07.000 --> 00:09.000]  SPEAKER_00: Zullen we?\n", encoding="utf-8")
    [document] = read_document(path)
    assert [(t.speaker, document.text[t.start:t.end], t.start_time) for t in document.turns] == [
        ("SPEAKER_00", "Goedemorgen.", 0.0), ("SPEAKER_01", "Hoi.", 4.5), ("SPEAKER_00", "Zullen we?", 7.0)]
    text = "[id1] Wat doet AI met uw werk?\n[id2] Het scheelt tijd.\n[id1] Dank u.\n[id3] Mag ik nog iets zeggen?\n"
    assert [(s, t) for s, t, _ in _turns(text)] == [
        ("id1", "Wat doet AI met uw werk?"), ("id2", "Het scheelt tijd."), ("id1", "Dank u."),
        ("id3", "Mag ik nog iets zeggen?")]


def test_old_teams_cues_with_several_text_lines(tmp_path: Path) -> None:
    path = tmp_path / "teams-oud.txt"
    path.write_text("0:0:0.0 --> 0:0:5.230\nJansen, Jan\nGoedemorgen allemaal.\nFijn dat jullie er zijn.\nWe beginnen.\n\n"
                    "0:0:6.0 --> 0:0:9.100\nBoer, Piet de\nDank je.\nIk heb een vraag.\nOver de pilot.\n\n"
                    "0:0:9.500 --> 0:0:12.0\nJansen, Jan\nGa je gang.\n", encoding="utf-8")
    [document] = read_document(path)
    assert [(t.speaker, document.text[t.start:t.end], t.start_time, t.end_time) for t in document.turns] == [
        ("Jansen, Jan", "Goedemorgen allemaal. Fijn dat jullie er zijn. We beginnen.", 0.0, 5.23),
        ("Boer, Piet de", "Dank je. Ik heb een vraag. Over de pilot.", 6.0, 9.1),
        ("Jansen, Jan", "Ga je gang.", 9.5, 12.0)]


def test_excel_sep_hint_line_and_the_windows_1252_note(tmp_path: Path) -> None:
    path = tmp_path / "limesurvey.csv"
    path.write_bytes("sep=;\nid;antwoord;leeftijd\n1;Het café is dicht;34\n2;Geen idee;51\n".encode("cp1252"))
    [document] = read_document(path)
    assert [(document.text[t.start:t.end], t.source_row, t.attributes) for t in document.turns] == [
        ("Het café is dicht", "3", {"id": 1, "leeftijd": 34}), ("Geen idee", "4", {"id": 2, "leeftijd": 51})]
    assert document.notes == (
        "limesurvey.csv: not UTF-8, read as Windows-1252; if accented letters look wrong in "
        "`qualcode show`, import it again with --encoding (mac-roman, cp850, latin-1, ...)",
        "limesurvey.csv: no --text-column given; the text is column 'antwoord' (the only one whose name says "
        "text/tekst/antwoord/notitie/opmerking); pass --text-column to choose another")


def test_a_missing_text_column_lists_the_question_texts(tmp_path: Path) -> None:
    path = tmp_path / "qualtrics.csv"
    path.write_text("StartDate,ResponseId,Q1,Q2\nStart Date,Response ID,Hoe tevreden bent u over de nieuwe AI-tools op school?,"
                    "Wat zou u veranderen?\n2025-03-01,R_1,3,Meer tijd\n", encoding="utf-8")
    assert _error(ImportFormatError, lambda: read_document(path)) == (
        "qualtrics.csv: cannot tell which column holds the text; the columns are: StartDate (Start Date), "
        "ResponseId (Response ID), Q1 (Hoe tevreden bent u over de nieuwe AI-to…), Q2 (Wat zou u veranderen?); "
        "pass --text-column with one (or more) of them")


def test_a_continuation_line_starting_kortom_is_not_a_one_off_speaker() -> None:
    text = ("Interviewer: Wat vindt u?\nR1: Het scheelt tijd.\nKortom: ik ben tevreden.\nInterviewer: Dank u.\n"
            "R1: Graag.\ndus: zo zit het.\n")
    assert [s for s, _, _ in _turns(text)] == ["Interviewer", "R1", "Interviewer", "R1"]


def test_time_marks_between_turns_google_meet(tmp_path: Path) -> None:
    path = tmp_path / "meet.txt"
    path.write_text(
        "Overleg AI (2025-03-01 10:00 GMT+1) - Transcript\nAttendees\nJan Jansen, Piet Peters\nTranscript\n"
        "00:00:00\n\nJan Jansen: Hallo allemaal.\nPiet Peters: Hoi.\n00:05:00\n\nJan Jansen: Zullen we beginnen?\n"
        "Piet Peters: Ja.\n[00:07:30]\nen dan nog dit.\nJan Jansen: Goed.\nMeeting ended after 00:09:12 👋\n",
        encoding="utf-8")
    [document] = read_document(path)
    assert [(t.speaker, document.text[t.start:t.end], t.start_time, t.boilerplate) for t in document.turns] == [
        (None, "Overleg AI (2025-03-01 10:00 GMT+1) - Transcript\nAttendees\nJan Jansen, Piet Peters\nTranscript\n"
               "00:00:00", None, False),
        ("Jan Jansen", "Hallo allemaal.", None, False),
        ("Piet Peters", "Hoi.", None, False),
        ("Jan Jansen", "Zullen we beginnen?", 300.0, False),
        ("Piet Peters", "Ja.", None, False),
        ("Piet Peters", "en dan nog dit.", 450.0, False),
        ("Jan Jansen", "Goed.", None, False),
        (None, "Meeting ended after 00:09:12 👋", None, True),
    ]


_PROSE = st.lists(st.sampled_from(["werkdruk", "tijd", "leerlingen", "nakijken", "ja", "dat", "klopt", "school"]),
                  min_size=6, max_size=9).map(lambda words: " ".join(words) + ".")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_LINES.map(lambda lines: lines[0] if lines else ""), _PROSE), max_size=14))
def test_no_spoken_text_is_lost(lines: list[str]) -> None:
    # A line of six words or more without a colon is always someone's words: whatever the
    # layout around it, it must be inside a turn (a segment), never dropped or taken for a label.
    text = "\n".join(line.replace("\r", "") for line in lines)
    spans = [text[t.start : t.end] for t in find_turns(text)]
    for line in lines:
        if line.endswith(".") and len(line.split()) >= 6 and ":" not in line:
            assert any(line in span for span in spans), (line, spans)


def test_a_personal_data_column_as_id_is_refused_unless_kept(tmp_path: Path) -> None:
    path = tmp_path / "forms.csv"
    path.write_text("Email,Wat vindt u?\nr1@example.org,Het scheelt tijd.\n", encoding="utf-8")
    assert _error(ImportFormatError, lambda: read_document(path, id_column="Email", text_columns=["Wat vindt u?"])) == (
        "forms.csv: --id-column 'Email' holds personal data (e-mail address); its values would name rows and cases "
        "in every export; use a respondent number column instead (or leave out --id-column: the row number is the "
        "id), or add --keep-column 'Email' to use it on purpose")
    [document] = read_document(path, id_column="Email", keep_columns=["Email"], text_columns=["Wat vindt u?"])
    assert document.turns[0].source_row == "r1@example.org"
