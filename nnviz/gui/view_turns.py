"""While training flat out, the loss curve and the network diagram take turns to redraw.

The decision boundary is redrawn with every frame, 60 times a second.  The
loss curve and the diagram together cost about as much again on the GUI
thread, and while the GUI thread draws, training stands aside (see
``nnviz.core.frame_gate``).  Redrawn on alternate frames, each still moves 30
times a second, which the eye does not tell from 60 on a curve or a line's
width, and training gets the time back (``benchmarks/gui.py``).

Only quick frames take turns: frames less than ``QUICK_FRAME`` apart while
training runs.  Slow motion, a single step, a pause or a past epoch are
drawn in full at once, and whatever a quick frame skipped is drawn
``CATCH_UP`` seconds after the last one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

LOSS = "loss"
DIAGRAM = "diagram"
BOTH = frozenset({LOSS, DIAGRAM})
# Frames closer than this come from training flat out (60 a second: 17 ms apart).
QUICK_FRAME = 0.025
CATCH_UP = 0.05


class ViewTurns:
    """Says which of the two views a frame redraws."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self._last_frame = -math.inf
        self._next = LOSS

    def frame(self, running: bool) -> frozenset[str]:
        """The views to redraw for a frame that arrives now; ``running``: training goes on after it."""
        now = self.clock()
        quick = running and now - self._last_frame < QUICK_FRAME
        self._last_frame = now
        if not quick:
            return BOTH
        turn, self._next = self._next, DIAGRAM if self._next == LOSS else LOSS
        return frozenset({turn})
