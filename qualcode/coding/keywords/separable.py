"""Dutch separable verbs: the particles a verb splits off ('nakijken': 'ik kijk de toetsen na'),
and where in a sentence a split verb's particle stands."""
from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover - typing only
    from qualcode.coding.keywords.hits import DocView

PARTICLE_REACH = 12  # words between a separable verb and its particle

# Dutch separable-verb particles ('kijk ... na'); a particle followed by one of
# these words is a preposition instead ('na de les').
NL_PARTICLES = (
    "aan", "achter", "af", "bij", "binnen", "door", "in", "kwijt", "los", "mee", "na", "neer",
    "om", "op", "over", "samen", "terug", "toe", "uit", "vast", "voor", "vrij", "weg",
)
_NL_NOUN_PHRASE_START = frozenset(
    "de het een 'n mijn m'n jouw je zijn z'n haar hun ons onze uw jullie die dat deze dit "
    "elke ieder iedere alle veel weinig enkele sommige twee drie vier vijf tien".split()
)


def find_particle(doc: "DocView", verb: int, s_end: int, particle: str, breaks: Sequence[int]) -> int | None:
    """Where the separated particle of the verb at ``verb`` stands, or None."""
    after_verb = bisect.bisect_right(breaks, verb)
    next_break = breaks[after_verb] if after_verb < len(breaks) else s_end
    limit = min(s_end, next_break, verb + 1 + PARTICLE_REACH)
    wanted = doc.strings.add(particle)
    for position in range(verb + 1, limit):
        if doc.lowers[position] != wanted:
            continue
        if position + 1 < doc.size:
            following = doc.strings[doc.lowers[position + 1]]
            if following in _NL_NOUN_PHRASE_START or following.isdigit():
                continue  # 'na de les': a preposition, not the particle
        return position
    return None
