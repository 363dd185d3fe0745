"""Sharing the interpreter between training threads and the GUI thread.

A thread looping over small NumPy calls holds the GIL almost all the time;
the GUI thread gives it up on every Qt call and then waits up to the switch
interval (5 ms by default) to get it back, so a frame that makes a few hundred
Qt calls can take seconds.  A short switch interval fixes that at some cost to
the training thread (see DESIGN.md and ``benchmarks/gui.py``).

A training thread can also step aside while the GUI draws: ``AfterPaint``
tells it when the repaints caused by an update are done.

The interval is process-wide, and more than one thread may train at once (the
main worker and the comparison runs), so it is reference-counted: the first
thread to start training shortens it, the last one to stop restores it.
"""

from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt

FAST_SWITCH_INTERVAL = 0.0005

_lock = threading.Lock()
_holders: dict[object, float] = {}
_saved: float | None = None


def hold_fast(owner: object, interval: float = FAST_SWITCH_INTERVAL) -> None:
    """``owner`` starts training: keep the switch interval at most ``interval`` until ``release_fast``.

    Holding again just updates the owner's interval; the shortest one held applies.
    """
    global _saved
    with _lock:
        if not _holders:
            _saved = sys.getswitchinterval()
        _holders[owner] = interval
        sys.setswitchinterval(min(min(_holders.values()), _saved))


def release_fast(owner: object) -> None:
    """``owner`` stopped training; the last one out restores the interval it found."""
    with _lock:
        if _holders.pop(owner, None) is None:
            return
        if _holders:
            sys.setswitchinterval(min(min(_holders.values()), _saved))
        elif _saved is not None:
            sys.setswitchinterval(_saved)


class AfterPaint(QObject):
    """Calls ``callback`` after the repaints queued so far.

    Qt posts a widget's repaint as an ``UpdateRequest`` at low priority; an
    event posted at a lower priority still is delivered after it.
    """

    _TYPE = QEvent.Type(QEvent.registerEventType())

    def __init__(self, callback, parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback

    def post(self) -> None:
        QCoreApplication.postEvent(self, QEvent(self._TYPE), int(Qt.EventPriority.LowEventPriority.value) - 1)

    def event(self, event) -> bool:
        if event.type() == self._TYPE:
            self._callback()
            return True
        return super().event(event)
