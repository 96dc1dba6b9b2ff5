"""Load and validate a YAML codebook.

A codebook is data, not code: the aspects of work (codes), their definitions,
the keyword rules that suggest them and the cues that give a passage its
direction (opportunity or risk). ``codebooks/werkbeleving.yaml`` documents the
format with comments. Validation collects every problem with its file and line
and raises one :class:`~qualcode.errors.CodebookError` listing all of them, so a
researcher fixes a codebook in one pass instead of one error per run.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterable, Mapping, NoReturn

import yaml

from qualcode.errors import CodebookError

if TYPE_CHECKING:
    from qualcode.store import Store

LANGUAGES = ("nl", "en")
VALENCES = ("positive", "negative")

_DIRECTION_LABELS = {
    "nl": {"opportunity": "kans", "risk": "risico", "none": "geen richting"},
    "en": {"opportunity": "opportunity", "risk": "risk", "none": "no direction"},
}

# Negation words and contrast words per language; a codebook may override them.
_DEFAULT_NEGATION = {
    "nl": {
        "flip": ("geen", "zonder"),
        "cancel": ("niet", "nooit", "nergens", "niets", "niks", "nauwelijks", "amper", "allerminst"),
    },
    "en": {
        "flip": ("no", "without"),
        "cancel": ("not", "n't", "never", "nothing", "hardly", "barely", "nor", "neither"),
    },
}
_DEFAULT_NEGATION_BEFORE = 3
_DEFAULT_NEGATION_AFTER = 2
_DEFAULT_CLAUSE_BREAKS = {
    "nl": ("maar", "echter", "terwijl", "daarentegen", "anderzijds", "tegelijk", "tegelijkertijd", "desondanks", ";"),
    "en": ("but", "however", "whereas", "nevertheless", "nonetheless", "conversely", "yet", ";"),
}

# A palette with enough contrast for eight codes; codes without a colour get one
# by position so exports (REFI-QDA, Excel) always have a colour to show.
_PALETTE = ("#4e79a7", "#e07b39", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f")

_TOP_KEYS = ("codebook", "language", "description", "directions", "negation", "clause_breaks", "hedges", "staff",
             "codes")
_DIRECTION_KEYS = ("opportunity", "risk", "increase", "decrease")
_DIRECTION_ENTRY_KEYS = {"opportunity": ("label", "cues"), "risk": ("label", "cues"), "increase": ("cues",), "decrease": ("cues",)}
_NEGATION_KEYS = ("flip", "cancel", "before", "after")
_CODE_KEYS = ("id", "label", "color", "parent", "definition", "keywords", "valence", "negation")
_DEFINITION_KEYS = ("includes", "excludes", "example")
_KEYWORD_KEYS = ("words", "compounds", "phrases", "exclude", "opposite_valence", "only_with_cue", "only_about_staff",
                 "not_about")

_CODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# Letters (any script), digits, apostrophe (collega's), hyphen (een-op-een), the
# wildcard '*' and, in phrases, spaces. Anything else is almost always a typo.
MAX_WILDCARDS = 4  # '*' in one pattern: '*werk*druk*' needs three
_PATTERN_CHARS = re.compile(r"^[\w'’*\- ]+$")
_BRACKETS = {"(": ")", "[": "]", "{": "}"}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Definition:
    """What a code covers: when to apply it, when not, and an example passage."""

    includes: str = ""
    excludes: str = ""
    example: str = ""


@dataclass(frozen=True)
class Keywords:
    """The keyword rules of one code (all lower-cased).

    ``words`` match a token's lemma (or its lower-cased form); ``compounds`` are
    patterns with ``*`` matched on the lower-cased form and lemma and on each part
    of a hyphenated word; ``phrases`` are word sequences matched on lemmas, in
    order; ``exclude`` lists words, compounds or phrases that cancel a hit of this
    code in the same sentence; ``opposite_valence`` lists extra keywords (any of
    the three kinds) whose "more" means the opposite of the code's valence.

    Three lists narrow when a keyword counts (they add no keyword):
    ``only_with_cue`` names keywords of the lists above (a task such as 'lesplan')
    that suggest the code only when a direction cue acts on them in their clause:
    a list of what AI can be used for names no effect on the work.
    ``only_about_staff`` names keywords ('monitoren') that count only when their
    segment names the staff (the codebook's ``staff`` words). ``not_about`` lists
    words or ``*`` patterns of other holders (both lists are matched on the lower-cased
    word as written, not its lemma: list the plural too, or use ``*``) ('leerling', 'systeem'): a keyword of
    the code (not an opposite-valence one) is cancelled when its sentence names one
    of them (outside the keyword itself) and no staff: the pupils' motivation, an AI system's autonomy.
    """

    words: tuple[str, ...] = ()
    compounds: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    opposite_valence: tuple[str, ...] = ()
    only_with_cue: tuple[str, ...] = ()
    only_about_staff: tuple[str, ...] = ()
    not_about: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        """No rule at all: a code only a human applies (or a category that groups others)."""
        return not (self.words or self.compounds or self.phrases or self.exclude or self.opposite_valence)


@dataclass(frozen=True)
class Code:
    """One code (an aspect of work) as written in the codebook."""

    id: str
    label: str  # in the codebook's language
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)  # every language given
    color: str = ""
    parent: str | None = None
    definition: Definition = Definition()
    keywords: Keywords = Keywords()
    valence: str = "positive"  # 'negative': more of it is a risk ('meer werkdruk')
    negation: bool = True  # False: negation words do not change this code's cues
    line: int = 0  # where the code starts in the file


@dataclass(frozen=True)
class DirectionCues:
    """Cue patterns (words, compounds ``*`` or phrases) for one direction."""

    label: str
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Directions:
    """Cues that give a mention its direction.

    ``opportunity`` and ``risk`` cues give that direction to every aspect in the
    same clause. ``increase``/``decrease`` cues ('meer', 'minder', 'neemt toe')
    attach to the nearest aspect keyword; the direction then follows that
    keyword's valence: less of a burden is an opportunity, less autonomy a risk.
    """

    opportunity: DirectionCues
    risk: DirectionCues
    increase: tuple[str, ...] = ()
    decrease: tuple[str, ...] = ()


@dataclass(frozen=True)
class Negation:
    """Negation words: ``flip`` reverses a cue ('geen extra werk' becomes an
    opportunity), ``cancel`` voids it ('niet meer tijd'); they act on a cue
    ``before`` words ahead of it or ``after`` words behind it, in one clause."""

    flip: tuple[str, ...]
    cancel: tuple[str, ...]
    before: int = _DEFAULT_NEGATION_BEFORE
    after: int = _DEFAULT_NEGATION_AFTER


@dataclass(frozen=True)
class Codebook:
    """A validated codebook. ``version`` is the sha256 of the file's bytes."""

    name: str
    language: str
    codes: tuple[Code, ...]
    directions: Directions
    version: str
    source_text: str
    description: str = ""
    negation: Negation = Negation(flip=(), cancel=())
    clause_breaks: tuple[str, ...] = ()
    source_name: str = "<codebook>"
    staff: tuple[str, ...] = ()  # words or * patterns naming the staff whose work is coded (docent, leraar*)
    hedges: tuple[str, ...] = ()  # words or phrases that make a sentence name its aspects without a direction
    # What is valid but may mislead a reader (two codes whose labels read the same), one line each with file:line.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def code(self, code_id: str) -> Code:
        """The code with this id; KeyError naming the known ids if there is none."""
        for code in self.codes:
            if code.id == code_id:
                return code
        known = ", ".join(code.id for code in self.codes)
        raise KeyError(f"codebook {self.name!r} has no code {code_id!r}; its codes are: {known}")

    @property
    def code_ids(self) -> tuple[str, ...]:
        return tuple(code.id for code in self.codes)

    def label(self, code_id: str) -> str:
        """The label of a code in the codebook's language ('werkdruk')."""
        return self.code(code_id).label

    def direction_label(self, direction: str) -> str:
        """'kans'/'risico'/'geen richting' (nl) or 'opportunity'/'risk'/'no direction' (en)."""
        if direction == "opportunity":
            return self.directions.opportunity.label
        if direction == "risk":
            return self.directions.risk.label
        if direction == "none":
            return _DIRECTION_LABELS[self.language]["none"]
        raise KeyError(f"unknown direction {direction!r}; use 'opportunity', 'risk' or 'none'")

    def code_path(self, code_id: str) -> str:
        """The code's place in the tree, codebook name first: 'werkbeleving/parent/child'."""
        parts = []
        current: str | None = code_id
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            parts.append(current)
            current = self.code(current).parent
        return "/".join([self.name, *reversed(parts)])

    def children(self, code_id: str | None) -> tuple[Code, ...]:
        """The codes whose parent is ``code_id`` (None: the top-level codes), in file order."""
        return tuple(code for code in self.codes if code.parent == code_id)

    @property
    def short_version(self) -> str:
        """The first 12 hex digits of :attr:`version`, for display."""
        return self.version[:12]

    @classmethod
    def from_text(cls, text: str, source_name: str = "<codebook>") -> "Codebook":
        """Parse and validate YAML text; raise one CodebookError listing every problem."""
        return _parse(text, source_name, text.encode("utf-8"))


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook file (UTF-8, with or without BOM).

    Raises :class:`CodebookError` if it cannot be read or is invalid; the message
    lists every problem as ``file:line: ...``.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_CODEBOOK_BYTES:
            raise CodebookError(
                f"{path}: is {size / 1024**2:.1f} MB; a codebook is a few tens of KB (the default one: about 22 KB), "
                f"at most {MAX_CODEBOOK_BYTES // 1024**2} MB; check that this is the codebook file"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CodebookError(
            f"codebook {str(path)!r} does not exist; check the path, or leave out --codebook to use the "
            "project's current codebook (in a new project the default Dutch one: `qualcode codebook show --default`)"
        ) from None
    except OSError as exc:
        raise CodebookError(f"cannot read codebook {str(path)!r}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodebookError(
            f"{path}: byte {exc.start} is not UTF-8; save the codebook as UTF-8 "
            "(in most editors: Save As, encoding UTF-8)"
        ) from None
    return _parse(text, str(path), raw)


def default_codebook_path(language: str = "nl") -> Path:
    """The bundled werkbeleving codebook for 'nl' or 'en' (see :mod:`qualcode.resources`)."""
    from qualcode.resources import default_codebook_path as bundled

    return bundled(language)


def pattern_kind(pattern: str) -> str:
    """'phrase' (has a space), 'compound' (has '*') or 'word'.

    Used for the flat lists (cues, exclude, opposite_valence) where one list may
    mix the three kinds.
    """
    stripped = pattern.strip()
    if " " in stripped:
        return "phrase"
    if "*" in stripped:
        return "compound"
    return "word"


# --------------------------------------------------------------------------- parsing


class _Problems:
    """Collects problems as (line, message); renders them as one CodebookError."""

    def __init__(self, source_name: str):
        self.source_name = source_name
        self.items: list[tuple[int, str]] = []

    def add(self, node: yaml.Node | None, message: str, line: int | None = None) -> None:
        if line is None:
            line = node.start_mark.line + 1 if node is not None else 1
        self.items.append((line, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        ordered = sorted(set(self.items))
        count = len(ordered)
        lines = [f"{self.source_name}:{line}: {message}" for line, message in ordered]
        noun = "problem" if count == 1 else "problems"
        error = CodebookError(f"{count} {noun} in codebook {self.source_name}:\n" + "\n".join(lines))
        error.problems = tuple(lines)  # type: ignore[attr-defined]
        raise error

    def fail(self, node: yaml.Node | None, message: str, line: int | None = None) -> NoReturn:
        """Add a problem that stops the parse here and raise them all."""
        self.add(node, message, line=line)
        self.raise_if_any()
        raise AssertionError("unreachable")  # pragma: no cover - raise_if_any raised


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _value(node: yaml.Node) -> Any:
    """A scalar node's Python value (str, int, bool, None) as YAML defines it;
    a scalar with a tag YAML does not know (``!foo x``) is taken as its text."""
    try:
        # a fresh constructor: one would remember every node it ever built
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except yaml.constructor.ConstructorError:
        return node.value if isinstance(node, yaml.ScalarNode) else None


def _mapping(node: yaml.Node, where: str, allowed: Iterable[str], problems: _Problems) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """A mapping's entries by key; reports non-mappings, unknown and repeated keys."""
    allowed = tuple(allowed)
    if not isinstance(node, yaml.MappingNode):
        problems.add(node, f"{where}: expected a mapping of {', '.join(allowed)}, got {_describe(node)}")
        return {}
    entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = _value(key_node) if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            problems.add(key_node, f"{where}: keys must be words, got {_describe(key_node)}")
            continue
        if key not in allowed:
            problems.add(key_node, f"{where}: unknown key {key!r}{_did_you_mean(key, allowed)}")
            continue
        if key in entries:
            first = entries[key][0].start_mark.line + 1
            problems.add(key_node, f"{where}: key {key!r} appears twice (first on line {first}); keep one")
            continue
        entries[key] = (key_node, value_node)
    return entries


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    value = _value(node)
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _text(node: yaml.Node, where: str, problems: _Problems, *, required: bool = False) -> str | None:
    """A string value; numbers are accepted as their text (an id like 2 is fine)."""
    if not isinstance(node, yaml.ScalarNode):
        problems.add(node, f"{where}: expected text, got {_describe(node)}")
        return None
    value = _value(node)
    if value is None:
        if required:
            problems.add(node, f"{where}: is empty; give it a value")
        return None
    if isinstance(value, bool):
        problems.add(node, f"{where}: expected text, got {value!r}; put it in quotes if you mean the word")
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        problems.add(node, f"{where}: expected text, got {_describe(node)}")
        return None
    value = value.strip()
    if required and not value:
        problems.add(node, f"{where}: is empty; give it a value")
        return None
    return value


def _text_list(node: yaml.Node, where: str, problems: _Problems) -> list[tuple[str, yaml.Node]]:
    """A list of strings (a single string is accepted as a list of one)."""
    if isinstance(node, yaml.ScalarNode):
        if _value(node) is None:
            return []
        text = _text(node, where, problems)
        return [(text, node)] if text is not None else []
    if not isinstance(node, yaml.SequenceNode):
        problems.add(node, f"{where}: expected a list, got {_describe(node)}")
        return []
    items: list[tuple[str, yaml.Node]] = []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode):
            problems.add(item, f"{where}: each item must be text, got {_describe(item)}")
            continue
        value = _value(item)
        if not isinstance(value, str):
            problems.add(item, f"{where}: each item must be text, got {_describe(item)}; put it in quotes")
            continue
        items.append((value.strip(), item))
    return items


def _pattern_problem(pattern: str, kind: str) -> str | None:
    """Why a keyword pattern is unusable, with the fix; None if it is fine."""
    if not pattern.strip():
        return "empty pattern; remove it"
    if pattern.strip("*").strip() == "":
        return f"pattern {pattern!r} would match every word; give it letters, e.g. 'werkdruk*'"
    if "**" in pattern:
        return f"pattern {pattern!r} has '**'; one '*' already matches any run of letters"
    if pattern.count("*") > MAX_WILDCARDS:
        return (f"pattern {pattern!r} has {pattern.count('*')} '*'; at most {MAX_WILDCARDS} are allowed (each one "
                "makes matching slower on long words); split it into simpler compounds")
    stack: list[str] = []
    for char in pattern:
        if char in _BRACKETS:
            stack.append(_BRACKETS[char])
        elif char in _BRACKETS.values():  # noqa: SIM102 (kept apart: the inner test pops the stack)
            if not stack or stack.pop() != char:
                return f"pattern {pattern!r} has an unbalanced {char!r}; remove it"
    if stack:
        return f"pattern {pattern!r} has an unbalanced bracket; remove it (patterns are plain words, not regular expressions)"
    if pattern.count('"') % 2:
        return f"pattern {pattern!r} has an unbalanced '\"'; remove it"
    if not _PATTERN_CHARS.match(pattern):
        bad = sorted({char for char in pattern if not re.match(r"[\w'’*\- ]", char)})
        return (
            f"pattern {pattern!r} contains {''.join(bad)!r}; use letters, digits, "
            "'-', apostrophes and '*' only (patterns are not regular expressions)"
        )
    if kind == "word":
        if " " in pattern:
            return f"{pattern!r} has several words; put it under 'phrases'"
        if "*" in pattern:
            return f"{pattern!r} has '*'; put it under 'compounds'"
    elif kind == "compound":
        if " " in pattern:
            return f"compound {pattern!r} has a space; a compound is one word, put word sequences under 'phrases'"
    elif kind == "phrase":
        if "*" in pattern:
            return f"phrase {pattern!r} has '*'; phrases match whole words on their lemma, put word parts under 'compounds'"
        if len(re.split(r"[\s\-]+", pattern.strip())) < 2:
            return f"phrase {pattern!r} is one word; put it under 'words'"
    return None


def _patterns(node: yaml.Node, where: str, kind: str | None, problems: _Problems) -> tuple[str, ...]:
    """Validated, lower-cased patterns; ``kind=None`` for a list mixing kinds."""
    result = []
    for value, item in _text_list(node, where, problems):
        item_kind = kind or pattern_kind(value)
        problem = _pattern_problem(value, item_kind)
        if problem:
            problems.add(item, f"{where}: {problem}")
            continue
        normalised = " ".join(value.lower().replace("’", "'").split())
        if normalised not in result:
            result.append(normalised)
    return tuple(result)


MAX_CODEBOOK_BYTES = 2 * 1024**2  # a codebook is tens of KB; a larger file is not one (and YAML parsing is slow)
MAX_NESTING = 32  # a codebook is a few levels deep; thousands of '[' would exhaust the parser's stack


def _reads_as(label: str) -> str:
    """A label as a reader sees it: compatibility forms folded (NFKC), invisible format characters (zero-width
    spaces, direction marks) dropped, case and runs of white space ignored."""
    import unicodedata

    folded = unicodedata.normalize("NFKC", label)
    visible = "".join(char for char in folded if unicodedata.category(char) != "Cf")
    return " ".join(visible.casefold().split())


def _check_structure(text: str, problems: _Problems) -> None:
    """Refuse, before the YAML is composed, what only a hostile file has: an alias (``*name``, which
    can make a few lines expand to billions of items) and nesting deeper than MAX_NESTING."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            problems.fail(None, f"a YAML alias (*{event.anchor}); codebooks never need anchors and aliases (they "
                                "can make a small file expand enormously), so write the values out",
                          line=event.start_mark.line + 1 if event.start_mark else None)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                problems.fail(None, f"nested more than {MAX_NESTING} levels deep; a codebook needs a few, check "
                                    "the brackets and indentation",
                              line=event.start_mark.line + 1 if event.start_mark else None)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _holder_patterns(node: yaml.Node, where: str, problems: _Problems) -> tuple[str, ...]:
    """Words or ``*`` patterns matched on one token (no phrases): the staff, or other holders of an aspect."""
    patterns = _patterns(node, where, None, problems)
    for pattern in patterns:
        if pattern_kind(pattern) == "phrase":
            problems.add(node, f"{where}: {pattern!r} is a phrase; write single words or * patterns")
    return tuple(p for p in patterns if pattern_kind(p) != "phrase")


def _parse(text: str, source_name: str, raw: bytes) -> Codebook:
    problems = _Problems(source_name)
    try:
        _check_structure(text, problems)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "cannot be read"
        context = f" ({exc.context})" if exc.context else ""
        problems.fail(None, f"YAML syntax error at column {column}: {what}{context}; check indentation and quotes", line=line)
    except yaml.YAMLError as exc:  # a ReaderError: a character YAML does not allow (NUL, other control characters)
        first = " ".join(str(exc).splitlines()[:1]).strip() or type(exc).__name__
        problems.fail(None, f"YAML cannot read the file: {first}; save the codebook again as plain UTF-8 text")
    if root is None:
        problems.fail(None, "the codebook is empty; start from a copy of the default one "
                            "(`qualcode codebook show --default` says where it is)")

    top = _mapping(root, "codebook file", _TOP_KEYS, problems)

    name = Path(source_name).name.split(".")[0] or "codebook"
    if "codebook" in top:
        given = _text(top["codebook"][1], "codebook", problems, required=True)
        if given is not None:
            if "/" in given:
                problems.add(top["codebook"][1], "codebook: the name may not contain '/'; it is the first part of every code path")
            else:
                name = given

    language = "nl"
    if "language" not in top:
        problems.add(root, "missing key 'language'; add `language: nl` or `language: en`")
    else:
        given = _text(top["language"][1], "language", problems, required=True)
        if given is not None:
            if given.lower() in LANGUAGES:
                language = given.lower()
            else:
                problems.add(top["language"][1], f"language {given!r} is not supported; use 'nl' (Dutch) or 'en' (English)")

    description = ""
    if "description" in top:
        description = _text(top["description"][1], "description", problems) or ""

    directions = _parse_directions(top.get("directions"), language, problems)
    negation = _parse_negation(top.get("negation"), language, problems)
    clause_breaks = _DEFAULT_CLAUSE_BREAKS[language]
    if "clause_breaks" in top:
        clause_breaks = tuple(value.lower() for value, _ in _text_list(top["clause_breaks"][1], "clause_breaks", problems) if value)
    staff = _holder_patterns(top["staff"][1], "staff", problems) if "staff" in top else ()
    hedges = tuple(" ".join(v.lower().split()) for v, _ in _text_list(top["hedges"][1], "hedges", problems) if v.strip()) \
        if "hedges" in top else ()

    codes: list[Code] = []
    parent_nodes: dict[str, yaml.Node] = {}
    same_labels: list[str] = []
    if "codes" not in top:
        problems.add(root, "missing key 'codes'; list the codes under `codes:`")
    else:
        codes_node = top["codes"][1]
        if not isinstance(codes_node, yaml.SequenceNode):
            problems.add(codes_node, f"codes: expected a list of codes (each starting with '- id: ...'), got {_describe(codes_node)}")
        elif not codes_node.value:
            problems.add(codes_node, "codes: the list is empty; add at least one code")
        else:
            seen: dict[str, int] = {}
            labelled: dict[tuple[str, str], Code] = {}  # (language, label as it reads) -> the first code with it
            for position, code_node in enumerate(codes_node.value):
                code, parent_node = _parse_code(code_node, position, language, problems)
                if code is None:
                    continue
                if code.id in seen:
                    problems.add(code_node, f"code {code.id!r}: duplicate id (first on line {seen[code.id]}); give each code its own id")
                    continue
                seen[code.id] = code.line
                for lang, shown in (code.labels or {language: code.label}).items():
                    other = labelled.setdefault((lang, _reads_as(shown)), code)
                    if other is not code:  # valid (a REFI-QDA tree may repeat a name under two parents), but unclear
                        same_labels.append(
                            f"{source_name}:{code.line}: code {code.id!r}: label {shown!r} reads the same as the label "
                            f"of code {other.id!r} (line {other.line}); the matrix and the workbooks show labels, so "
                            "give each code its own")
                codes.append(code)
                if parent_node is not None:
                    parent_nodes[code.id] = parent_node
    _check_parents(codes, parent_nodes, problems)
    problems.raise_if_any()

    return Codebook(
        name=name,
        language=language,
        codes=tuple(codes),
        directions=directions,
        version=hashlib.sha256(raw).hexdigest(),
        source_text=text,
        description=description,
        negation=negation,
        clause_breaks=clause_breaks,
        source_name=source_name,
        staff=staff,
        hedges=hedges,
        warnings=tuple(same_labels),
    )


def _parse_directions(entry: tuple[yaml.Node, yaml.Node] | None, language: str, problems: _Problems) -> Directions:
    labels = _DIRECTION_LABELS[language]
    found: dict[str, Any] = {"opportunity": (labels["opportunity"], ()), "risk": (labels["risk"], ()), "increase": (), "decrease": ()}
    if entry is None:
        return Directions(
            opportunity=DirectionCues(labels["opportunity"]), risk=DirectionCues(labels["risk"])
        )
    for direction, (_, node) in _mapping(entry[1], "directions", _DIRECTION_KEYS, problems).items():
        where = f"directions.{direction}"
        if isinstance(node, yaml.SequenceNode):  # a bare list of cues is fine too
            cues = _patterns(node, f"{where}.cues", None, problems)
            found[direction] = (found[direction][0], cues) if direction in ("opportunity", "risk") else cues
            continue
        fields = _mapping(node, where, _DIRECTION_ENTRY_KEYS[direction], problems)
        cues = _patterns(fields["cues"][1], f"{where}.cues", None, problems) if "cues" in fields else ()
        if direction in ("opportunity", "risk"):
            label = found[direction][0]
            if "label" in fields:
                label = _text(fields["label"][1], f"{where}.label", problems, required=True) or label
            found[direction] = (label, cues)
        else:
            found[direction] = cues
    return Directions(
        opportunity=DirectionCues(*found["opportunity"]),
        risk=DirectionCues(*found["risk"]),
        increase=found["increase"],
        decrease=found["decrease"],
    )


def _parse_negation(entry: tuple[yaml.Node, yaml.Node] | None, language: str, problems: _Problems) -> Negation:
    defaults = _DEFAULT_NEGATION[language]
    flip, cancel = defaults["flip"], defaults["cancel"]
    before, after = _DEFAULT_NEGATION_BEFORE, _DEFAULT_NEGATION_AFTER
    if entry is None:
        return Negation(flip=flip, cancel=cancel, before=before, after=after)
    fields = _mapping(entry[1], "negation", _NEGATION_KEYS, problems)
    if "flip" in fields:
        flip = tuple(value.lower() for value, _ in _text_list(fields["flip"][1], "negation.flip", problems) if value)
    if "cancel" in fields:
        cancel = tuple(value.lower() for value, _ in _text_list(fields["cancel"][1], "negation.cancel", problems) if value)
    for key in ("before", "after"):
        if key in fields:
            node = fields[key][1]
            value = _value(node) if isinstance(node, yaml.ScalarNode) else None
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
                problems.add(node, f"negation.{key}: expected a number of words from 0 to 10, got {_describe(node)}")
            elif key == "before":
                before = value
            else:
                after = value
    return Negation(flip=flip, cancel=cancel, before=before, after=after)


def _parse_code(node: yaml.Node, position: int, language: str, problems: _Problems) -> tuple[Code | None, yaml.Node | None]:
    line = node.start_mark.line + 1
    # name the code by its id in every message, also those about other keys
    peeked = None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "id" and isinstance(value_node, yaml.ScalarNode):
                peeked = value_node.value.strip() or None
                break
    fields = _mapping(node, f"code {peeked!r}" if peeked else f"code #{position + 1}", _CODE_KEYS, problems)
    if not isinstance(node, yaml.MappingNode):
        return None, None

    code_id = None
    if "id" not in fields:
        problems.add(node, f"code #{position + 1}: missing 'id'; add e.g. `id: workload`")
    else:
        code_id = _text(fields["id"][1], f"code #{position + 1}: id", problems, required=True)
        if code_id is not None and not _CODE_ID.match(code_id):
            problems.add(fields["id"][1], f"code {code_id!r}: an id may contain only letters, digits, '_', '-' and '.' (no spaces or '/'); e.g. 'work_enjoyment'")
            code_id = None
    where = f"code {code_id!r}" if code_id else f"code #{position + 1}"

    label, labels = "", {}
    if "label" not in fields:
        problems.add(node, f"{where}: missing 'label'; add e.g. `label: werkdruk`")
    else:
        label_node = fields["label"][1]
        if isinstance(label_node, yaml.MappingNode):
            for lang, (_lang_key, value_node) in _mapping(label_node, f"{where}: label", LANGUAGES, problems).items():
                text = _text(value_node, f"{where}: label.{lang}", problems, required=True)
                if text:
                    labels[lang] = text
            if labels and language not in labels:
                problems.add(label_node, f"{where}: label has no {language!r} text; add `{language}: ...` (the codebook language)")
            label = labels.get(language, next(iter(labels.values()), ""))
        else:
            label = _text(label_node, f"{where}: label", problems, required=True) or ""
            if label:
                labels = {language: label}

    color = _PALETTE[position % len(_PALETTE)]
    if "color" in fields:
        color_node = fields["color"][1]
        given = _text(color_node, f"{where}: color", problems)
        if given is None and isinstance(color_node, yaml.ScalarNode) and _value(color_node) is None:
            problems.add(color_node, f"{where}: color is empty; in YAML '#' starts a comment, so write the colour in quotes: \"#e07b39\"")
        if given is not None:
            if _COLOR.match(given):
                color = given.lower()
            else:
                problems.add(fields["color"][1], f"{where}: color {given!r} is not a hex colour; write it like \"#e07b39\" (in quotes)")

    parent, parent_node = None, None
    if "parent" in fields:
        parent_node = fields["parent"][1]
        parent = _text(parent_node, f"{where}: parent", problems)

    definition = Definition()
    if "definition" in fields:
        parts = _mapping(fields["definition"][1], f"{where}: definition", _DEFINITION_KEYS, problems)
        definition = Definition(**{key: _text(value, f"{where}: definition.{key}", problems) or "" for key, (_, value) in parts.items()})

    keywords = Keywords()
    if "keywords" in fields:
        parts = _mapping(fields["keywords"][1], f"{where}: keywords", _KEYWORD_KEYS, problems)
        kinds = {"words": "word", "compounds": "compound", "phrases": "phrase", "exclude": None, "opposite_valence": None,
                 "only_with_cue": None, "only_about_staff": None}
        keywords = Keywords(**{
            key: _holder_patterns(value, f"{where}: keywords.{key}", problems) if key == "not_about"
            else _patterns(value, f"{where}: keywords.{key}", kinds[key], problems)
            for key, (_, value) in parts.items()})
        own = {*keywords.words, *keywords.compounds, *keywords.phrases, *keywords.opposite_valence}
        for key in ("only_with_cue", "only_about_staff"):
            for pattern in getattr(keywords, key):
                if pattern not in own:
                    problems.add(parts[key][1], f"{where}: keywords.{key}: {pattern!r} is not one of the code's "
                                                f"keywords; add it to words, compounds, phrases or opposite_valence")

    valence = "positive"
    if "valence" in fields:
        given = _text(fields["valence"][1], f"{where}: valence", problems)
        if given is not None:
            if given in VALENCES:
                valence = given
            else:
                problems.add(fields["valence"][1], f"{where}: valence {given!r} is not 'positive' or 'negative'{_did_you_mean(given, VALENCES)}")

    negation = True
    if "negation" in fields:
        value_node = fields["negation"][1]
        value = _value(value_node) if isinstance(value_node, yaml.ScalarNode) else None
        if not isinstance(value, bool):
            problems.add(value_node, f"{where}: negation must be true or false, got {_describe(value_node)}")
        else:
            negation = value

    if code_id is None or not label:
        return None, None
    return (
        Code(
            id=code_id,
            label=label,
            labels=MappingProxyType(dict(labels)),
            color=color,
            parent=parent,
            definition=definition,
            keywords=keywords,
            valence=valence,
            negation=negation,
            line=line,
        ),
        parent_node,
    )


def _check_parents(codes: list[Code], parent_nodes: Mapping[str, yaml.Node], problems: _Problems) -> None:
    ids = {code.id for code in codes}
    parents = {code.id: code.parent for code in codes if code.parent is not None}
    for code_id, parent in parents.items():
        if parent not in ids:
            problems.add(parent_nodes.get(code_id), f"code {code_id!r}: parent {parent!r} does not exist{_did_you_mean(parent, ids)}; use the id of another code or remove 'parent'")
    reported: set[str] = set()
    for start in parents:
        path = [start]
        current = parents.get(start)
        while current is not None and current in ids and current not in path:
            path.append(current)
            current = parents.get(current)
        if current is None or current not in path:
            continue
        cycle = path[path.index(current):]
        if reported & set(cycle):
            continue
        reported.update(cycle)
        first = min(cycle, key=lambda cid: parent_nodes[cid].start_mark.line)
        loop = cycle[cycle.index(first):] + cycle[: cycle.index(first)] + [first]
        problems.add(parent_nodes[first], "parent cycle " + " → ".join(repr(cid) for cid in loop) + "; one of these codes must have another parent (or none)")


def stored_codebook(store: "Store", version: str | None = None) -> Codebook:
    """The project's current codebook (or a stored older ``version``), parsed; the errors name the fix."""
    from qualcode.errors import NotFoundError, UsageError

    stored = store.codebook_source(version)
    if stored is None:
        if version is not None:
            raise NotFoundError(f"no codebook version {version[:12]} in {store.path}")
        raise UsageError("no codebook in this project yet; run `qualcode code` (the default codebook) "
                         "or `qualcode code --codebook FILE`")
    return Codebook.from_text(stored[1], stored[0])


def stored_codebook_or_none(store: "Store") -> Codebook | None:
    """The project's current codebook, or None when none was loaded yet (then codes come from the codings)."""
    return None if store.codebook_source() is None else stored_codebook(store)
