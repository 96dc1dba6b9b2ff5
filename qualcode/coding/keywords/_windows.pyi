"""Types of the compiled module built from _windows.pyx (see there)."""
from typing import Any

def windows(prefilter: Any, text: str) -> tuple[list[tuple[int, int]], bool | None]: ...
