"""PDF with a text layer (.pdf: publications, transcripts saved as PDF), read with pypdf.

PDF has lines, not paragraphs: the lines of every page are joined into paragraphs
(a line ends a paragraph when it is clearly shorter than the page's usual line and
ends a sentence or is followed by a capital, like a heading; before a blank line;
before a ``Name:`` line after a sentence end); a word broken with a
hyphen at a line end is joined. Lines that are only a page number (``12``, ``Page 3
of 10``, ``Pagina 3 van 10``) are left out. The document text is these paragraphs, one
per line, read like a .docx body. A PDF without a text layer (a scan) is refused with
the fix (OCR); an encrypted PDF too.

A compressed stream may inflate to at most 50 MB (``--max-unpacked-mb`` raises it for a
trusted file); one that inflates further is refused as a possible zip bomb, saying so.
"""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

from qualcode.errors import ImportFormatError
from qualcode.ingest.importers.paragraphs import paragraphs_document
from qualcode.records import ParsedDocument

_PAGE_NUMBER = re.compile(r"\s*(?:(?:page|pagina|blz\.?|p\.)\s*)?\d{1,4}(?:\s*(?:of|van|/)\s*\d{1,4})?\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…:\"”’)]\s*$")
_LABEL_START = re.compile(r"\s*[\w][\w .,'’()-]{0,40}:\s")
MB = 1024**2
STREAM_MB = 50  # what one compressed stream may inflate to by default (pypdf alone allows 75,000,000 bytes)


def read_pdf(path: Path, data: bytes, *, encoding: str | None = None,
             speaker_pattern: str | None = None, max_stream_mb: int | None = None) -> list[ParsedDocument]:
    """One document from the text layer of a .pdf file, in paragraphs.

    ``max_stream_mb``: what one compressed stream may inflate to (default :data:`STREAM_MB`).
    """
    if not data.lstrip()[:1024].startswith(b"%PDF"):
        raise ImportFormatError(f"{path.name}: not a PDF file (no %PDF header); export it again as .pdf or .docx")
    from pypdf import PdfReader  # heavy: imported only when a .pdf is read
    from pypdf.errors import LimitReachedError

    limit_mb = max_stream_mb or STREAM_MB
    too_large = ImportFormatError(
        f"{path.name}: a compressed stream in the PDF inflates to more than {limit_mb} MB (the limit); refused as a "
        f"possible zip bomb; if you trust the file, pass --max-unpacked-mb {2 * limit_mb}")
    try:
        with _stream_limit(limit_mb * MB):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise ImportFormatError(
                    f"{path.name}: the PDF is encrypted; save an unprotected copy (or export the text as .docx)"
                )
            pages = [page.extract_text() or "" for page in reader.pages]
            if not any(page.strip() for page in pages):  # no text, or a stream pypdf gave up on?
                for page in reader.pages:
                    contents = page.get_contents()
                    if contents is not None:
                        contents.get_data()
    except ImportFormatError:
        raise
    except LimitReachedError:
        raise too_large from None
    except Exception as error:  # PdfReadError, ValueError, KeyError, ...: pypdf raises many kinds
        raise ImportFormatError(
            f"{path.name}: not a readable PDF ({type(error).__name__}); export it again as .pdf or .docx"
        ) from None
    lines = [line.rstrip() for page in pages for line in page.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if not _PAGE_NUMBER.fullmatch(line)]
    if not any(line.strip() for line in lines):
        raise ImportFormatError(
            f"{path.name}: the PDF has no text layer (it is a scan or an image); run OCR on it "
            "(e.g. ocrmypdf) or export the text from the program that made it as .docx or .txt"
        )
    return [paragraphs_document(path.name, "pdf", _paragraphs(lines), speaker_pattern=speaker_pattern,
                                what="PDF")]


def _stream_limit(size: int) -> Any:
    """A context in which pypdf inflates no stream beyond ``size`` bytes (pypdf 7 and later; older
    versions keep their own fixed limit of 75,000,000 bytes)."""
    try:
        from pypdf import apply_configuration  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return contextlib.nullcontext()
    names = ("zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
             "brotli_maximum_output_length", "array_based_stream_maximum_output_length",
             "maximum_declared_stream_length")
    from pypdf import get_configuration  # type: ignore[attr-defined,unused-ignore]

    current = get_configuration()
    overwrites: dict[str, Any] = {name: size for name in names if hasattr(current, name)}
    if hasattr(current, "stream_decoding_work_maximum_length"):
        overwrites["stream_decoding_work_maximum_length"] = max(current.stream_decoding_work_maximum_length, 4 * size)
    return apply_configuration(None, **overwrites)


def _paragraphs(lines: list[str]) -> list[str]:
    # a full line: most lines of running text are about this long (a high quantile, as headings,
    # paragraph ends and short pages pull the median down)
    lengths = sorted(len(line) for line in lines if line.strip())
    usual = lengths[int(0.8 * (len(lengths) - 1))] if lengths else 0
    paragraphs: list[str] = []
    current = ""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        if current and _LABEL_START.match(stripped) and current.rstrip()[-1:] in ".!?…\"”’)":
            paragraphs.append(current)
            current = ""
        if not current:
            current = stripped
        elif current.endswith("-") and stripped[:1].islower():
            current = current[:-1] + stripped
        else:
            current = f"{current} {stripped}"
        following = next((later.strip() for later in lines[index + 1:] if later.strip()), "")
        short = len(line) < 0.75 * usual
        heading = short and stripped[-1:] not in ",;-" and following[:1].isupper()
        if short and (_SENTENCE_END.search(stripped) or heading):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs
