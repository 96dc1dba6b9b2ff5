"""One analysis result per command, computed once and rendered by every output.

:func:`analyse` selects the codings that count and computes from them, once, what the
outputs show: the opportunity/risk matrix (overall and per group), the quotes, the code
presence per case, the case listing, the comparison between groups (when asked for, or
automatically between studies), the agreement of two coders (when asked for) and the
provenance. The workbook, the report, the heatmap and the CLI's tables render the
:class:`Analysis` through its accessors (:meth:`Analysis.cell`, :meth:`Analysis.n_cases`,
:meth:`ComparisonResult.difference`, ...) and never index the DataFrames of
:mod:`qualcode.analysis.matrix`; this module is the one place that reads them.

Nothing here is worded for a reader: codes, directions, group values, counts and facts.
The renderers put them into words with :mod:`qualcode.outputs.i18n`, in the codebook's
language. (Group names are values of a case attribute; the missing value and the
comparison table's difference blocks are named in :mod:`qualcode.analysis.matrix`,
because they are keys there.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.analysis.agreement import AgreementResult
    from qualcode.analysis.matrix import Comparison, MatrixResult
    from qualcode.coding.codebook import Codebook
    from qualcode.store import Store



# -- cells -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One matrix cell: coded segments, distinct cases, of which suggestions, and cases / n of the group."""

    segments: int
    cases: int
    suggested: int = 0
    share_of_cases: float = 0.0


@dataclass(frozen=True)
class Difference:
    """A group's cell minus the baseline group's (the share in proportion points)."""

    segments: int
    cases: int
    share_of_cases: float


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Matrix:
    """The matrix overall and, with ``by``, per group value: read with :meth:`cell` and :meth:`n_cases`."""

    codes: tuple[str, ...]
    directions: tuple[str, ...]
    by: str | None
    groups: tuple[str, ...]
    include_suggested: bool
    cells: Mapping[tuple[str | None, str, str], Cell] = field(repr=False)
    cases_per_group: Mapping[str | None, int] = field(repr=False)

    def cell(self, code: str, direction: str, group: str | None = None) -> Cell:
        return self.cells[(group, code, direction)]

    def n_cases(self, group: str | None = None) -> int:
        """Cases with segments to code, overall or in ``group``: the denominator of shares."""
        return self.cases_per_group[group]

    @property
    def has_suggested(self) -> bool:
        """Whether any count of the overall matrix includes machine suggestions."""
        return any(self.cell(c, d).suggested for c in self.codes for d in self.directions)

    def max_segments(self, groups: Iterable[str | None] = (None,)) -> int:
        return max([0, *[self.cell(c, d, g).segments for g in groups for c in self.codes for d in self.directions]])


def matrix_view(result: "MatrixResult | Matrix") -> Matrix:
    """The :class:`Matrix` of a :class:`~qualcode.analysis.matrix.MatrixResult` (a Matrix is returned as is)."""
    if isinstance(result, Matrix):
        return result
    n: dict[str | None, int] = {None: result.n_cases}
    n.update(result.group_n_cases)
    parts: list[tuple[str | None, Any, Any]] = [(None, result.matrix, result.suggested)]
    parts += [(g, result.groups[g], result.group_suggested[g]) for g in result.groups]
    cells: dict[tuple[str | None, str, str], Cell] = {}
    for group, frame, sugg in parts:
        total = n[group]
        for code, label in zip(result.codes, frame.index):
            for d in result.directions:
                cases = int(frame.loc[label, (d, "cases")])
                cells[(group, code, d)] = Cell(int(frame.loc[label, (d, "segments")]), cases,
                                               int(sugg.loc[label, d]), cases / total if total else 0.0)
    return Matrix(codes=tuple(result.codes), directions=tuple(result.directions), by=result.by,
                  groups=tuple(result.groups), include_suggested=bool(result.selection.get("include_suggested")),
                  cells=_frozen(cells), cases_per_group=_frozen(n))


# -- the comparison ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ComparisonResult:
    """Two or more groups side by side (``groups``), each later one against the first (``baseline``)."""

    by: str
    matrix: Matrix
    versions: Mapping[str, tuple[str, ...]]
    codebook_changes: tuple[str, ...]

    @property
    def groups(self) -> tuple[str, ...]:
        return self.matrix.groups

    @property
    def baseline(self) -> str:
        return self.matrix.groups[0]

    @property
    def compared(self) -> tuple[str, ...]:
        """The groups that get a difference to the baseline."""
        return self.matrix.groups[1:]

    @property
    def codes(self) -> tuple[str, ...]:
        return self.matrix.codes

    @property
    def directions(self) -> tuple[str, ...]:
        return self.matrix.directions

    def n_cases(self, group: str) -> int:
        return self.matrix.n_cases(group)

    def cell(self, code: str, direction: str, group: str) -> Cell:
        return self.matrix.cell(code, direction, group)

    def difference(self, code: str, direction: str, group: str) -> Difference:
        a, b = self.cell(code, direction, group), self.cell(code, direction, self.baseline)
        return Difference(a.segments - b.segments, a.cases - b.cases, a.share_of_cases - b.share_of_cases)

    @property
    def has_suggested(self) -> bool:
        return self.matrix.has_suggested

    @property
    def codebook_changed(self) -> bool:
        return len({v for vs in self.versions.values() for v in vs}) > 1


