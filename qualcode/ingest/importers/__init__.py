"""Importers: a file in, ParsedDocument(s) out; no store access.

:func:`read_document` is the one entry point; the format is chosen by the file
extension (:data:`SUPPORTED_EXTENSIONS`). Every failure is a QualcodeError with
a one-line message naming the file.

Layouts recognised (each is in tests/test_importers.py, written as the tool writes it)::

    Tool / convention          File              Recognised
    -------------------------  ----------------  ---------------------------------------------------
    Microsoft Teams            .vtt              <v Name> voices (also "Achternaam, Voornaam"), GUID cue ids
    Teams (new), Otter.ai      .docx .txt        "Name   0:03" / text below; "[0:00] Name:"
    Teams (old)                .docx .txt        timing line "0:0:5.230 --> ..." / name line / text
    Zoom recording             .vtt              "Name: text" cues; trailing "Meeting title:" cues kept, not coded
    Zoom web page (copied)     .txt              "user avatar" / Name / 00:06:22 / text
    Zoom "Save transcript"     .txt              "[Name] 11:02:09" / text (clock time of day)
    Whisper / WhisperX         .txt              "[00:43.810 --> 00:47.850]  text" (speaker "SPEAKER_00:")
    Word Transcribe            .docx             "00:00:03 Spreker 1" or "Spreker 1 00:00:03" / text
    Rev                        .txt .docx        "Name (00:05):" / text
    Sonix, Descript            .txt .md .docx    "Name: [00:00:05] text", "**Name:** [00:00:05] text"
    tl;dv, Amberscript, Trint  .md .txt          "**Name** (00:00:00)", "Speaker 1 [00:00:05]"
    Happy Scribe               .txt              "[00:00:05.12] Name" / text
    Google Meet                .txt .docx        "Name: text" lines, "00:05:00" marks between turns, footer
    f4 / MAXQDA rules          .txt .rtf .docx   "I:", "B1:", end mark "#00:01:23-4#" (an end time)
    QualCoder-style ids        .txt              "[id1] text"
    Interview by hand          .txt .md .docx    "Name: text", "[00:01:23] Name: text", "Name (00:01:23): text",
                               .odt .rtf .pdf    "00:01:23 - Name: text", **bold** names in Word, Word tables
                                                 Speaker | Text (| Time); names with a comma or "(affiliation)"
    House style                any transcript    --speaker-pattern REGEX with (?P<speaker>...) (?P<time>...)
    SubRip                     .srt              "Name: text" cues
    Qualtrics (current)        .csv .xlsx        names / question texts / {"ImportId":...} rows; also without
                                                 metadata columns; preview and test responses warned about
    Qualtrics (legacy)         .csv .xlsx        V1..Vn / ResponseID, ... row
    SurveyMonkey               .csv .xlsx        question row / Response, Open-Ended Response, options row
    LimeSurvey                 .csv              codes or full question texts as headings
    Google Forms, MS Forms     .csv .xlsx        one header row (Timestamp/Tijdstempel; Start time/Begintijd)
    Publications               .pdf .odt .docx   --role literature: one case per document, paragraphs

In every layout: a speaker who speaks once (in a file where most lines start a turn), no
text before an inline timestamp taken for a speaker, header fields (Datum:, Aanwezig:,
Meeting title:, Hosted by:) never speakers, tool footers ("Transcribed by
https://otter.ai", "X started transcription") kept but not coded. Tables: every row its
own case; personal-data columns left out unless --keep-column.

Left out: YouTube's rolling auto-captions (.vtt repeating each line), .doc/.xls/.ods/
.pages (the message says to save as .docx/.xlsx), scanned PDFs (OCR first), bold names
in .odt and .rtf (a colon after the name is needed), BOM-less UTF-16 (named, needs
--encoding), multi-file survey exports (SurveyMonkey's per-question files, Qualtrics
"split multi-value fields" layouts are read as columns like any other), SPSS/.sav exports.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from qualcode.errors import ImportFormatError
from qualcode.ingest.importers.cases import CaseRow, read_cases_file
from qualcode.ingest.importers.docx import read_docx
from qualcode.ingest.importers.odt import read_odt
from qualcode.ingest.importers.pdf import read_pdf
from qualcode.ingest.importers.rtf import read_rtf
from qualcode.ingest.importers.subtitles import read_subtitles
from qualcode.ingest.importers.table import read_table
from qualcode.ingest.importers.text import read_text
from qualcode.records import ParsedDocument
from qualcode.zipsafe import DOCUMENT_LIMITS

__all__ = ["SUPPORTED_EXTENSIONS", "CaseRow", "read_cases_file", "read_document"]

# A reader: (path, bytes, encoding=..., speaker_pattern=...) -> documents.
_Reader = Callable[..., list[ParsedDocument]]
_READERS: dict[str, _Reader] = {
    ".txt": read_text,
    ".md": read_text,
    ".docx": read_docx,
    ".odt": read_odt,
    ".rtf": read_rtf,
    ".pdf": read_pdf,
    ".vtt": read_subtitles,
    ".srt": read_subtitles,
}
_TABLE_EXTENSIONS = (".csv", ".xlsx")
_ZIP_EXTENSIONS = (".docx", ".odt")  # and .xlsx: containers checked by qualcode.zipsafe
SUPPORTED_EXTENSIONS: tuple[str, ...] = (*_READERS, *_TABLE_EXTENSIONS)

# Formats people will try; the fix is always to save as a supported one.
_SAVE_AS = {
    ".doc": ".docx", ".xls": ".xlsx", ".ods": ".xlsx", ".tsv": ".csv", ".pages": ".docx", ".wpd": ".docx",
}


def read_document(
    path: Path,
    *,
    text_columns: Sequence[str] | None = None,
    id_column: str | None = None,
    case_column: str | None = None,
    sheet: str | None = None,
    keep_columns: Sequence[str] | None = None,
    encoding: str | None = None,
    speaker_pattern: str | None = None,
    data: bytes | None = None,
    max_unpacked_mb: int | None = None,
) -> list[ParsedDocument]:
    """Read one transcript or table file into its document(s).

    ``data`` is the file's content when the caller has read it already (to hash it).

    The table options (``text_columns``, ``id_column``, ``case_column``,
    ``sheet``) apply to .csv and .xlsx only and are ignored for other formats,
    so one set of options can be used for a folder of mixed files; ``encoding``
    applies to text-like files, ``speaker_pattern`` (a regular expression with a
    group ``speaker``, see turns.py) to transcripts. ``max_unpacked_mb`` raises the
    limit on what a .docx/.xlsx/.odt may unpack to (a trusted file; see qualcode.zipsafe).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ImportFormatError(_unsupported(path))
    if data is None:
        data = read_bytes(path)
    limits = DOCUMENT_LIMITS.raised_to(max_unpacked_mb)
    if suffix in _TABLE_EXTENSIONS:
        return read_table(
            path, data, text_columns=text_columns, id_column=id_column,
            case_column=case_column, sheet=sheet, keep_columns=keep_columns, encoding=encoding, limits=limits,
        )
    if suffix in _ZIP_EXTENSIONS:
        return _READERS[suffix](path, data, encoding=encoding, speaker_pattern=speaker_pattern, limits=limits)
    if suffix == ".pdf":
        return read_pdf(path, data, encoding=encoding, speaker_pattern=speaker_pattern, max_stream_mb=max_unpacked_mb)
    return _READERS[suffix](path, data, encoding=encoding, speaker_pattern=speaker_pattern)


