"""Turn the bytes of a text-like file (.txt, .md, .vtt, .srt, .csv) into one normalised str.

The rules are explicit and deterministic, so the same file always gives the same
text: a BOM decides (UTF-8, UTF-16 LE/BE); otherwise strict UTF-8; otherwise
Windows-1252 (what Word's "save as plain text" writes on Dutch Windows). No
statistical guessing: a wrong guess would silently change the stored text, and
every offset refers to that text.

Line endings are normalised: CRLF and lone CR become ``\\n``. Callers must split
lines on ``\\n`` only (``str.splitlines`` also splits on U+2028, U+0085, ... and
would shift offsets).
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path

from qualcode.errors import ImportFormatError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# C0 control characters that never occur in text; tab, LF, VT, FF, CR and SUB
# (an old DOS end-of-file mark) are allowed.
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f]")
_BINARY_SAMPLE = 8192


def decode_bytes(data: bytes, path: Path | str, *, encoding: str | None = None) -> str:
    """Decode ``data`` read from ``path`` and normalise line endings to ``\\n``.

    ``encoding`` (the user's ``--encoding``) overrides the rules above. Raises
    ImportFormatError for a binary file, an undecodable file or a file with no
    text. The BOM, if any, is not part of the result.
    """
    name = Path(path).name
    text = _decode(data, name) if encoding is None else _decode_as(data, name, encoding)
    if _looks_binary(text):
        raise _binary_error(name)
    text = normalise_newlines(text)
    if not text.strip():
        raise ImportFormatError(
            f"{name}: the file is empty (no text in it); check that you exported the right file"
        )
    return text


def encoding_note(data: bytes, name: str, encoding: str | None = None) -> str | None:
    """A note for the import report when the text was read as Windows-1252 by the fallback rule:
    a Mac or DOS file read that way has wrong accented letters, silently."""
    if encoding is not None or any(data.startswith(bom) for bom, _ in _BOMS):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return (f"{name}: not UTF-8, read as Windows-1252; if accented letters look wrong in "
                "`qualcode show`, import it again with --encoding (mac-roman, cp850, latin-1, ...)")
    return None


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                raise _binary_error(name) from None
    if b"\x00" in data:
        # NUL bytes without a UTF-16 BOM: a binary file, or BOM-less UTF-16, which we do not
        # guess at -- but when every other byte is NUL, the message says how to read it.
        sample = data[:4096]
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        if len(sample) >= 8 and max(odd, even) * 10 >= len(sample) * 4 and min(odd, even) * 10 <= len(sample):
            guess = "utf-16-le" if odd > even else "utf-16-be"
            raise ImportFormatError(
                f"{name}: looks like UTF-16 text without a byte-order mark; pass --encoding {guess} "
                "(or save it as UTF-8)"
            )
        raise _binary_error(name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Python's cp1252 is strict: the five unassigned bytes fail, so random
        # binary data rarely passes this test.
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        if _looks_binary(data.decode("latin-1")):
            raise _binary_error(name) from None
        raise ImportFormatError(
            f"{name}: cannot tell the text encoding (byte {data[error.start]:#04x} at position {error.start} "
            "is neither UTF-8 nor Windows-1252); pass --encoding with the file's encoding "
            "(e.g. --encoding latin-1, --encoding cp850, --encoding mac-roman) or save it as UTF-8"
        ) from None


def _decode_as(data: bytes, name: str, encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ImportFormatError(
            f"--encoding {encoding!r} is not an encoding Python knows; try utf-8, cp1252, latin-1 or utf-16"
        ) from None
    if codecs.lookup(encoding).name == "utf-8" and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise ImportFormatError(
            f"{name}: not valid {encoding} (byte {data[error.start]:#04x} at position {error.start}); "
            "pass the file's real encoding with --encoding"
        ) from None


def _looks_binary(text: str) -> bool:
    sample = text[:_BINARY_SAMPLE]
    controls = len(_BINARY_CONTROL.findall(sample))
    return controls > max(2, len(sample) // 100)


def _binary_error(name: str) -> ImportFormatError:
    return ImportFormatError(
        f"{name}: looks like a binary file, not text; export it as .txt (UTF-8) or .docx"
    )
