"""The spaCy layer: one factory for a tokeniser + lemmatiser + sentence splitter.

Everything that needs spaCy gets its pipeline from :func:`build_pipeline`, so
keyword patterns and the texts they are matched against are always lemmatised by
the same code. The default pipeline needs no download: ``spacy.blank(lang)``, a
lemmatiser built on the lookup tables of ``spacy-lookups-data`` and the rule-based
sentencizer. A trained pipeline (``--model nl_core_news_md``) is loaded only when
asked for, and only if it is installed: nothing is ever downloaded at run time.

spaCy is imported inside the functions that need it, so importing this module
(and running ``qualcode --help``) stays instant.
"""
from __future__ import annotations

import functools
import gzip
import json
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from qualcode.errors import PipelineNotInstalledError, QualcodeError, UsageError  # tests import PipelineNotInstalledError from here too

if TYPE_CHECKING:  # pragma: no cover - typing only
    from spacy.language import Language

SUPPORTED_LANGUAGES = ("nl", "en")

LEMMATIZER_NAME = "qualcode_lemmatizer"
SENTENCIZER_NAME = "qualcode_sentencizer"  # spaCy's sentencizer, faster (coding/sentences.py)
SENTENCE_FIX_NAME = "qualcode_sentence_fix"  # Dutch abbreviations and sentence ends (coding/sentences.py)
LOWERS_KEY = "qualcode.lowers"  # doc.user_data: token lower-form hashes that fix each lemma



# --------------------------------------------------------------------------- tables


@functools.lru_cache(maxsize=None)
def _table(language: str, name: str) -> Any:
    """One table of spacy-lookups-data (``nl_lemma_lookup`` etc.), read once."""
    try:
        import spacy_lookups_data
    except ImportError as exc:  # pragma: no cover - a broken install
        raise QualcodeError(
            "the package spacy-lookups-data is missing; install it with "
            "`pip install spacy-lookups-data`"
        ) from exc
    from importlib import resources

    path = resources.files(spacy_lookups_data) / "data" / f"{language}_{name}.json.gz"
    if not path.is_file():
        return {}
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf8") as handle:
        return json.load(handle)


@functools.lru_cache(maxsize=None)
def _dutch_tables() -> "_DutchTables":
    return _DutchTables(
        lookup=_table("nl", "lemma_lookup"),
        rules=_table("nl", "lemma_rules"),
        index={pos: frozenset(words) for pos, words in _table("nl", "lemma_index").items()},
        exc=_table("nl", "lemma_exc"),
    )


class _DutchTables:
    __slots__ = ("lookup", "rules", "index", "exc", "known")

    def __init__(self, lookup: Mapping[str, str], rules: Mapping[str, list], index: Mapping[str, frozenset], exc: Mapping[str, Mapping[str, list]]):
        self.lookup = lookup
        self.rules = rules
        self.index = index
        self.exc = exc
        # every form the tables know as a lemma of some part of speech
        known: set[str] = set()
        for words in index.values():
            known.update(words)
        self.known = frozenset(known)


# --------------------------------------------------------------------------- lemma()

# A Dutch noun doubles the vowel of its last syllable in the singular when the
# plural opens it: tak-en -> taak, lerar-en -> leraar, regel-s stays. The rule
# tables of spacy-lookups-data do not know this, so it is added here.
_OPEN_SYLLABLE = re.compile(r"^(.*[^aeiou])([aeiou])([^aeiouj])$")
_VOICED_FINAL = {"v": "f", "z": "s"}


def lemma(word: str, language: str = "nl") -> str:
    """The lemma of one word form, lower-cased, from offline tables only.

    Dutch: the lookup table of spacy-lookups-data first; then the exception
    tables (``leraren -> leraar``, ``taken -> taak``), preferring a noun reading
    because interview keywords are mostly nouns; a form the index knows as a lemma
    stays itself; then the suffix rules, accepting a candidate only if the index
    knows it (with the open-syllable vowel doubling the rules lack); then the head
    of a compound or hyphenated word (``lesvoorbereidingen -> lesvoorbereiding``).
    English: the lookup table. A form nothing knows is returned lower-cased.
    """
    form = word.lower()
    if language == "nl":
        return _dutch_lemma(form)
    if language == "en":
        return _table("en", "lemma_lookup").get(form, form)
    raise UsageError(_unsupported_language(language))


