"""Where a command's output goes."""

from __future__ import annotations

import sys
from pathlib import Path


def emit(text: str, out: Path | None) -> int:
    """Write a command's output to ``out``, or to standard output without one."""
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
