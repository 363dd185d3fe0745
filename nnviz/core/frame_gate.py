"""A one-slot mailbox between a training thread and the thread that draws, and a turn-taking gate.

Why one slot: the drawing side takes the newest result when it is ready for
a frame; a training thread that is faster than the display builds the next
result only once the previous one has been taken, so nothing queues up and
no work is spent on results nobody will see.

Why a gate: a thread looping over small NumPy calls holds Python's GIL
nearly all the time, and a GUI frame gives the GIL up and takes it back
hundreds of times.  So the two take turns once per frame: after publishing,
the trainer waits (holding neither the GIL nor a CPU) until the drawing side
says the frame is on screen, at most a few tens of milliseconds.  A consumer
that never reports frames (a test, a script) is never waited for.

Threads only, no Qt: ``notify`` is how the drawing side hears that something
is in the box (the GUI passes a function that emits a queued signal).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class FrameGate(Generic[T]):
    def __init__(self, notify: Callable[[], None] = lambda: None) -> None:
        self.notify = notify  # may be replaced before the producer starts
        self._lock = threading.Lock()
        self._box: T | None = None
        self._gui_free = threading.Event()
        self._gui_free.set()
        self._frames_reported = False

    # -- the producing thread ------------------------------------------------------------
    def is_free(self) -> bool:
        """True when the last result has been taken (a new one may be built)."""
        with self._lock:
            return self._box is None

    def publish(self, item: T) -> None:
        """Put ``item`` in the box (replacing an untaken one) and tell the drawing side."""
        if self._frames_reported:
            # Until the drawing side has shown this item, the producer stands aside.
            self._gui_free.clear()
        with self._lock:
            self._box = item
        self.notify()

    def add(self, items: list) -> None:
        """Add ``items`` to the list in the box (for a consumer that needs every item, not the newest).

        The drawing side is told only when the box was empty: until it takes
        the list, later additions join it, so a busy GUI gets fewer, fuller
        deliveries and the event queue never floods.
        """
        if not items:
            return
        with self._lock:
            was_empty = self._box is None
            self._box = (self._box or []) + list(items)
        if was_empty:
            if self._frames_reported:
                self._gui_free.clear()
            self.notify()

    def wait_gui_free(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) while the drawing side is busy with a frame."""
        self._gui_free.wait(timeout)

    # -- the drawing thread --------------------------------------------------------------
    def take(self) -> T | None:
        """The newest item, once; the producer may then build the next."""
        with self._lock:
            item, self._box = self._box, None
        return item

    def frame_started(self) -> None:
        """Drawing begins: the producer waits between chunks until ``frame_done``."""
        self._gui_free.clear()

    def frame_done(self) -> None:
        """The frame is on screen: the producer may use the interpreter again."""
        self._frames_reported = True
        self._gui_free.set()

    def release(self) -> None:
        """Never make the producer wait again for this consumer (it is going away)."""
        self._frames_reported = False
        self._gui_free.set()