def comparison_view(comparison: "Comparison") -> ComparisonResult:
    return ComparisonResult(by=comparison.by, matrix=matrix_view(comparison.result),
                            versions=_frozen({g: tuple(vs) for g, vs in comparison.versions.items()}),
                            codebook_changes=tuple(comparison.codebook_changes))


# -- quotes, cases, provenance -----------------------------------------------------------------
@dataclass(frozen=True)
class Quote:
    code: str
    direction: str
    rank: int
    pseudonym: str
    segment_id: int
    text: str
    status: str  # accepted | suggested
    study: str | None


@dataclass(frozen=True)
class CaseRow:
    """A case by pseudonym (never its id: automatic ids hold the speaker label), with its attributes."""

    pseudonym: str
    role: Any
    study: Any
    attributes: tuple[Any, ...]  # in the order of Analysis.case_attributes
    segments_to_code: int
    documents: int


@dataclass(frozen=True)
class Selection:
    """Which codings count (see :func:`qualcode.analysis.selection.select_codings`)."""

    coder: str | None = None
    reconciled: bool = False
    include_suggested: bool = False
    study: str | None = None
    coders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provenance:
    """What an output was made from: codebook, project, date, what counts, filters and counts."""

    codebook: str
    codebook_version: str
    codebook_language: str
    project_file: str
    project_id: str
    date: str
    qualcode_version: str
    selection: Selection | None
    filters: tuple[tuple[str, str], ...]
    segments_to_code: int
    coded_segments: int
    codings: int
    suggested_codings: int
    cases: int


def selection_of(codings_df: "pd.DataFrame") -> Selection | None:
    selection = codings_df.attrs.get("selection") or {}
    if not selection:
        return None
    return Selection(coder=selection.get("coder"), reconciled=bool(selection.get("reconciled")),
                     include_suggested=bool(selection.get("include_suggested")), study=selection.get("study"),
                     coders=tuple(selection.get("coders", ())))


def provenance(store: "Store", codings_df: "pd.DataFrame", codebook: Any, **filters: Any) -> Provenance:
    """The provenance of an output made from ``codings_df``; ``filters`` are the options shown (None left out)."""
    import pandas as pd

    from qualcode.store import documents, now
    from qualcode.version import __version__

    selection = selection_of(codings_df)
    cases = codings_df.attrs.get("cases")
    study = selection.study if selection else None
    shown = {k: v for k, v in filters.items() if v not in (None, False, "")}
    if study:
        shown["study"] = study
    return Provenance(
        codebook=codebook.name, codebook_version=codebook.version, codebook_language=codebook.language,
        project_file=str(store.path), project_id=store.project_id, date=now(), qualcode_version=__version__,
        selection=selection, filters=tuple((k, str(v)) for k, v in shown.items()),
        segments_to_code=int(documents.count_segments_to_code(store.con, study)),
        coded_segments=int(codings_df["segment_id"].nunique()) if len(codings_df) else 0,
        codings=int(len(codings_df)),
        suggested_codings=int((codings_df["status"] == "suggested").sum()) if len(codings_df) else 0,
        cases=int(cases["case_id"].nunique()) if isinstance(cases, pd.DataFrame) else 0,
    )


def case_listing(store: "Store", study: str | None = None) -> tuple[tuple[str, ...], tuple[CaseRow, ...]]:
    """The attribute names and one row per case (of ``study``), sorted by pseudonym."""
    from qualcode.analysis.selection import attribute_columns, case_rows
    from qualcode.store.documents import counts_per_case_to_code

    counts = counts_per_case_to_code(store.con)
    cases = case_rows(store)
    attrs = tuple(attribute_columns(store))
    rows = []
    for case_id, c in sorted(cases.items(), key=lambda kv: (str(kv[1]["pseudonym"]), kv[0])):
        if study is not None and c.get("case_study") != study:
            continue
        n, docs = counts.get(case_id, (0, 0))
        rows.append(CaseRow(c["pseudonym"], c["role"], c["case_study"], tuple(c.get(a) for a in attrs),
                            int(n or 0), int(docs)))
    return attrs, tuple(rows)


