"""A run of the auto-coder over a project: suggest, then write, in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from qualcode.errors import UsageError
from qualcode.records import Segment
from qualcode.store import codings

if TYPE_CHECKING:
    from qualcode.coding.codebook import Codebook
    from qualcode.store import Store


@dataclass(frozen=True)
class CodeReport:
    """What a run of the auto-coder did."""

    segments: int
    added: int
    refreshed: int
    withdrawn: int
    per_code: dict[str, int]
    codebook_version: str
    warnings: tuple[str, ...] = ()
    model_added: int = 0


def _counted(segments: list[Segment], progress: Callable[[int], None] | None) -> Iterator[Segment]:
    for i, item in enumerate(segments, 1):
        yield item
        if progress is not None and (i % 50 == 0 or i == len(segments)):
            progress(i)


def _language_warning(codebook: "Codebook", texts: Iterable[str]) -> str | None:
    from qualcode.coding.keywords import detect_language

    language = detect_language(texts)
    if language and language != codebook.language:
        return (f"the codebook is in {codebook.language!r} but the transcripts look {language!r}; "
                "use the codebook of their language for useful suggestions "
                f"(`qualcode codebook show --default {language}` shows the default one and where it is)")
    return None


def code_segments(store: "Store", codebook: "Codebook", *, study: str | None = None, model: str | None = None,
                  jobs: int = 1, with_model: bool = False, threshold: float | None = None,
                  progress: Callable[[int], None] | None = None) -> CodeReport:
    """Suggest codes for every segment to be coded (keyword rules, optionally a trained model).

    Refreshes or withdraws only earlier machine suggestions; human decisions stay exactly
    as decided. ``progress`` is called with the number of segments done so far.
    """
    from qualcode.coding import keywords

    segments = store.segments(study=study, only_to_code=True)
    if not segments:
        raise UsageError("no segments to code in this project; import transcripts first with `qualcode import FILES`")
    warning = _language_warning(codebook, (s.text for s in segments[:200]))
    nlp: Any = None
    if model:
        from qualcode.coding.nlp import build_pipeline

        nlp = build_pipeline(codebook.language, model)
    suggestions = list(keywords.suggest(codebook, _counted(segments, progress), nlp=nlp, jobs=jobs))
    ids = [s.id for s in segments]
    model_suggestions = []
    if with_model:
        from qualcode.coding.learn import model_suggestions as predict

        model_suggestions = predict(store, threshold=threshold, segment_ids=ids)
    if codings.has_suggestions(store.con):
        store.backup_before_change()  # the run replaces suggestions: keep the project as it was
    with store.transaction():
        codings.store_codebook(store.con, codebook)
        result = codings.write_suggestions(store.con, suggestions, origin="keyword", segment_ids=ids,
                                           codebook_version=codebook.version)
        model_added = 0
        if with_model:
            model_added = codings.write_suggestions(store.con, model_suggestions, origin="model", segment_ids=ids,
                                                    codebook_version=codebook.version).added
    per_code: dict[str, int] = {}
    for s in suggestions:
        per_code[s.code] = per_code.get(s.code, 0) + 1
    return CodeReport(len(segments), result.added, result.refreshed, result.withdrawn, per_code,
                      codebook.version, (*codebook.warnings, *((warning,) if warning else ())), model_added)
