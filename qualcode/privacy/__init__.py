"""Pseudonymisation of what leaves the project: names replaced by stable placeholders, the key kept inside.

:mod:`.terms` (which names: the cases file's, the researcher's; the placeholders),
:mod:`.detect` (names found in the text), :mod:`.replace` (replacing them, with offsets),
:mod:`.key` (the key in the project, brought up to date by every export; `privacy check`).
The project's own stored text is never changed.
"""
from __future__ import annotations

from qualcode.privacy.key import PrivacyCheck, check, pseudonymiser
from qualcode.privacy.replace import OffsetMap, Replacer

__all__ = ["OffsetMap", "PrivacyCheck", "Replacer", "check", "pseudonymiser"]
