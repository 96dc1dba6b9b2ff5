"""Rich Text Format (.rtf, WordPad, TextEdit, older transcription tools), read with striprtf.

The text is what striprtf makes of the file (paragraphs one per line; ``\\uN`` and
``\\'xx`` characters decoded, in the file's ``\\ansicpg`` code page), read like a
.txt: speaker turns, or paragraphs as segments.
"""
from __future__ import annotations

import re
from pathlib import Path

from qualcode.errors import ImportFormatError
from qualcode.ingest.importers.encoding import normalise_newlines
from qualcode.ingest.importers.subtitles import timed_text_document
from qualcode.ingest.importers.turns import find_turns
from qualcode.records import ParsedDocument

_CODE_PAGE = re.compile(rb"\\ansicpg(\d+)")


def read_rtf(path: Path, data: bytes, *, encoding: str | None = None,
             speaker_pattern: str | None = None) -> list[ParsedDocument]:
    """One document from an .rtf file."""
    if data.startswith(b"\xef\xbb\xbf"):  # some editors write a UTF-8 BOM before the RTF
        data = data[3:]
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ImportFormatError(
            f"{path.name}: not an RTF file (it does not start with {{\\rtf); save it again as .rtf, .docx or .txt"
        )
    from striprtf.striprtf import rtf_to_text  # imported only when an .rtf is read

    match = _CODE_PAGE.search(data[:2000])
    code_page = encoding or (f"cp{match.group(1).decode()}" if match else "cp1252")
    try:
        source = data.decode("latin-1")  # RTF itself is 7-bit; bytes above 127 are kept as they are
        text = normalise_newlines(rtf_to_text(source, encoding=code_page, errors="strict"))
    except (UnicodeDecodeError, LookupError) as error:
        raise ImportFormatError(
            f"{path.name}: the RTF text cannot be decoded as {code_page} ({type(error).__name__}); "
            "pass --encoding with the file's code page, or save it as .docx"
        ) from None
    except Exception as error:  # striprtf on a damaged file
        raise ImportFormatError(
            f"{path.name}: not a readable RTF file ({type(error).__name__}); save it again as .rtf or .docx"
        ) from None
    # Word writes a character outside the BMP (an emoji) as two \uN escapes, a surrogate pair.
    text = text.replace("\x00", "").encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if not text.strip():
        raise ImportFormatError(f"{path.name}: the RTF file has no text; check that you exported the right file")
    if speaker_pattern is None:
        timed = timed_text_document(path.name, "rtf", text)
        if timed is not None:
            return [timed]
    return [ParsedDocument(name=path.name, format="rtf", text=text,
                           turns=find_turns(text, speaker_pattern=speaker_pattern))]
