"""Turn the bytes of a text-like file (.txt, .md, .vtt, .srt, .csv) into one normalised str.

The rules are explicit and deterministic, so the same file always gives the same
text: a BOM decides (UTF-8, UTF-16 LE/BE); otherwise strict UTF-8; otherwise
Windows-1252 (what Word's "save as plain text" writes on Dutch Windows). No
statistical guessing: a wrong guess would silently change the stored text, and
every offset refers to that text. A file that mixes the two (some lines UTF-8 with
accented letters, others not valid UTF-8: rows pasted together from two files) is
refused, naming both lines: read as one encoding, the other lines would be mojibake
('EÃ©n'). A NUL byte in a text that is otherwise readable is refused with its line.

Line endings are normalised: CRLF and lone CR become ``\\n``. Callers must split
lines on ``\\n`` only (``str.splitlines`` also splits on U+2028, U+0085, ... and
would shift offsets).
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Callable

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


def decode_bytes(data: bytes, path: Path | str, *, encoding: str | None = None,
                 locate: Callable[[int], str] | None = None) -> str:
    """Decode ``data`` read from ``path`` and normalise line endings to ``\\n``.

    ``encoding`` (the user's ``--encoding``) overrides the rules above. Raises
    ImportFormatError for a binary file, an undecodable file or a file with no
    text. The BOM, if any, is not part of the result. ``locate`` turns a line
    number into what a message names (a table's "row 4 (line 5)"); default "line N".
    """
    name = Path(path).name
    kind = _other_format(data)
    if kind is not None:
        raise ImportFormatError(f"{name}: is {kind}, not text; give the file its real extension and import it again")
    where = locate or (lambda line: f"line {line}")
    text = _decode(data, name, where) if encoding is None else _decode_as(data, name, encoding, where)
    if "\x00" in text and not _looks_binary(text):
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportFormatError(
            f"{name}, {where(line)}: holds a NUL character (byte 0), which no text contains (a damaged file, or "
            "one padded by the program that wrote it); delete it in a text editor and save the file as UTF-8"
        )
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
    if encoding is not None:
        return _chosen_encoding_note(data, name, encoding)
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return (f"{name}: not UTF-8, read as Windows-1252; if accented letters look wrong in "
                "`qualcode show`, import it again with --encoding (mac-roman, cp850, latin-1, ...)")
    return None


def _chosen_encoding_note(data: bytes, name: str, encoding: str) -> str | None:
    """A note when --encoding names another encoding for a file that is valid UTF-8 with accented letters."""
    if codecs.lookup(encoding).name == "utf-8" or data.isascii():
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return (f"{name}: read as {encoding} (--encoding), but it is valid UTF-8 with accented letters; if they look "
            "wrong in `qualcode show`, import it again without --encoding")


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, name: str, where: Callable[[int], str]) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as error:
                if encoding != "utf-8":
                    raise _binary_error(name) from None
                start = len(bom) + error.start
                line = data.count(b"\n", 0, start) + 1
                raise ImportFormatError(
                    f"{name}, {where(line)}: not valid UTF-8 (byte {data[start]:#04x}), though the file starts with "
                    "the UTF-8 mark: part of it was saved in another encoding; retype the accented letters there "
                    "and save the file as UTF-8, or pass --encoding with the encoding of that part"
                ) from None
    nuls = data.count(b"\x00")
    if nuls and (nuls <= 4 or nuls * 100 < len(data)) and _reads_as_text(data.replace(b"\x00", b"")):
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ImportFormatError(
            f"{name}, {where(line)}: holds a NUL character (byte 0), which no text contains (a damaged file, or "
            "one padded by the program that wrote it); delete it in a text editor and save the file as UTF-8"
        )
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
    _refuse_mixed(data, name, where)
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


# A multi-byte UTF-8 letter of the Latin, Greek or Cyrillic ranges (2 bytes), or a 3-byte character
# such as a curly quote or a euro sign; in Windows-1252 text such pairs ('Ã©') practically never occur.
_UTF8_SEQUENCE = re.compile(rb"[\xc3-\xdf][\x80-\xbf]|\xe2[\x80-\xbf][\x80-\xbf]")


def _refuse_mixed(data: bytes, name: str, where: Callable[[int], str]) -> None:
    """Refuse a file that is not UTF-8 as a whole but has lines that are UTF-8 with non-ASCII letters."""
    utf8_line = bad_line = None
    bad_byte = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            if bad_line is None:
                bad_line, bad_byte = number, line[error.start]
                if _UTF8_SEQUENCE.search(line):  # one line with both: 'Eén' in UTF-8 next to 'é' in cp1252
                    utf8_line = number
        else:
            utf8_line = utf8_line or number
        if utf8_line is not None and bad_line is not None:
            excel = " (in Excel: Save As, 'CSV UTF-8')" if name.lower().endswith(".csv") else ""
            raise ImportFormatError(
                f"{name}, {where(bad_line)}: not valid UTF-8 (byte {bad_byte:#04x}), but "
                + (where(utf8_line) if utf8_line != bad_line else "the same line") + " has UTF-8 "
                "accented letters: the file mixes two encodings (rows pasted together from different files?), "
                "and read as either one some letters would come out wrong; retype the accented letters of "
                f"{where(bad_line)} in an editor that saves UTF-8{excel}, or pass "
                "--encoding cp1252 to read it all as Windows-1252 on purpose (its UTF-8 letters then come out as 'Ã©')"
            )


def _decode_as(data: bytes, name: str, encoding: str, where: Callable[[int], str]) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ImportFormatError(
            f"--encoding {encoding!r} is not an encoding Python knows; try utf-8, cp1252, latin-1 or utf-16"
        ) from None
    if codecs.lookup(encoding).name == "utf-8" and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")) and b"\x00" not in data[:4096]:
        # Text in UTF-16 has a NUL in nearly every other byte; without any, decoding would
        # silently turn the file into Chinese-looking characters.
        raise ImportFormatError(
            f"{name}: not {encoding} (it has no NUL bytes, which UTF-16 and UTF-32 text always has); leave out "
            "--encoding, or pass the file's real encoding (utf-8, cp1252, latin-1)"
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ImportFormatError(
            f"{name}, {where(line)}: not valid {encoding} (byte {data[error.start]:#04x} at position {error.start}); "
            "pass the file's real encoding with --encoding (utf-8, cp1252, latin-1, mac-roman), or save the file "
            "as UTF-8"
        ) from None


_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (a .docx, .xlsx or .odt with another extension?)"),
    (b"%PDF", "a PDF file (.pdf)"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.doc or .xls; save it as .docx or .xlsx)"),
    (b"{\\rtf", "an RTF file (.rtf)"),
)


def _other_format(data: bytes) -> str | None:
    """What a file handed to the text reader really is, from its first bytes (a renamed file)."""
    head = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def _reads_as_text(data: bytes) -> bool:
    """True for bytes that are plainly text (UTF-8 or Windows-1252, nearly all printable, not tiny)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    printable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return len(text) >= 32 and printable * 100 >= len(text) * 98


def _looks_binary(text: str) -> bool:
    sample = text[:_BINARY_SAMPLE]
    controls = len(_BINARY_CONTROL.findall(sample))
    return controls > max(2, len(sample) // 100)


def _binary_error(name: str) -> ImportFormatError:
    return ImportFormatError(
        f"{name}: looks like a binary file, not text; export it as .txt (UTF-8) or .docx"
    )
