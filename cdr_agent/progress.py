"""Progress bars for long work (replay, stats fill --rederive, callgen): on stderr when it is
a terminal, nothing at all when it is piped or redirected (logs and scripts stay clean).
"""
from __future__ import annotations

import sys
from typing import Optional

from tqdm import tqdm


def bar(description: str, total: Optional[float] = None, unit: str = "it", scale: bool = False) -> tqdm:
    """A tqdm bar on stderr, disabled unless stderr is a terminal; use as a context manager."""
    return tqdm(total=total, desc=description, unit=unit, unit_scale=scale, file=sys.stderr,
                disable=not sys.stderr.isatty(), leave=False, dynamic_ncols=True)