@functools.lru_cache(maxsize=200_000)
def _dutch_lemma(form: str) -> str:
    tables = _dutch_tables()
    found = _dutch_known_lemma(form, tables)
    if found is not None:
        return found
    if "-" in form.strip("-"):
        # AI-toepassingen -> ai-toepassing: inflection sits on the last part
        head_start = form.rstrip("-").rfind("-") + 1
        prefix, head = form[:head_start], form[head_start:]
        if head:
            return prefix + _dutch_lemma(head)
    by_rule = _dutch_rule_lemma(form, tables)
    if by_rule is not None:
        return by_rule
    # A compound the tables do not know: lemmatise its longest known head
    # (werkdrukverlichtingen -> werkdruk + verlichting).
    for split in range(1, len(form) - 3):
        head = form[split:]
        head_lemma = _dutch_known_lemma(head, tables)
        if head_lemma is None:
            head_lemma = _dutch_rule_lemma(head, tables)
        if head_lemma is not None:
            return form[:split] + head_lemma
    return form


def _dutch_known_lemma(form: str, tables: _DutchTables) -> str | None:
    """A lemma the tables state outright, or None.

    The exception tables list several readings per form; the order below picks
    the one an interview most likely means: a noun plural over a verb
    (taken -> taak, not the verb taken), a past participle over an adjective or
    noun (gemonitord -> monitoren, genomen -> nemen), a function word stays itself
    (het, zonder), and a comparative goes to its adjective (beter -> goed).
    """
    hit = tables.lookup.get(form)
    if hit is not None:
        return hit
    exc = tables.exc
    verb = exc.get("verb", {}).get(form)
    if verb and _looks_like_participle(form) and form in tables.index.get("adj", ()):
        return verb[0]
    noun = exc.get("noun", {}).get(form)
    if noun:
        return noun[0]
    if form in tables.known:
        return form
    adj = exc.get("adj", {}).get(form)
    if adj:
        return adj[0]
    if verb:
        return verb[0]
    return None


_PARTICIPLE = re.compile(r"^(?:[a-z]{2,5}ge|ge|be|ver|ont|her|er)[a-zëéèïöü-]+(?:d|t|en)$")


def _looks_like_participle(form: str) -> bool:
    return bool(_PARTICIPLE.match(form))


def _dutch_rule_lemma(form: str, tables: _DutchTables) -> str | None:
    """Apply the suffix rules per part of speech; accept what the index knows."""
    for pos in ("noun", "verb", "adj"):
        index = tables.index.get(pos, frozenset())
        for old, new in tables.rules.get(pos, ()):
            if not old or not form.endswith(old) or len(form) <= len(old) + 1:
                continue
            stem = form[: len(form) - len(old)]
            candidate = stem + new
            if candidate in index:
                return candidate
            if pos == "noun" and old in ("en", "ën") and not new:
                for variant in _stem_variants(stem):
                    if variant in index:
                        return variant
    return None


def _stem_variants(stem: str) -> list[str]:
    """Singular candidates for a plural stem besides the stem itself.

    Vowel doubling (tak -> taak, lerar -> leraar) and final devoicing
    (druiv -> druif, huiz -> huis, with doubling: gravel stays).
    """
    bases = [stem]
    if stem[-1:] in _VOICED_FINAL:
        bases.append(stem[:-1] + _VOICED_FINAL[stem[-1]])
    variants = []
    for base in bases:
        match = _OPEN_SYLLABLE.match(base)
        if match:
            variants.append(match.group(1) + match.group(2) * 2 + match.group(3))
        if base != stem:
            variants.append(base)
    return variants


@functools.lru_cache(maxsize=None)
def punctuation_lemmas(language: str) -> frozenset[str]:
    """The lemmas :func:`lemma` gives forms without a letter or digit that its tables list.

    Any other such form gets a lemma that starts with one of its own characters (itself, or
    a rule or compound reading of it), which the prefilter of the keyword coder relies on.
    """
    if language == "nl":
        tables = _dutch_tables()
        tables_forms: list[Iterable[str]] = [tables.lookup, *tables.exc.values()]
    else:
        tables_forms = [_table(language, "lemma_lookup")]
    return frozenset(
        lemma(form, language)
        for forms in tables_forms
        for form in forms
        if not form[:1].isalnum() and not any(char.isalnum() for char in form)
    )


# --------------------------------------------------------------------------- pipeline


class _LemmaComponent:
    """Sets ``token.lemma`` from :func:`lemma`, computed once per distinct form.

    It replaces spaCy's own lookup lemmatizer (which reads the same table) because
    it also applies the Dutch exception and suffix rules, and because caching by
    form makes it several times faster on a large corpus.
    """

    def __init__(self, language: str):
        self.language = language
        self._by_lower: dict[int, int] = {}  # hash of lower form -> hash of lemma

    def __call__(self, doc: Any) -> Any:
        from spacy.attrs import LEMMA, LOWER

        cache = self._by_lower
        strings = doc.vocab.strings
        lowers = doc.to_array(LOWER).tolist()
        # Here a lemma depends on the lower-cased form alone; saying so lets the
        # keyword matcher key its per-form cache on these hashes without reading
        # the arrays a second time.
        doc.user_data[LOWERS_KEY] = lowers
        lemmas = []
        for lower in lowers:
            found = cache.get(lower)
            if found is None:
                found = strings.add(lemma(strings[lower], self.language))
                cache[lower] = found
            lemmas.append(found)
        if lemmas:
            import numpy

            doc.from_array([LEMMA], numpy.asarray(lemmas, dtype="uint64").reshape(-1, 1))
        return doc


