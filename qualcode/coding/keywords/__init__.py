"""The keyword auto-coder (strategy ``keywords.v1``): codebook rules in, suggestions out.

:func:`suggest` is a pure function over segments; :func:`explain` shows for one
segment every rule that fired or was cancelled, and why. Both share one analysis,
so what the terminal explains is exactly what was suggested.

How a suggestion comes about, per sentence of a segment:

1. **Aspect hits.** A token matches a code's ``words`` on its lemma or its
   lower-cased form, its ``compounds`` (patterns with ``*``) on the lower-cased
   form, the lemma and each part of a hyphenated word; ``phrases`` match runs of
   lemmas in order (spaCy PhraseMatcher on LEMMA; a hyphen and a space are
   interchangeable, so 'een-op-een begeleiding' also finds 'een-op-een-begeleiding').
   A Dutch separable verb in ``words`` ('nakijken', 'toenemen') also matches its
   split form: 'ik kijk de toetsen na', 'de werkdruk neemt toe'.
2. **Exclusions.** A code's ``exclude`` pattern in the same sentence cancels that
   code's hits: only the hit it overlaps ('op tijd' cancels 'tijd'), or, when it
   overlaps none ('Europese'), every hit of that code in the sentence.
3. **Direction.** A sentence is cut into clauses at contrast words ('maar',
   'terwijl', ';'), so 'AI bespaart tijd, maar de werkdruk neemt toe' gives each
   half its own direction. Opportunity and risk cues give their direction to every
   aspect in their clause. Increase/decrease cues ('meer', 'minder', 'neemt toe')
   attach to the nearest aspect hit within three words of the same clause and give
   a direction through that keyword's valence: less workload is an opportunity,
   less autonomy a risk. An aspect whose clause has no cue has direction 'none'.
4. **Negation** (choice documented here). A negation word at most
   ``negation.before`` words before a cue or ``negation.after`` words after it,
   in the same clause and not across punctuation, acts on the cue: ``flip`` words
   ('geen', 'zonder') reverse it ('geen extra werk' is an opportunity, 'bespaart
   geen tijd' a risk), ``cancel`` words ('niet', 'nooit') void it, because 'niet
   meer tijd' may mean 'no longer any time' as well as 'not more time'. A code
   with ``negation: false`` ignores negation. Negation never removes an aspect:
   'geen werkdruk' still talks about workload.

One segment yields one suggestion per (code, direction), with the evidence of all
its mentions merged. A code's 'none' suggestion is dropped when the same segment
has a directed suggestion for that code: it adds nothing a coder needs.

The modules, in the order the work flows:

* :mod:`.rules` compiles a codebook for a pipeline (what each word form fires, cached);
* :mod:`.scan` looks up every token of a doc and picks the sentences worth analysing;
* :mod:`.sentence` applies the rules to one sentence, with :mod:`.direction` for negation
  and increase/decrease cues and :mod:`.separable` for Dutch split verbs;
* :mod:`.aggregate` turns a segment's sentences into suggestions with their evidence
  (the records of :mod:`qualcode.records`: ``Evidence``, ``EvidenceMatch``);
* :mod:`.stream`, :mod:`.parallel` and :mod:`.suggest` run that over many segments;
  :mod:`.explain` over one, keeping every step; :mod:`.hits` holds what passes between them.
"""
from __future__ import annotations

from qualcode.coding.keywords.explain import Explanation, explain
from qualcode.coding.keywords.language import detect_language
from qualcode.coding.keywords.suggest import suggest, suggestion_rows
from qualcode.coding.strategies import KEYWORDS as STRATEGY

__all__ = ["STRATEGY", "Explanation", "detect_language", "explain", "suggest", "suggestion_rows"]
