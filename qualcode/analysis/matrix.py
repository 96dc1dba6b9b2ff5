"""The opportunity/risk matrix per aspect of work, its quotes, per-case presence and comparisons.

Everything here is a pandas DataFrame computed from the table of codings that
count (:func:`qualcode.analysis.selection.select_codings`), for notebooks and for
:mod:`qualcode.analysis.results`, which reads these frames once into the one result
every output renders (the renderers never index the frames themselves). A cell holds
the number of coded segments and the number of distinct cases (respondents or groups)
behind them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, cast

import pandas as pd

from qualcode.errors import CodebookError, UsageError
from qualcode.store import codings

if TYPE_CHECKING:
    from qualcode.coding.codebook import Codebook
    from qualcode.store import Store

MAIN_DIRECTIONS = ("opportunity", "risk")
MEASURES = ("segments", "cases")
# Words that are keys of the tables made here, not just text: the name of the missing value of a
# group attribute (a key of ``MatrixResult.groups`` like any other group name) and the word in
# the name of a difference block of :func:`compare`'s table. Every other word a reader sees is
# in :mod:`qualcode.outputs.i18n`, which takes these two from here.
KEY_WORDS: dict[str, dict[str, str]] = {
    "nl": {"no_value": "(geen waarde)", "difference": "verschil"},
    "en": {"no_value": "(no value)", "difference": "difference"},
}
NO_VALUE = {language: words["no_value"] for language, words in KEY_WORDS.items()}


def code_label(codebook: "Codebook", code: str) -> str:
    """The code's label in the codebook, or its id when the codebook does not (or no longer) know it."""
    try:
        label = codebook.label(code)
    except (KeyError, LookupError, ValueError, AttributeError):
        return code
    return label or code


def direction_label(codebook: "Codebook", direction: str) -> str:
    try:
        return codebook.direction_label(direction) or direction
    except (KeyError, LookupError, ValueError, AttributeError):
        return direction


def short_version(version: str | None) -> str:
    return (version or "")[:12]


# -- the matrix ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MatrixResult:
    """The combined matrix and, with ``by``, one matrix per value of that attribute.

    ``matrix``: rows = codes in codebook order (index = label in the codebook's
    language), columns = MultiIndex (direction, measure) with measure segments/cases.
    ``suggested``: per code × direction, how many of the segments are machine
    suggestions (all zero unless suggestions were included).
    """

    matrix: pd.DataFrame
    suggested: pd.DataFrame
    codes: list[str]
    directions: list[str]
    n_cases: int
    n_segments: int
    language: str
    by: str | None = None
    groups: dict[str, pd.DataFrame] = field(default_factory=dict)
    group_suggested: dict[str, pd.DataFrame] = field(default_factory=dict)
    group_n_cases: dict[str, int] = field(default_factory=dict)
    selection: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_suggested(self) -> bool:
        return bool(self.suggested.to_numpy().sum())

    def segments(self, direction: str, group: str | None = None) -> pd.Series:
        frame = self.matrix if group is None else self.groups[group]
        return frame[(direction, "segments")]

    def long(self) -> pd.DataFrame:
        """One row per (group, code, direction): for CSV and JSON output."""
        rows = []
        parts: list[tuple[str | None, pd.DataFrame, pd.DataFrame, int]] = [
            (None, self.matrix, self.suggested, self.n_cases)]
        parts += [(g, self.groups[g], self.group_suggested[g], self.group_n_cases[g]) for g in self.groups]
        for group, frame, sugg, n in parts:
            for code, label in zip(self.codes, frame.index):
                for d in self.directions:
                    rows.append({"group": group, "code": code, "aspect": label, "direction": d,
                                 "segments": int(frame.loc[label, (d, "segments")]),
                                 "cases": int(frame.loc[label, (d, "cases")]),
                                 "suggested": int(sugg.loc[label, d]), "n_cases": n})
        out = pd.DataFrame(rows, columns=["group", "code", "aspect", "direction", "segments", "cases",
                                          "suggested", "n_cases"])
        if self.by is not None:
            out = out.rename(columns={"group": self.by})
        else:
            out = out.drop(columns=["group"])
        return out


