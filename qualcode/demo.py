"""The whole job on the sample study, in one call: import, code, apply the committed review, outputs.

``qualcode demo`` and ``make demo`` run this. It builds a fresh project in the
output folder each time, so what it shows is reproducible from the repository.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypedDict

from qualcode.errors import UsageError

PROJECT_NAME = "demo.qualcode"
# The workshop notes are a table: which columns hold the text, the row id and the group.
class TableOptions(TypedDict):
    text_columns: list[str]
    id_column: str
    case_column: str


TABLE_OPTIONS: TableOptions = {"text_columns": ["notitie"], "id_column": "opmerking_id", "case_column": "groep"}


@dataclass(frozen=True)
class DemoResult:
    project: Path
    workbook: Path
    report: Path
    heatmap: Path
    reviews: tuple[tuple[str, str], ...]  # (coder, summary line)
    coder: str  # whose decisions the outputs count
    docx: Path | None = None  # the Word report (with the scenario draft)


def _remove_project(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def run_demo(
    out_dir: str | Path = "demo-output",
    *,
    sample_dir: str | Path | None = None,
    codebook: str | Path | None = None,
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """Build ``out_dir/demo.qualcode`` from the sample and write the workbook and the report there.

    By default the sample study and the Dutch codebook that ship with qualcode are used
    (:mod:`qualcode.resources`), so the demo runs from any folder.
    """
    from qualcode.coding.codebook import load_codebook
    from qualcode.project import Project

    from qualcode import resources

    sample_dir = Path(sample_dir) if sample_dir is not None else resources.sample_dir()
    codebook = Path(codebook) if codebook is not None else resources.default_codebook_path("nl")
    out_dir = Path(out_dir)
    if not (sample_dir / "cases.csv").exists():
        raise UsageError(f"{sample_dir}: no sample study here (cases.csv missing); check the path, or leave out "
                         "--sample to use the sample study that comes with qualcode")
    if not codebook.exists():
        raise UsageError(f"{codebook}: no such codebook; check the path, or leave out --codebook to use the default "
                         "Dutch codebook")
    out_dir.mkdir(parents=True, exist_ok=True)
    project_path = out_dir / PROJECT_NAME
    _remove_project(project_path)

    with Project.init(project_path) as project:
        studies = sorted(p for p in sample_dir.iterdir() if p.is_dir() and p.name != "review")
        report = project.import_files(studies, cases=sample_dir / "cases.csv", **TABLE_OPTIONS)
        echo(f"Imported {len(report.imported)} documents from {', '.join(s.name for s in studies)} "
             f"({sum(f.segments for f in report.imported)} segments, {report.cases_created} cases).")
        # The committed review workbooks were exported with the sample's codebook: they are applied
        # under it, and another codebook (the English edition: same code ids) is loaded after them.
        review_codebook = resources.default_codebook_path("nl")
        switch = load_codebook(codebook).version != load_codebook(review_codebook).version
        coded = project.code(review_codebook if switch else codebook)
        echo(f"Auto-coded {coded.segments} segments: {coded.added} suggestions.")
        reviews = []
        for workbook in sorted((sample_dir / "review").glob("review-*.xlsx")):
            coder = workbook.stem.removeprefix("review-")
            # The committed review was exported from another build of the same sample: rows are
            # matched by segment id and must carry exactly the same text.
            summary = project.import_review(workbook, coder, from_other_project=True)
            reviews.append((coder, str(summary)))
            echo(f"Applied the review of {coder} ({workbook.name}): {summary}")
        if not reviews:
            raise UsageError(f"{sample_dir / 'review'}: no review-CODER.xlsx workbooks; the demo needs the sample's review")
        if switch:
            recoded = project.code(codebook)
            echo(f"Codebook {codebook.name} loaded after the review (the review was made with {review_codebook.name}; "
                 f"the decisions keep their code ids); auto-coded again: {recoded.added} suggestions.")
        main_coder = reviews[0][0]
        workbook_path = out_dir / "qualcode-demo.xlsx"
        pair = (reviews[0][0], reviews[1][0]) if len(reviews) > 1 else (main_coder, "keyword")
        project.export_workbook(workbook_path, coder=main_coder, by="role", agreement=pair, overwrite=True)
        report_dir = out_dir / "report"
        files = project.write_report(report_dir, coder=main_coder, by="role", scenarios=True, docx=True)
    return DemoResult(project_path, workbook_path, files.html, files.heatmap, tuple(reviews), main_coder, files.docx)
