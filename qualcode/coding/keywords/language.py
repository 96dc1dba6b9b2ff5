"""Which language a set of texts is in, cheaply: to warn when codebook and transcripts differ."""
from __future__ import annotations

import re
from typing import Iterable

_NL_WORDS = frozenset(
    "de het een en van dat die niet op te zijn met voor ook maar wat bij als er je ik wij ze hij "
    "naar om dan nog wel geen heel kunnen moet deze dit worden wordt hebben heeft uit door over "
    "meer zo al of hun mijn onze veel echt gewoon eigenlijk nu".split()
)
_EN_WORDS = frozenset(
    "the a an and of that to it not on with for also but what as there you i they he she be are "
    "was were have has this these can will would from by about more so at or their which my our "
    "much really just actually now".split()
)


def detect_language(texts: Iterable[str], *, sample_words: int = 20_000) -> str | None:
    """'nl' or 'en' if the texts clearly are that language, else None.

    Cheap: counts common function words of each language in the first
    ``sample_words`` words. Needs at least 20 function words and a 2:1 majority,
    so short or mixed material gives None rather than a guess.
    """
    dutch = english = seen = 0
    for text in texts:
        for word in re.findall(r"[a-zA-Z']+", text.lower()):
            seen += 1
            if word in _NL_WORDS:
                dutch += 1
            elif word in _EN_WORDS:
                english += 1
            if seen >= sample_words:
                break
        if seen >= sample_words:
            break
    if dutch + english < 20:
        return None
    if dutch >= 2 * english:
        return "nl"
    if english >= 2 * dutch:
        return "en"
    return None
