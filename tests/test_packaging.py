"""Packaging: the default codebooks and the sample study ship inside the package.

The fast tests check setup.cfg against the source tree. The slow ones install qualcode
into a fresh virtual environment, once from a wheel and once editable, and run it from
an empty folder, so that they cannot pass by importing this checkout.
"""
from __future__ import annotations

import configparser
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from qualcode import resources

ROOT = Path(__file__).resolve().parent.parent
DATA_PACKAGES = {"qualcode.data.codebooks": "codebooks", "qualcode.data.sample": "transcripts_sample"}
# In the checkout but not shipped: the README's pictures and the developers' refresh script.
NOT_SHIPPED = {"heatmap-sample.png", "review-page.png", "review/refresh_review.py"}


def _options() -> configparser.SectionProxy:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    return config["options"]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


# -- setup.cfg against the source tree ------------------------------------------------------
def test_every_subpackage_of_qualcode_is_listed_in_setup_cfg():
    listed = set(_lines(_options()["packages"]))
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "qualcode").rglob("__init__.py")}
    assert found - listed == set(), "add these packages to [options] packages in setup.cfg"
    assert listed - found == set(DATA_PACKAGES), "these packages in setup.cfg no longer exist"


def test_the_data_packages_map_onto_the_top_level_folders():
    mapping = dict(line.replace(" ", "").split("=") for line in _lines(_options()["package_dir"]))
    assert mapping == DATA_PACKAGES
    for folder in mapping.values():
        assert (ROOT / folder).is_dir()


def test_the_package_data_globs_ship_the_whole_sample_study():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    globs = _lines(config["options.package_data"]["qualcode.data.sample"])
    sample = ROOT / "transcripts_sample"
    files = {p.relative_to(sample).as_posix() for p in sample.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    shipped = {p.relative_to(sample).as_posix() for glob in globs for p in sample.glob(glob) if p.is_file()}
    assert files - shipped == NOT_SHIPPED
    assert "cases.csv" in shipped and any(f.startswith("review/") for f in shipped)


def test_resources_find_the_default_codebooks_and_the_sample():
    assert resources.default_codebook_path("nl").name == "werkbeleving.yaml"
    for language in ("nl", "en"):
        assert resources.default_codebook_path(language).is_file()
    sample = resources.sample_dir()
    assert (sample / "cases.csv").is_file()
    assert sorted(p.name for p in (sample / "review").glob("review-*.xlsx")) == ["review-anna.xlsx", "review-bob.xlsx"]


# -- the defaults, from any folder -----------------------------------------------------------
def _cli(*args: str):
    from click.testing import CliRunner

    from qualcode.cli import main

    return CliRunner().invoke(main, list(args), env={"QUALCODE_PROJECT": None, "QUALCODE_CODER": None})


def test_code_without_a_codebook_in_a_new_project_uses_the_default_dutch_one(seeded, tmp_path, monkeypatch):
    project, _ = seeded
    monkeypatch.chdir(tmp_path)
    result = _cli("code", "--project", str(project.path))
    assert result.exit_code == 0, result.output
    assert f"coding with the default Dutch codebook ({resources.default_codebook_path('nl')})" in result.output
    assert project.codebook().name == "werkbeleving" and project.codebook().language == "nl"
    again = _cli("code", "--project", str(project.path))  # now the project's own codebook
    assert again.exit_code == 0 and "default Dutch codebook" not in again.output


def test_codebook_show_default_says_where_the_file_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args, language in ((["--default"], "nl"), (["--default", "en"], "en")):
        result = _cli("codebook", "show", *args)
        assert result.exit_code == 0, result.output
        assert str(resources.default_codebook_path(language)) in result.output.splitlines()[0]
    both = _cli("codebook", "show", "x.yaml", "--default")
    assert both.exit_code == 1 and "not both" in both.output


def test_the_messages_name_fixes_that_exist_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    demo = _cli("demo", "--sample", "nope", "--out", "out")
    assert demo.exit_code == 1 and "leave out --sample" in demo.output
    demo = _cli("demo", "--codebook", "nope.yaml", "--out", "out")
    assert demo.exit_code == 1 and "leave out --codebook to use the default Dutch codebook" in demo.output
    for source in (ROOT / "qualcode").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for stale in ("run the demo from the qualcode folder", "--codebook codebooks/", "e.g. codebooks/"):
            assert stale not in text, f"{source.relative_to(ROOT)}: {stale!r}"


# -- a fresh virtual environment ----------------------------------------------------------------
def _copy_source(dest: Path) -> Path:
    """The files a build reads, copied, so that building leaves nothing in the checkout."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    dest.mkdir()
    for name in ("qualcode", "codebooks", "transcripts_sample"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    return dest


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "QUALCODE_PROJECT", "QUALCODE_CODER")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _fresh_venv(path: Path) -> Path:
    """A venv without pip whose dependencies are this interpreter's (a .pth file): nothing is downloaded."""
    venv.EnvBuilder(with_pip=False).create(path)
    python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True, env=_clean_env()).stdout.strip()
    parents = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    Path(site, "_qualcode_test_parent.pth").write_text("\n".join(parents) + "\n", encoding="utf-8")
    return python


