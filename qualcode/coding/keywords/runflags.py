"""The flags the prefilter records per run (a whitespace-free stretch of text), shared by its Python
code and its compiled module (``_windows.pyx``)."""
from __future__ import annotations

# A run's flags: a token fires an aspect rule; is the first anchor of an aspect phrase; is a separable verb
# that may be an aspect; is the particle of one; names the staff; its last token is a sentence-final
# character; its first token may open a sentence (it is neither punctuation nor sentence-final).
CANDIDATE, ANCHOR, SEPARABLE, PARTICLE, STAFF, ENDS_SENTENCE, OPENS_SENTENCE = 1, 2, 4, 8, 16, 32, 64
MARKS = CANDIDATE | ANCHOR | SEPARABLE  # a block holding one of these may yield a mention
