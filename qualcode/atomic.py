"""Write output files atomically: a temporary file in the same folder, then ``os.replace``.

A command killed while it writes (Ctrl-C, a crash, the machine switched off) leaves either
the old file or the complete new one, never a partial workbook or report. The temporary
file is hidden (``.NAME.XXXX.tmp``), is removed when writing fails (one left by a killed
command is removed by the next write of the same file, after an hour), and gets the mode
an ordinary new file would have (or the mode of the file it replaces).
"""
from __future__ import annotations

import glob
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

STALE_AFTER = 3600  # a temporary file this old is a leftover of a killed command, removed on the next write


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible on every platform (Windows); the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale(target: Path) -> None:
    """Temporary files of ``target`` left by a killed command (older than :data:`STALE_AFTER` seconds)."""
    cutoff = time.time() - STALE_AFTER
    try:
        leftovers = list(target.parent.glob(f".{glob.escape(target.name)}.*.tmp"))
    except OSError:
        return
    for leftover in leftovers:
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            pass


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path next to ``path`` to write to; on success it replaces ``path`` in one step.

    For libraries that save to a path (``workbook.save(tmp)``). On an exception the
    temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    _remove_stale(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """``Path(path).write_bytes(data)``, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """``Path(path).write_text(text, encoding)``, atomically (newlines written as given)."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as fh:
        fh.write(text)