def _run(args: list, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=_clean_env(),
                            timeout=300)
    assert result.returncode == 0, f"{' '.join(map(str, args))} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _pip_install(python: Path, *args: str | Path) -> None:
    # pip of this interpreter, run inside the new venv (it is on the path through the .pth file);
    # --ignore-installed: never touch a qualcode of the parent environment.
    _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--ignore-installed", *args],
         cwd=python.parent)


def _where(python: Path, cwd: Path) -> dict[str, Path]:
    out = _run([python, "-c", "import qualcode, qualcode.resources as r; "
                "print(qualcode.__file__); print(r.default_codebook_path('nl')); print(r.sample_dir())"], cwd).stdout
    package, codebook, sample = out.splitlines()
    return {"package": Path(package), "codebook": Path(codebook), "sample": Path(sample)}


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_runs_the_demo_and_codes_with_the_default_codebook(tmp_path):
    source = _copy_source(tmp_path / "src")
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", dist, source], cwd=tmp_path)
    (wheel,) = dist.glob("qualcode-*.whl")
    env_dir = tmp_path / "venv"
    python = _fresh_venv(env_dir)
    _pip_install(python, wheel)
    qualcode = python.parent / "qualcode"
    work = tmp_path / "work"
    work.mkdir()

    where = _where(python, work)
    for key, path in where.items():
        assert path.resolve().is_relative_to(env_dir.resolve()), f"{key} comes from {path}, not from the new venv"

    from qualcode.version import __version__

    assert __version__ in _run([qualcode, "--version"], work).stdout
    demo = _run([qualcode, "demo", "--out", "out"], work)
    assert "Applied the review of anna" in demo.stdout
    assert (work / "out" / "qualcode-demo.xlsx").is_file()
    assert (work / "out" / "report" / "report.html").is_file()

    _run([qualcode, "init"], work)
    _run([qualcode, "import", where["sample"] / "po-2019"], work)
    coded = _run([qualcode, "code"], work)
    assert f"coding with the default Dutch codebook ({where['codebook']})" in coded.stdout
    con = sqlite3.connect(work / "project.qualcode")
    suggestions = con.execute("SELECT count(*) FROM codings WHERE origin = 'keyword'").fetchone()[0]
    con.close()
    assert suggestions > 0
    shown = _run([qualcode, "codebook", "show", "--default", "en"], work)
    assert str(where["codebook"].with_name("werkbeleving.en.yaml")) in shown.stdout


@pytest.mark.slow
def test_an_editable_install_finds_the_data_in_its_checkout(tmp_path):
    source = _copy_source(tmp_path / "src")
    python = _fresh_venv(tmp_path / "venv")
    _pip_install(python, "--no-build-isolation", "-e", source)
    work = tmp_path / "work"
    work.mkdir()
    where = _where(python, work)
    source = source.resolve()
    assert {key: path.resolve() for key, path in where.items()} == {
        "package": source / "qualcode" / "__init__.py",
        "codebook": source / "codebooks" / "werkbeleving.yaml",
        "sample": source / "transcripts_sample",
    }
    shown = _run([python.parent / "qualcode", "codebook", "show", "--default"], work)
    assert "werkbeleving.yaml" in shown.stdout and "werkbeleving (nl)" in shown.stdout