_OLD_FORMATS = {
    ".doc": "old Word format; open it in Word and save it as .docx",
    ".xls": "old Excel format; open it in Excel and save it as .xlsx",
    ".ods": "OpenDocument spreadsheet; save it as .xlsx or .csv",
    ".tsv": "tab-separated table; rename it to .csv (tabs are recognised)",
    ".pages": "Apple Pages document; export it as .docx",
    ".wpd": "WordPerfect document; save it as .docx",
}
# Files that document a folder rather than hold material; imported only when named explicitly.
_NOT_MATERIAL = ("readme", "license", "licence", "changelog", "contributing", "authors", "copying",
                 "leesmij", "notice")


def skip_reason(path: Path) -> str | None:
    """Why a folder import passes over ``path`` (and what to do), or None to import it."""
    suffix = path.suffix.lower()
    if path.name.startswith("~$"):
        return "a lock file of a document open in Word or Excel; close the document (nothing to import)"
    if suffix not in SUPPORTED_EXTENSIONS:
        if suffix in _OLD_FORMATS:
            return _OLD_FORMATS[suffix]
        what = f"the extension {suffix!r}" if suffix else "no extension"
        return (f"not a transcript or table ({what}); if it holds one, export it to one of "
                f"{', '.join(SUPPORTED_EXTENSIONS)}")
    if path.stem.casefold().split(".")[0] in _NOT_MATERIAL:
        return "documentation of the folder, not material; name the file explicitly to import it"
    return None


def _unsupported(path: Path) -> str:
    supported = ", ".join(SUPPORTED_EXTENSIONS)
    suffix = path.suffix.lower()
    if suffix in _SAVE_AS:
        return (
            f"{path.name}: {suffix} files cannot be imported; save it as {_SAVE_AS[suffix]} "
            f"(supported: {supported})"
        )
    what = f"the extension {suffix!r}" if suffix else "a file without an extension"
    return f"{path.name}: cannot import {what}; rename or export it to one of: {supported}"


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or one ImportFormatError line naming the file and the fix."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportFormatError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise ImportFormatError(f"{path}: is a folder; pass the files in it") from None
    except PermissionError as error:
        raise ImportFormatError(f"{path}: cannot be read ({error.strerror}); give yourself read permission "
                                "(chmod u+r), or leave the file out of the import") from None
    except OSError as error:
        raise ImportFormatError(f"{path}: cannot be read ({error.strerror}); check the path") from None
