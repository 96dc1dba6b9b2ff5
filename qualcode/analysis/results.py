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
from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.analysis.agreement import AgreementResult
    from qualcode.analysis.matrix import Comparison, MatrixResult
    from qualcode.analysis.passages import Pair, Passage
    from qualcode.analysis.scenarios import Scenario
    from qualcode.coding.codebook import Codebook
    from qualcode.store import Store
    from qualcode.store.passages import SegmentPlace



# -- cells -----------------------------------------------------------------------------------
def round_half_up(value: Fraction) -> int:
    """The nearest whole number, half-way values away from zero (12.5 → 13, -12.5 → -13)."""
    magnitude = abs(value) + Fraction(1, 2)
    whole = magnitude.numerator // magnitude.denominator
    return whole if value >= 0 else -whole


def share(part: int, whole: int) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


@dataclass(frozen=True)
class Cell:
    """One matrix cell: coded segments, distinct cases, of which suggestions, and cases / n of the group."""

    segments: int
    cases: int
    suggested: int = 0
    share_of_cases: float = 0.0
    n_cases: int = 0  # the group's cases: the denominator of the share

    @property
    def percent(self) -> int:
        """The share of the group's cases in whole percent, half-way values rounded up."""
        return round_half_up(share(self.cases, self.n_cases) * 100)


@dataclass(frozen=True)
class Difference:
    """A group's cell minus the baseline group's (the share in proportion points)."""

    segments: int
    cases: int
    share_of_cases: float
    points: int = 0  # the share's difference in whole percentage points, half-way values away from zero


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
        """The cell; a direction this matrix has no column for (another study's 'none') is an empty cell."""
        if direction not in self.directions and code in self.codes:
            return Cell(0, 0, 0, 0.0, self.n_cases(group))
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
                                               int(sugg.loc[label, d]), cases / total if total else 0.0, total)
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
        points = round_half_up((share(a.cases, a.n_cases) - share(b.cases, b.n_cases)) * 100)
        return Difference(a.segments - b.segments, a.cases - b.cases, a.share_of_cases - b.share_of_cases, points)

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
    """A quote of a cell: its rank there and the passage it comes from (text = the passage's excerpt)."""

    code: str
    direction: str
    rank: int
    passage: "Passage" = field(repr=False)

    @property
    def text(self) -> str:
        return self.passage.excerpt

    @property
    def pseudonym(self) -> str:
        return self.passage.pseudonym

    @property
    def segment_id(self) -> int:
        return self.passage.segment_id

    @property
    def status(self) -> str:
        return self.passage.status

    @property
    def study(self) -> str | None:
        return self.passage.study


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
    # With ``reconciled``: where the counted segments' codes come from (coded segments, not codings).
    settled_segments: int = 0  # settled with `qualcode reconcile` (the 'reconciled' pseudo-coder)
    agreed_segments: int = 0  # decided by two or more coders, who all accepted the code
    single_coder_segments: int = 0  # decided by one coder only: that coder's codes

    @property
    def nothing_reconciled(self) -> bool:
        """``reconciled`` was asked for, but no segment was settled with `qualcode reconcile`."""
        return self.reconciled and not self.settled_segments


