"""Human review: suggestions stream out, decisions come back.

:mod:`.queue` decides what a coder sees next and knows nothing of the screen;
:mod:`.terminal` and :mod:`.excel` are two faces over it, :mod:`.reconcile` settles
where two coders differ. Every decision goes through
:func:`qualcode.store.codings.apply_decisions`, which logs it.
"""
