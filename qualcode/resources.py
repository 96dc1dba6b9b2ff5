"""Where the files that ship with qualcode are: the default codebooks and the sample study.

The repository keeps them in its top-level ``codebooks/`` and ``transcripts_sample/``
folders, the one copy there is. The packaging (``package_dir`` in setup.cfg) puts them
into a wheel as the data packages ``qualcode.data.codebooks`` and ``qualcode.data.sample``
(folders without ``__init__.py``), which an installed qualcode finds here through
:mod:`importlib.resources`.

A qualcode that runs from a checkout has no such packages: run with ``PYTHONPATH=.``, or
installed editable (``pip install -e .``, as the Makefile does), whose import hook serves
``qualcode/`` from the checkout but not data folders mapped from elsewhere. It gets the
checkout's folders beside ``qualcode/``. Either way the answer is a real folder on disk.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

LANGUAGES = ("nl", "en")
LANGUAGE_NAMES = {"nl": "Dutch", "en": "English"}

_CHECKOUT = Path(__file__).resolve().parent.parent


def _folder(package: str, marker: str, checkout_folder: str) -> Path:
    """The folder of a data package, found by a file it must hold."""
    try:
        # A data folder has no __init__.py, so this may be a namespace package whose
        # files() is not a Path; the marker file in it always is one.
        return Path(str(resources.files(package).joinpath(marker))).parent
    except ModuleNotFoundError:
        return _CHECKOUT / checkout_folder


def codebooks_dir() -> Path:
    """The folder with the default codebooks (``werkbeleving.yaml``, ``werkbeleving.en.yaml``)."""
    return _folder("qualcode.data.codebooks", "werkbeleving.yaml", "codebooks")


def default_codebook_path(language: str = "nl") -> Path:
    """The default werkbeleving codebook for 'nl' (Dutch) or 'en' (English)."""
    return codebooks_dir() / ("werkbeleving.yaml" if language == "nl" else f"werkbeleving.{language}.yaml")


def sample_dir() -> Path:
    """The sample study: ``vo-2025/``, ``po-2019/``, ``cases.csv`` and the coders' ``review/`` workbooks."""
    return _folder("qualcode.data.sample", "cases.csv", "transcripts_sample")
