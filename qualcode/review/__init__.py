"""Human review: suggestions stream out, decisions come back.

:mod:`.queue` decides what a coder sees next and knows nothing of the screen;
:mod:`.terminal` and :mod:`.excel` are two faces over it, :mod:`.reconcile` settles
where two coders differ. Every decision goes through
:func:`qualcode.codings.apply_decisions`.
"""
from __future__ import annotations

from qualcode.review.queue import QUEUE_ORDER, ReviewItem, review_item, review_queue

__all__ = ["QUEUE_ORDER", "ReviewItem", "review_item", "review_queue", "export_review", "import_review",
           "ReviewImportSummary", "disputes", "settle"]


def __getattr__(name: str):
    # Lazy, so that importing the queue does not import openpyxl.
    if name in ("export_review", "import_review", "ReviewImportSummary"):
        from qualcode.review import excel

        return getattr(excel, name)
    if name in ("disputes", "settle"):
        from qualcode.review import reconcile

        return getattr(reconcile, name)
    raise AttributeError(name)