# -- the result --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Analysis:
    """Everything the outputs of one command show, computed once by :func:`analyse`."""

    codebook: "Codebook"
    matrix: Matrix
    matrix_result: "MatrixResult"  # the frames behind ``matrix`` (notebooks, CSV/JSON's long table)
    codings: "pd.DataFrame" = field(repr=False)  # one row per coded segment × code × direction
    provenance: Provenance
    quotes: tuple[Quote, ...] = ()
    quotes_table: "pd.DataFrame | None" = field(default=None, repr=False)  # the same quotes, flat
    presence: "pd.DataFrame | None" = field(default=None, repr=False)  # code presence per case (R/SPSS)
    case_attributes: tuple[str, ...] = ()
    cases: tuple[CaseRow, ...] = ()
    comparison: ComparisonResult | None = None
    comparison_left_out: str | None = None  # why the automatic comparison was left out
    agreement: "AgreementResult | None" = None

    # -- accessors -----------------------------------------------------------------------------
    @property
    def language(self) -> str:
        return getattr(self.codebook, "language", "en")

    @property
    def codes(self) -> tuple[str, ...]:
        return self.matrix.codes

    @property
    def directions(self) -> tuple[str, ...]:
        return self.matrix.directions

    @property
    def by(self) -> str | None:
        return self.matrix.by

    @property
    def groups(self) -> tuple[str, ...]:
        return self.matrix.groups

    def n_cases(self, group: str | None = None) -> int:
        return self.matrix.n_cases(group)

    def cell(self, code: str, direction: str, group: str | None = None) -> Cell:
        return self.matrix.cell(code, direction, group)

    @property
    def has_suggested(self) -> bool:
        return self.matrix.has_suggested

    @property
    def include_suggested(self) -> bool:
        return self.matrix.include_suggested

    @property
    def selection(self) -> Selection | None:
        return self.provenance.selection

    def long_table(self) -> "pd.DataFrame":
        """One row per (group, code, direction) with segments, cases, suggested, n_cases: for CSV and JSON."""
        return self.matrix_result.long()

    def quotes_for(self, code: str, direction: str) -> tuple[Quote, ...]:
        return tuple(q for q in self.quotes if q.code == code and q.direction == direction)


def analyse(
    store: "Store",
    codebook: "Codebook | None" = None,
    *,
    coder: str | None = None,
    reconciled: bool = False,
    include_suggested: bool = False,
    study: str | None = None,
    by: str | None = None,
    compare_by: str | None = None,
    auto_compare: bool = True,
    allow_codebook_change: bool = False,
    per_cell: int | None = 3,
    max_chars: int = 300,
    presence: bool = True,
    agreement: tuple[str, str] | None = None,
    agreement_by: str | None = None,
) -> Analysis:
    """Select the codings that count and compute, once, everything the outputs show.

    ``by``: also the matrix per value of this case attribute. ``compare_by``: the comparison
    by this attribute (its errors propagate); without it and with ``auto_compare``, by study
    when the selection spans two or more studies (a problem then leaves it out, and
    ``comparison_left_out`` says why). ``per_cell``: quotes per cell (None: no quotes).
    ``presence``: the per-case table and the case listing. ``agreement=(coder_a, coder_b)``:
    their agreement, per value of ``agreement_by``.
    """
    from qualcode.analysis import matrix as mx
    from qualcode.analysis.selection import check_attribute, select_codings

    check_attribute(store, by)
    check_attribute(store, compare_by, "--compare-by")
    df = select_codings(store, coder=coder, reconciled=reconciled, include_suggested=include_suggested, study=study)
    if codebook is None:
        from qualcode.coding.codebook import stored_codebook

        codebook = stored_codebook(store)
    result = mx.opportunity_risk_matrix(df, codebook, by=by)
    comparison, left_out = None, None
    if compare_by is not None or auto_compare:
        comparison, left_out = mx.chosen_comparison(store, df, codebook, compare_by=compare_by,
                                                    allow_codebook_change=allow_codebook_change)
    info = provenance(store, df, codebook, by=by, compare_by=comparison.by if comparison else None,
                      per_cell=per_cell)
    quotes_table = mx.quotes(df, codebook, per_cell=per_cell, max_chars=max_chars) if per_cell else None
    quotes = tuple(Quote(r["code"], r["direction"], int(r["rank"]), r["pseudonym"], int(r["segment_id"]), r["text"],
                         r["status"], r["study"]) for r in quotes_table.to_dict("records")) \
        if quotes_table is not None else ()
    attrs, cases = case_listing(store, study) if presence else ((), ())
    agreed = None
    if agreement is not None:
        from qualcode.analysis.agreement import agreement as agreement_of

        agreed = agreement_of(store, agreement[0], agreement[1], by=agreement_by)
    return Analysis(
        codebook=codebook, matrix=matrix_view(result), matrix_result=result, codings=df, provenance=info,
        quotes=quotes, quotes_table=quotes_table,
        presence=mx.code_presence_per_case(df, store, codebook) if presence else None,
        case_attributes=attrs, cases=cases,
        comparison=comparison_view(comparison) if comparison is not None else None, comparison_left_out=left_out,
        agreement=agreed,
    )
