"""Seconds of live repainting: catches PySide6 6.12.0's none_dealloc bug, should it come back.

On PySide6 6.12.0 with Python < 3.12 every Qt call that returns nothing drops
one reference to ``None``; a live pyqtgraph window then aborts within
seconds ("Fatal Python error: none_dealloc").  pyproject.toml excludes that
release; this test fails (or crashes) if a release with the bug is installed.
"""

from __future__ import annotations

import sys
import time


def test_seconds_of_live_repainting_keep_none_alive(qtbot, window):
    frames = []
    window.sigFrame.connect(frames.append)
    before = sys.getrefcount(None)
    window.set_playing(True)
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        window.grab()  # a full repaint of every view, on top of the live ones
        qtbot.wait(20)
    window.set_playing(False)
    assert window.wait_for_sync()
    after = sys.getrefcount(None)
    assert len(frames) > 30
    # Thousands of Qt calls ran; with the bug None would have lost thousands of references.
    assert after > before - 500, (before, after)