_REGISTERED = False


def _register_components() -> None:
    global _REGISTERED
    if _REGISTERED:
        return
    from spacy.language import Language

    if not Language.has_factory(LEMMATIZER_NAME):

        @Language.factory(LEMMATIZER_NAME, default_config={"language": "nl"})
        def _make_lemmatizer(nlp: Any, name: str, language: str) -> _LemmaComponent:
            return _LemmaComponent(language)

    if not Language.has_factory(SENTENCIZER_NAME):

        @Language.factory(SENTENCIZER_NAME)
        def _make_sentencizer(nlp: Any, name: str) -> Any:
            from qualcode.coding.sentences import sentencizer

            return sentencizer(name, LOWERS_KEY)

    if not Language.has_factory(SENTENCE_FIX_NAME):

        @Language.factory(SENTENCE_FIX_NAME)
        def _make_sentence_fix(nlp: Any, name: str) -> Any:
            from qualcode.coding.sentences import DutchSentenceFix

            words = _dutch_tables().known
            abbreviations = frozenset(nlp.vocab.strings.add(rule.lower()) for rule in nlp.tokenizer.rules
                                      if len(rule) > 1 and rule.endswith("."))
            return DutchSentenceFix(abbreviations, words, LOWERS_KEY)

    _REGISTERED = True


def _unsupported_language(language: str) -> str:
    return f"language {language!r} is not supported; use 'nl' (Dutch) or 'en' (English)"


@functools.lru_cache(maxsize=8)
def build_pipeline(language: str, model: str | None = None) -> "Language":
    """The spaCy pipeline for ``language`` ('nl' or 'en'), built once per (language, model).

    Without ``model``: a blank tokenizer, the qualcode lemmatiser (lookup tables +
    Dutch rules, see :func:`lemma`) and the sentencizer (for Dutch corrected around
    abbreviations, see :mod:`qualcode.coding.sentences`); nothing is downloaded.
    With ``model``: that installed spaCy pipeline (package name or path), plus a
    sentencizer if it has no parser or senter. Raises
    :class:`PipelineNotInstalledError` if it is not installed and :class:`UsageError`
    if its language is not ``language``. ``nlp.meta['qualcode']`` records how the
    pipeline was built, so worker processes can build the same one.
    """
    if language not in SUPPORTED_LANGUAGES:
        raise UsageError(_unsupported_language(language))
    import spacy

    if model is None:
        _register_components()
        nlp = spacy.blank(language)
        nlp.add_pipe(LEMMATIZER_NAME, config={"language": language})
        nlp.add_pipe(SENTENCIZER_NAME, name="sentencizer")  # the name of spaCy's own, which it is
        if language == "nl":
            nlp.add_pipe(SENTENCE_FIX_NAME)
        nlp.initialize()
    else:
        nlp = _load_installed(model)
        if nlp.lang != language:
            raise UsageError(
                f"pipeline {model!r} is for language {nlp.lang!r}, but the codebook is "
                f"{language!r}; pick a {language!r} pipeline or leave out --model"
            )
        if not ({"parser", "senter", "sentencizer"} & set(nlp.pipe_names)):
            nlp.add_pipe("sentencizer")
    nlp.meta["qualcode"] = {"language": language, "model": model}
    return nlp


def _load_installed(model: str) -> "Language":
    import spacy
    from pathlib import Path

    hint = (
        f"pipeline {model!r} is not installed; install it with "
        f"`python -m spacy download {model}` or leave out --model"
    )
    if not (spacy.util.is_package(model) or Path(model).exists()):
        raise PipelineNotInstalledError(hint)
    try:
        # the entity recogniser is not used and is the slowest component
        return spacy.load(model, exclude=["ner"])
    except OSError as exc:
        raise PipelineNotInstalledError(hint) from exc


def pipeline_spec(nlp: Any) -> Mapping[str, Any] | None:
    """How :func:`build_pipeline` made ``nlp`` ({'language', 'model'}), or None."""
    meta = getattr(nlp, "meta", None) or {}
    spec = meta.get("qualcode")
    return dict(spec) if isinstance(spec, Mapping) else None