@dataclass(frozen=True)
class Provenance:
    """What an output was made from: codebook, project, date, what counts, filters and counts."""

    codebook: str
    codebook_version: str
    codebook_language: str
    project_file: str  # the file's name only (an absolute path names the user's folders)
    project_id: str
    date: str  # UTC, ISO 8601; outputs show it in local time (:meth:`qualcode.outputs.i18n.Words.date`)
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
    reconciled = bool(selection.get("reconciled"))
    settled = agreed = single = 0
    if reconciled and len(codings_df):
        from qualcode.store.codings import RECONCILED

        accepted = codings_df[codings_df["status"] == "accepted"]
        coder_of = accepted.groupby("segment_id")["coder"].first().astype(str)
        settled = int((coder_of == RECONCILED).sum())
        agreed = int(coder_of.str.contains("+", regex=False).sum())
        single = len(coder_of) - settled - agreed
    return Selection(coder=selection.get("coder"), reconciled=reconciled,
                     include_suggested=bool(selection.get("include_suggested")), study=selection.get("study"),
                     coders=tuple(selection.get("coders", ())), settled_segments=settled, agreed_segments=agreed,
                     single_coder_segments=single)


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
        project_file=store.path.name, project_id=store.project_id, date=now(), qualcode_version=__version__,
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
    # every coded segment × cell, citable (empty when made with passages=False)
    passages: tuple["Passage", ...] = field(default=(), repr=False)
    # per coded segment its place in its document, and the memos on it (only segments that have them)
    places: Mapping[int, "SegmentPlace"] = field(default_factory=dict, repr=False)
    memos: Mapping[int, tuple[tuple[str, str], ...]] = field(default_factory=dict, repr=False)
    co_occurrence: tuple["Pair", ...] = ()  # cells coded on the same segments, most segments first
    studies: tuple[str, ...] = ()  # the studies the selection covers
    parts: tuple["Analysis", ...] = field(default=(), repr=False)  # one analysis per study (not pooled)
    scenarios: tuple["Scenario", ...] = ()  # the scenario draft of this scope (with ``scenarios=True``)

    # -- scope ---------------------------------------------------------------------------------
    def scopes(self) -> tuple["Analysis", ...]:
        """What the outputs show one by one: one analysis per study, or this one (pooled, or one study)."""
        return self.parts or (self,)

    @property
    def study(self) -> str | None:
        """The study this analysis is about; None when it pools several (or the project has none)."""
        if self.selection is not None and self.selection.study:
            return self.selection.study
        return self.studies[0] if len(self.studies) == 1 else None

    @property
    def pooled(self) -> bool:
        """True when the numbers mix two or more studies."""
        return len(self.studies) > 1 and not self.parts

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

    def passages_for(self, code: str, direction: str) -> tuple["Passage", ...]:
        """Every passage of a cell, in segment order: the drill-down behind the count (with passages=True)."""
        return tuple(p for p in self.passages if p.code == code and p.direction == direction)

    @property
    def memo_count(self) -> int:
        """Memos on the coded segments, one per segment and coder."""
        return sum(len(m) for m in self.memos.values())


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
    all_studies: bool = False,
    auto_agreement: bool = False,
    scenarios: bool = False,
    passages: bool = True,
) -> Analysis:
    """Select the codings that count and compute, once, everything the outputs show.

    ``by``: also the matrix per value of this case attribute. ``compare_by``: the comparison
    by this attribute (its errors propagate); without it and with ``auto_compare``, by study
    when the selection spans two or more studies (a problem then leaves it out, and
    ``comparison_left_out`` says why). ``per_cell``: quotes per cell (None: no quotes).
    ``presence``: the per-case table and the case listing. ``agreement=(coder_a, coder_b)``:
    their agreement, per value of ``agreement_by``. With two or more studies and no
    ``study``, ``parts`` holds one analysis per study (what the outputs show, study by
    study) unless ``all_studies`` pools them; the comparison and agreement stay here.
    Quotes are spread over the values of ``by`` (default: role) and over cases.
    ``auto_agreement``: without ``agreement``, the agreement of the first two human coders
    when the project has two or more (the report's section). ``scenarios``: the scenario
    draft (:mod:`qualcode.analysis.scenarios`), per scope. ``passages``: every coding as a
    citable passage (the report's and the browser's drill-down, and the scenario draft's
    material); without it ``passages`` is empty and the quotes are chosen from passages made
    only for the codings the choice looks at (the same quotes: the workbook needs no more).
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
    from qualcode.analysis.passages import choose_quotes, co_occurrence, memos_per_segment, quotes_per_cell
    from qualcode.analysis.passages import passages as passages_of
    from qualcode.store.passages import segment_places

    spread_by = by if by and by in df.columns else "role"
    found = passages_of(store, df, spread_by=spread_by, max_chars=max_chars) if passages or scenarios else ()
    cells = [(c, d) for c in result.codes for d in result.directions]
    order = {cell: i for i, cell in enumerate(cells)}
    quotes: tuple[Quote, ...] = ()
    if per_cell:
        if passages or scenarios:
            chosen = {(code, d): choose_quotes([x for x in found if x.code == code and x.direction == d], per_cell,
                                               max_chars) for code, d in cells}
        else:
            chosen = quotes_per_cell(store, df, cells, per_cell, spread_by=spread_by, max_chars=max_chars)
        quotes = tuple(Quote(code, d, rank, p) for code, d in cells
                       for rank, p in enumerate(chosen[code, d], start=1))
    quotes_table = quotes_frame(quotes, codebook) if per_cell else None
    attrs, cases = case_listing(store, study) if presence else ((), ())
    universe = df.attrs.get("cases")
    studies = tuple(sorted({str(s) for s in universe["study"].dropna()})) if universe is not None and len(universe) \
        else ()
    parts: tuple[Analysis, ...] = ()
    if study is None and not all_studies and len(studies) > 1:
        parts = tuple(analyse(store, codebook, coder=coder, reconciled=reconciled,
                              include_suggested=include_suggested, study=s, by=by, auto_compare=False,
                              per_cell=per_cell, max_chars=max_chars, presence=False, scenarios=scenarios,
                              passages=passages)
                      for s in studies)
    pairs = co_occurrence(df, order)
    draft: tuple[Scenario, ...] = ()
    if scenarios and not parts:
        draft = _scenarios(store, df, codebook, result, by, found, pairs, max_chars)
    agreed = None
    if agreement is None and auto_agreement:
        from qualcode.store.codings import RECONCILED, coders as coders_of

        humans = [c for c in coders_of(store.con) if c != RECONCILED]
        if len(humans) >= 2:
            agreement = (humans[0], humans[1])
    if agreement is not None:
        from qualcode.analysis.agreement import agreement as agreement_of

        agreed = agreement_of(store, agreement[0], agreement[1], by=agreement_by)
    return Analysis(
        codebook=codebook, matrix=matrix_view(result), matrix_result=result, codings=df, provenance=info,
        quotes=quotes, quotes_table=quotes_table,
        presence=mx.code_presence_per_case(df, store, codebook) if presence else None,
        case_attributes=attrs, cases=cases,
        comparison=comparison_view(comparison) if comparison is not None else None, comparison_left_out=left_out,
        agreement=agreed, passages=found, places=segment_places(store.con, set(df["segment_id"].tolist())),
        memos=memos_per_segment(store, df), co_occurrence=pairs, studies=studies, parts=parts, scenarios=draft,
    )


def _scenarios(store: "Store", df: "pd.DataFrame", codebook: Any, result: "MatrixResult", by: str | None,
               found: tuple["Passage", ...], pairs: tuple["Pair", ...], max_chars: int) -> tuple["Scenario", ...]:
    """The scenario draft of one scope; its groups are those of ``by``, else the roles (when cases have one)."""
    from qualcode.analysis import matrix as mx
    from qualcode.analysis.scenarios import scenario_draft
    from qualcode.store.passages import evidence_per_coding

    group_by = by or ("role" if "role" in df.columns and df["role"].notna().any() else None)
    groups = None
    if group_by is not None:
        groups = matrix_view(result) if group_by == by else matrix_view(
            mx.opportunity_risk_matrix(df, codebook, by=group_by))
    return scenario_draft(matrix_view(result), groups, found, pairs, evidence_per_coding(store.con, {p.segment_id for p in found}), codebook, df,
                          max_chars)


QUOTE_COLUMNS = ["code", "aspect", "direction", "direction_label", "rank", "pseudonym", "role", "study", "document",
                 "position", "start_time", "segment_id", "question", "text", "status"]


def quotes_frame(quotes: Iterable[Quote], codebook: Any) -> "pd.DataFrame":
    """The quotes as a flat table (CSV/JSON): one row per quote with its source."""
    import pandas as pd

    from qualcode.analysis.matrix import code_label, direction_label

    rows = [{"code": q.code, "aspect": code_label(codebook, q.code), "direction": q.direction,
             "direction_label": direction_label(codebook, q.direction), "rank": q.rank, "pseudonym": q.pseudonym,
             "role": q.passage.role, "study": q.study, "document": q.passage.document, "position": q.passage.position,
             "start_time": q.passage.start_time, "segment_id": q.segment_id, "question": q.passage.question,
             "text": q.text, "status": q.status} for q in quotes]
    return pd.DataFrame(rows, columns=QUOTE_COLUMNS)
