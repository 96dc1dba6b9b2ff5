"""One error hierarchy. The CLI turns every QualcodeError into one ``Error: ...`` line.

A message names the file (and line or row), says what is wrong and what to do.
"""
from __future__ import annotations


class QualcodeError(Exception):
    """Base class: something the user can fix; shown as one line, exit status 1."""

    exit_code = 1


class ProjectError(QualcodeError):
    """The project file is missing, not a qualcode project, or newer than this program."""


class ImportFormatError(QualcodeError):
    """A transcript, table or cases file cannot be read as the format it claims."""


class CasesFileError(QualcodeError):
    """A cases file is malformed or names documents/speakers that are not in the project."""


class CodebookError(QualcodeError):
    """A codebook YAML file is invalid; the message lists every problem with its line."""


class NotFoundError(QualcodeError):
    """A segment, document, case, code or coder named by the user does not exist."""


class ReviewImportError(QualcodeError):
    """A filled-in review workbook cannot be applied; nothing was applied."""


class UsageError(QualcodeError):
    """Options that do not fit together or a required value (such as --coder) is missing."""


class PipelineNotInstalledError(QualcodeError):
    """A spaCy pipeline named with --model is not installed (it is never downloaded)."""


class ModelError(QualcodeError):
    """A model cannot be trained or used (too few examples, no model stored)."""


class ExchangeError(QualcodeError):
    """A REFI-QDA file (.qdpx, .qdc) cannot be read, is unsafe, or cannot be written; nothing was changed."""


class ChangedMeanwhileError(QualcodeError):
    """What a command was about to decide changed under it (another command or the browser page); nothing was
    changed; running the command again shows the project as it is now."""


class ProjectBusyError(ProjectError):
    """Another command holds the project file's write lock for longer than the wait allowed."""


class ProjectReadOnlyError(ProjectError):
    """The project file (or its folder) cannot be written."""


class ProjectCorruptError(ProjectError):
    """The project file is damaged; the message says what the integrity check found and how to restore."""


class ProjectStorageError(ProjectError):
    """The disk is full or failed while reading or writing the project file."""
