"""A run of the auto-coder over a project: suggest a chunk of segments at a time, then write, in one transaction.

The suggestions go into a scratch database outside the project as they come (see
``store.codings.SuggestionStage``) and replace the earlier ones in one transaction at the
end: memory does not grow with the corpus, and a killed run leaves the project as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
import contextlib
import itertools
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from qualcode.batches import batched, fewer_collections
from qualcode.errors import UsageError
from qualcode.store import codings, documents

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


CHUNK = 1000  # segments read, and suggestions staged, at a time


def _counted(items: Iterable[tuple[int, str]], progress: Callable[[int], None] | None) -> Iterator[tuple[int, str]]:
    i = 0
    for i, item in enumerate(items, 1):
        yield item
        if progress is not None and i % 50 == 0:
            progress(i)
    if progress is not None and i % 50:
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

    store.check_study(study)
    chunks = documents.texts_to_code(store.con, study=study, size=CHUNK)
    first = next(chunks, None)
    if first is None:
        raise UsageError("no segments to code in this project; import transcripts first with `qualcode import FILES`")
    warning = _language_warning(codebook, (text for _, text in first[:200]))
    nlp: Any = None
    if model:
        from qualcode.coding.nlp import build_pipeline

        nlp = build_pipeline(codebook.language, model)
    per_code: dict[str, int] = {}
    with contextlib.ExitStack() as stages:
        stages.enter_context(fewer_collections())
        stage = stages.enter_context(codings.SuggestionStage(store.con, "keyword"))

        def staged(chunks: Iterable[list[tuple[int, str]]]) -> Iterator[tuple[int, str]]:
            for chunk in chunks:
                stage.add_segments(segment_id for segment_id, _ in chunk)
                yield from chunk

        items = _counted(staged(itertools.chain([first], chunks)), progress)
        for batch in batched(keywords.suggestion_rows(codebook, items, nlp=nlp, jobs=jobs), CHUNK):
            stage.add_rows(batch, keywords.STRATEGY)
            for row in batch:
                per_code[row[1]] = per_code.get(row[1], 0) + 1
        model_stage = None
        if with_model:
            from qualcode.coding.learn import model_suggestions as predict

            ids = stage.segment_ids()
            model_stage = stages.enter_context(codings.SuggestionStage(store.con, "model"))
            model_stage.add_segments(ids)
            model_stage.add(predict(store, threshold=threshold, segment_ids=ids))
        if codings.has_suggestions(store.con):
            store.backup_before_change()  # the run replaces suggestions: keep the project as it was
        with store.transaction():
            codings.store_codebook(store.con, codebook)
            result = stage.commit(codebook.version)
            model_added = model_stage.commit(codebook.version).added if model_stage is not None else 0
    return CodeReport(result.segments, result.added, result.refreshed, result.withdrawn, per_code,
                      codebook.version, (*codebook.warnings, *((warning,) if warning else ())), model_added)
