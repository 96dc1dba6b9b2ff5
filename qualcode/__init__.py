"""qualcode: code interview and workshop transcripts into opportunity/risk matrices per aspect of work.

The Python API is :class:`qualcode.Project`; the `qualcode` command is a thin face over it.
"""
from __future__ import annotations

from qualcode.errors import QualcodeError
from qualcode.version import __version__

__all__ = ["Project", "QualcodeError", "__version__"]


def __getattr__(name: str) -> object:
    # Lazy, so that `qualcode --help` does not import pandas or spaCy.
    if name == "Project":
        from qualcode.project import Project

        return Project
    raise AttributeError(name)