def matrix_codes(codings_df: pd.DataFrame, codebook: "Codebook") -> list[str]:
    """Codebook codes in file order, then codes that only the codings know (an older codebook's)."""
    codes = [c.id for c in codebook.codes]
    extra = sorted(set(codings_df["code"].dropna()) - set(codes)) if len(codings_df) else []
    return codes + extra


def matrix_directions(codings_df: pd.DataFrame) -> list[str]:
    present = set(codings_df["direction"].dropna()) if len(codings_df) else set()
    return [*MAIN_DIRECTIONS, *(["none"] if "none" in present else [])]


def _count(df: pd.DataFrame, codes: list[str], directions: list[str], labels: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = pd.MultiIndex.from_product([directions, list(MEASURES)], names=["direction", "measure"])
    counts = pd.DataFrame(0, index=pd.Index(labels, name="aspect"), columns=columns, dtype="int64")
    suggested = pd.DataFrame(0, index=pd.Index(labels, name="aspect"), columns=pd.Index(directions, name="direction"),
                             dtype="int64")
    if len(df):
        label_of = dict(zip(codes, labels))
        segs = df.groupby(["code", "direction"])["segment_id"].nunique()
        cases = df.dropna(subset=["case_id"]).groupby(["code", "direction"])["case_id"].nunique()
        sugg = df[df["status"] == "suggested"].groupby(["code", "direction"])["segment_id"].nunique()
        for key, n in segs.items():
            code, d = cast("tuple[str, str]", key)  # grouped by two columns: the keys are pairs
            if code in label_of and d in directions:
                counts.loc[label_of[code], (d, "segments")] = int(n)
        for key, n in cases.items():
            code, d = cast("tuple[str, str]", key)
            if code in label_of and d in directions:
                counts.loc[label_of[code], (d, "cases")] = int(n)
        for key, n in sugg.items():
            code, d = cast("tuple[str, str]", key)
            if code in label_of and d in directions:
                suggested.loc[label_of[code], d] = int(n)
    return counts, suggested


def _universe(codings_df: pd.DataFrame) -> pd.DataFrame:
    """The cases with segments to code (from the selection), or, lacking that, the coded cases."""
    cases = codings_df.attrs.get("cases")
    if isinstance(cases, pd.DataFrame):
        return cases
    return codings_df.dropna(subset=["case_id"]).drop_duplicates(["case_id", "study"])


def group_values(values: Iterable[Any], language: str) -> list[str]:
    """Sorted group names (as text), the missing value last."""
    names = {group_name(v, language) for v in values}
    missing = NO_VALUE.get(language, NO_VALUE["en"])
    return sorted(names - {missing}, key=str) + ([missing] if missing in names else [])


def group_name(value: Any, language: str) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return NO_VALUE.get(language, NO_VALUE["en"])
    return str(value)


def _group_column(df: pd.DataFrame, by: str, language: str) -> pd.Series:
    if by not in df.columns:
        raise UsageError(f"unknown attribute {by!r} for --by; the attributes are: "
                         f"{', '.join(c for c in df.columns if c not in _NOT_ATTRIBUTES)}")
    return df[by].map(lambda v: group_name(v, language))


_NOT_ATTRIBUTES = {"segment_id", "document", "case_id", "pseudonym", "speaker", "text", "code", "direction",
                   "origin", "status", "coder", "source_row", "codebook_version", "segments"}


def opportunity_risk_matrix(codings_df: pd.DataFrame, codebook: "Codebook", *, by: str | None = None) -> MatrixResult:
    """Count segments and distinct cases per code × direction (and per value of ``by``)."""
    language = getattr(codebook, "language", "en")
    codes = matrix_codes(codings_df, codebook)
    labels = [code_label(codebook, c) for c in codes]
    directions = matrix_directions(codings_df)
    universe = _universe(codings_df)
    matrix, suggested = _count(codings_df, codes, directions, labels)
    groups: dict[str, pd.DataFrame] = {}
    group_sugg: dict[str, pd.DataFrame] = {}
    group_n: dict[str, int] = {}
    if by is not None:
        coded_groups = _group_column(codings_df, by, language)
        universe_groups = _group_column(universe, by, language) if by in universe.columns else pd.Series(dtype=object)
        for g in group_values([*coded_groups, *universe_groups], language):
            groups[g], group_sugg[g] = _count(codings_df[coded_groups == g], codes, directions, labels)
            group_n[g] = int(universe.loc[universe_groups == g, "case_id"].nunique()) if len(universe_groups) else 0
    return MatrixResult(
        matrix=matrix, suggested=suggested, codes=codes, directions=directions,
        n_cases=int(universe["case_id"].nunique()) if len(universe) else 0,
        n_segments=int(codings_df["segment_id"].nunique()) if len(codings_df) else 0,
        language=language, by=by, groups=groups, group_suggested=group_sugg, group_n_cases=group_n,
        selection=dict(codings_df.attrs.get("selection", {})),
    )


# -- quotes -------------------------------------------------------------------------------
QUOTE_MIN_CHARS = 60


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def shorten(text: str, max_chars: int) -> str:
    """Whitespace collapsed; longer than ``max_chars`` is cut at a word boundary with '…'."""
    text = _clean(text)
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if " " in cut[max_chars // 2:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + "…"


QUOTE_COLUMNS = ["code", "aspect", "direction", "direction_label", "rank", "pseudonym", "segment_id", "text",
                 "status", "study"]


def quotes(codings_df: pd.DataFrame, codebook: "Codebook", per_cell: int = 3, max_chars: int = 300) -> pd.DataFrame:
    """Per code × direction the most telling quotes, at most ``per_cell``.

    Preference, in order: quotes from different cases; 60–``max_chars`` characters;
    reviewed (accepted) over machine suggestions; segments that carry only this code ×
    direction (clear); then the lower segment id (deterministic). Each quote names the
    case's pseudonym and the segment id, never the speaker label.
    """
    rows: list[dict[str, Any]] = []
    if len(codings_df):
        df = codings_df.copy()
        df["_clean"] = df["text"].map(_clean)
        df["_len_bad"] = ~df["_clean"].str.len().between(QUOTE_MIN_CHARS, max_chars)
        df["_suggested"] = df["status"] != "accepted"
        df["_unclear"] = df.groupby("segment_id")["segment_id"].transform("size") > 1
        df = df.sort_values(["_len_bad", "_suggested", "_unclear", "segment_id"], kind="mergesort")
        order = {c: i for i, c in enumerate(matrix_codes(codings_df, codebook))}
        dir_order = {d: i for i, d in enumerate(matrix_directions(codings_df))}
        cells = sorted(df.groupby(["code", "direction"], sort=False),
                       key=lambda kv: (order.get(kv[0][0], 99), dir_order.get(kv[0][1], 99)))
        for (code, direction), cell in cells:
            picked: list[dict[str, Any]] = []
            seen: set[str] = set()
            records = cell.to_dict("records")
            for r in records:  # first pass: one quote per case
                key = r["case_id"] if isinstance(r["case_id"], str) else f"segment {r['segment_id']}"
                if key not in seen and len(picked) < per_cell:
                    seen.add(key)
                    picked.append(r)
            for r in records:  # then fill up from cases already quoted
                if len(picked) >= per_cell:
                    break
                if all(r["segment_id"] != p["segment_id"] for p in picked):
                    picked.append(r)
            for rank, r in enumerate(picked, start=1):
                rows.append({"code": code, "aspect": code_label(codebook, code), "direction": direction,
                             "direction_label": direction_label(codebook, direction), "rank": rank,
                             "pseudonym": r["pseudonym"], "segment_id": int(r["segment_id"]),
                             "text": shorten(r["text"], max_chars), "status": r["status"], "study": r["study"]})
    return pd.DataFrame(rows, columns=QUOTE_COLUMNS)


# -- per case -----------------------------------------------------------------------------
def variable_name(name: str) -> str:
    """A column name R and SPSS accept: letters, digits and underscores, starting with a letter."""
    out = re.sub(r"\W+", "_", str(name), flags=re.ASCII).strip("_") or "var"
    return out if out[0].isalpha() else f"v_{out}"


def _study_key(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) or value is pd.NA else str(value)


def code_presence_per_case(codings_df: pd.DataFrame, store: "Store | None", codebook: "Codebook") -> pd.DataFrame:
    """One row per case (pseudonym) with its attributes, then per code × direction 0/1 and a count.

    Columns ``<code>_<direction>`` hold 1 when the case has at least one such segment,
    ``n_<code>_<direction>`` the number of segments; ``segments`` is the number of the
    case's segments to code. Column names are safe for R and SPSS.
    """
    universe = codings_df.attrs.get("cases")
    if not isinstance(universe, pd.DataFrame):
        from qualcode.analysis.selection import case_universe

        if store is None:
            raise UsageError("the codings table carries no case universe; pass the store it was selected from")
        universe = case_universe(store)
    codes = matrix_codes(codings_df, codebook)
    directions = matrix_directions(codings_df)
    attr_cols = [c for c in universe.columns if c not in ("case_id", "pseudonym", "segments")]
    out = universe[["case_id", "pseudonym", *attr_cols, "segments"]].copy().reset_index(drop=True)
    # A case is counted within its study (a case id may recur in a repeat study).
    coded = codings_df[["segment_id", "code", "direction", "case_id", "study", "status"]].dropna(subset=["case_id"])
    coded = coded.drop_duplicates(["segment_id", "code", "direction"])
    keys = list(zip(out["case_id"], out["study"].map(_study_key)))
    lookup: dict[tuple, int] = {}
    suggested: dict[tuple, int] = {}
    for case_id, study, code, direction, status in zip(*(coded[c].tolist() for c in (
            "case_id", "study", "code", "direction", "status"))):  # columns, not a row object per coding
        key = (case_id, _study_key(study))
        cell = key + (code, direction)
        lookup[cell] = lookup.get(cell, 0) + 1
        if status == "suggested":
            suggested[key] = suggested.get(key, 0) + 1
    new_cols: dict[str, list[int]] = {}
    for code in codes:
        for d in directions:
            n = [lookup.get((*key, code, d), 0) for key in keys]
            new_cols[variable_name(f"{code}_{d}")] = [int(x > 0) for x in n]
            new_cols[variable_name(f"n_{code}_{d}")] = n
    if suggested:  # the counts include machine suggestions: say how many, per case
        new_cols["suggested_codings"] = [suggested.get(key, 0) for key in keys]
    out = pd.concat([out, pd.DataFrame(new_cols, index=out.index)], axis=1)
    out = out.drop(columns=["case_id"]).rename(columns={"pseudonym": "case"})
    return out.rename(columns={c: variable_name(c) for c in out.columns})


# -- comparing groups (studies) -----------------------------------------------------------
def compare(codings_df: pd.DataFrame, codebook: "Codebook", by: str = "study") -> pd.DataFrame:
    """Matrices of two or more groups side by side, with the difference of each to the first group.

    Columns: MultiIndex (block, direction, measure). A group's block has segments,
    cases and share (distinct cases with the cell / cases of the group with any segment
    to code); a difference block ``difference <g> − <first>`` has the same measures
    (share in proportion points). ``attrs``: by, groups, baseline, n_cases.
    """
    language = getattr(codebook, "language", "en")
    result = opportunity_risk_matrix(codings_df, codebook, by=by)
    groups = list(result.groups)
    if len(groups) < 2:
        raise UsageError(
            f"compare needs two or more values of {by!r}; found {', '.join(groups) or 'none'}. "
            "Import another study (qualcode import FILES --study NAME) or compare by another attribute"
        )
    blocks: dict[tuple[str, str, str], pd.Series] = {}
    shares: dict[str, pd.DataFrame] = {}
    for g in groups:
        frame, n = result.groups[g], result.group_n_cases[g]
        shares[g] = pd.DataFrame({d: frame[(d, "cases")] / n if n else 0.0 for d in result.directions})
        for d in result.directions:
            blocks[(g, d, "segments")] = frame[(d, "segments")]
            blocks[(g, d, "cases")] = frame[(d, "cases")]
            blocks[(g, d, "share")] = shares[g][d].astype(float)
    base = groups[0]
    diff_word = KEY_WORDS.get(language, KEY_WORDS["en"])["difference"]
    for g in groups[1:]:
        name = f"{diff_word} {g} − {base}"
        for d in result.directions:
            blocks[(name, d, "segments")] = result.groups[g][(d, "segments")] - result.groups[base][(d, "segments")]
            blocks[(name, d, "cases")] = result.groups[g][(d, "cases")] - result.groups[base][(d, "cases")]
            blocks[(name, d, "share")] = (shares[g][d] - shares[base][d]).astype(float)
    table = pd.DataFrame(blocks)
    table.columns = pd.MultiIndex.from_tuples(list(blocks), names=[by, "direction", "measure"])
    table.index.name = "aspect"
    table.attrs.update({"by": by, "groups": groups, "baseline": base, "n_cases": dict(result.group_n_cases),
                        "codes": result.codes, "directions": result.directions})
    return table


@dataclass(frozen=True)
class Comparison:
    """A comparison with its provenance: which codebook versions each group's codings used."""

    table: pd.DataFrame
    result: MatrixResult
    by: str
    groups: list[str]
    baseline: str
    n_cases: dict[str, int]
    versions: dict[str, list[str]]
    codebook_changes: list[str]

    @property
    def codebook_changed(self) -> bool:
        return len({v for vs in self.versions.values() for v in vs}) > 1


def versions_per_group(codings_df: pd.DataFrame, by: str, language: str = "en") -> dict[str, list[str]]:
    """Codebook versions recorded on the codings, per group value."""
    if not len(codings_df):
        return {}
    groups = _group_column(codings_df, by, language)
    out: dict[str, list[str]] = {}
    for g in group_values(groups, language):
        out[g] = sorted(set(codings_df.loc[groups == g, "codebook_version"].dropna()))
    return out


def compare_codings(store: "Store", codings_df: pd.DataFrame, codebook: "Codebook", *, by: str = "study",
                    allow_codebook_change: bool = False) -> Comparison:
    """:func:`compare` after checking that the compared codings used one codebook version.

    Different versions are refused (CodebookError naming them) unless
    ``allow_codebook_change``; then ``codebook_changes`` lists what changed between them.
    """
    language = getattr(codebook, "language", "en")
    table = compare(codings_df, codebook, by=by)
    versions = versions_per_group(codings_df, by, language)
    distinct = sorted({v for vs in versions.values() for v in vs}, key=lambda v: _loaded_at(store, v))
    changes: list[str] = []
    if len(distinct) > 1:
        listing = "; ".join(f"{g}: {', '.join(short_version(v) for v in vs) or 'unknown'}" for g, vs in versions.items())
        if not allow_codebook_change:
            raise CodebookError(
                f"the codings compared were made with different codebook versions ({by} {listing}); "
                "compare them anyway with --allow-codebook-change (the output then lists the codes that changed)"
            )
        changes = codebook_changes(store, distinct)
    return Comparison(table=table, result=opportunity_risk_matrix(codings_df, codebook, by=by), by=by,
                      groups=list(table.attrs["groups"]), baseline=table.attrs["baseline"],
                      n_cases=dict(table.attrs["n_cases"]), versions=versions, codebook_changes=changes)


def _loaded_at(store: "Store", version: str) -> str:
    return (codings.codebook_loaded_at(store.con, version) or "") + version


KEYWORD_KINDS = ("words", "compounds", "phrases", "exclude", "opposite_valence")


def keyword_items(code: Any) -> list[tuple[str, str]]:
    """A code's keyword rules as (kind, pattern) pairs: words, compounds, phrases, exclude, opposite_valence."""
    kw = getattr(code, "keywords", None)
    if kw is None:
        return []
    return [(kind, pattern) for kind in KEYWORD_KINDS for pattern in getattr(kw, kind, ()) or ()]


def _keyword_set(code: Any) -> set[str]:
    return {f"{kind} {pattern!r}" for kind, pattern in keyword_items(code)}


def codebook_diff(old: "Codebook", new: "Codebook") -> list[str]:
    """Human-readable lines: codes added, removed, relabelled, with other keywords or definition."""
    old_codes = {c.id: c for c in old.codes}
    new_codes = {c.id: c for c in new.codes}
    lines = []
    for cid in new_codes.keys() - old_codes.keys():
        lines.append(f"added code {cid} ({new_codes[cid].label})")
    for cid in old_codes.keys() - new_codes.keys():
        lines.append(f"removed code {cid} ({old_codes[cid].label})")
    for cid in [c for c in new_codes if c in old_codes]:
        a, b = old_codes[cid], new_codes[cid]
        if a.label != b.label:
            lines.append(f"code {cid}: label {a.label!r} → {b.label!r}")
        ka, kb = _keyword_set(a), _keyword_set(b)
        if ka != kb:
            parts = []
            if kb - ka:
                parts.append("added " + ", ".join(sorted(kb - ka)))
            if ka - kb:
                parts.append("removed " + ", ".join(sorted(ka - kb)))
            lines.append(f"code {cid}: keywords {'; '.join(parts)}")
        if getattr(a, "definition", None) != getattr(b, "definition", None):
            lines.append(f"code {cid}: definition changed")
        if getattr(a, "parent", None) != getattr(b, "parent", None):
            lines.append(f"code {cid}: parent {a.parent!r} → {b.parent!r}")
    return sorted(lines)


def codebook_changes(store: "Store", versions: list[str]) -> list[str]:
    """What changed between consecutive stored codebook versions (oldest first)."""
    from qualcode.coding.codebook import Codebook

    books: list[tuple[str, Codebook | None]] = []
    for v in versions:
        stored = codings.stored_codebook_text(store.con, v)
        if stored is None:
            books.append((v, None))
            continue
        books.append((v, Codebook.from_text(stored[1], stored[0])))
    lines = []
    for (va, a), (vb, b) in zip(books, books[1:]):
        head = f"{short_version(va)} → {short_version(vb)}"
        if a is None or b is None:
            lines.append(f"{head}: a version is not stored in the project; cannot say what changed")
            continue
        diff = codebook_diff(a, b)
        lines.extend(f"{head}: {line}" for line in diff) if diff else lines.append(f"{head}: codes unchanged")
    return lines


def chosen_comparison(store: "Store", codings_df: pd.DataFrame, codebook: "Codebook", *,
                      compare_by: str | None, allow_codebook_change: bool) -> tuple["Comparison | None", str | None]:
    """The comparison an output shows, and why the automatic one was left out (or None).

    Asked for with ``compare_by``: errors propagate (the user named it). Automatic (the
    selection spans two or more studies): a problem such as different codebook versions
    without the flag leaves the comparison out, and the returned text says why.
    """
    if compare_by is not None:
        return compare_codings(store, codings_df, codebook, by=compare_by,
                               allow_codebook_change=allow_codebook_change), None
    cases = codings_df.attrs.get("cases")
    if cases is None or cases["study"].dropna().nunique() < 2:
        return None, None
    try:
        return compare_codings(store, codings_df, codebook, by="study",
                               allow_codebook_change=allow_codebook_change), None
    except (CodebookError, UsageError) as exc:
        return None, str(exc)
