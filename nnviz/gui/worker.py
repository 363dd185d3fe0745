"""The training thread: a thin QThread around the core's ``TrainingLoop``.

The GUI thread sends typed commands (``nnviz.core.training_loop``) with
``send``; they go on a thread-safe queue that the loop drains between chunks
of epochs.  Snapshots come back through a ``FrameGate``: when one is ready
``sigSnapshotReady`` is emitted (queued to the GUI thread) and the GUI
``take``s it.  The worker never touches a widget.

Sharing the interpreter (measured with ``benchmarks/gui.py``): the loop
stands aside while the GUI draws each frame (``frame_started`` /
``frame_done``), and while training the switch interval is lowered
(``gil.hold_fast``) so that mouse and keyboard events between frames are
handled within a millisecond or so.  That held 59 fps with a p99 frame
interval of about 21 ms while training at about half the headless speed.

Stopping: ``request_stop`` returns at once.  The loop sees it between
mini-batches even in the middle of a long epoch, so the thread ends within a
second whatever it trains; ``finished`` says when.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback

from PySide6.QtCore import QThread, Signal

from nnviz.core.frame_gate import FrameGate
from nnviz.core.errors import Interrupted
from nnviz.core.training_loop import Command, SetDiagramNeeds, Snapshot, Stop, TrainingLoop, counted
from nnviz.core.unit_maps import DiagramNeeds
from nnviz.gui import gil

# Measured in benchmarks/gui.py: at the default 5 ms a GUI frame that needs
# the GIL a few dozen times waits up to 5 ms each time; at 0.5 ms the window
# keeps its frame rate and the trainer keeps most of its speed.
TRAINING_SWITCH_INTERVAL = 0.0005


class TrainingWorker(QThread):
    sigSnapshotReady = Signal()

    def __init__(self, resolution: int = 160, parent=None) -> None:
        super().__init__(parent)
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._stop_requested = threading.Event()
        self._resolution = resolution
        self.commands_sent = 0  # snapshots echo how many were applied (see ``in_sync``)
        self.gate: FrameGate[Snapshot] = FrameGate(self.sigSnapshotReady.emit)

    # -- the GUI thread ------------------------------------------------------------------
    def send(self, command: Command) -> None:
        self.commands_sent += counted(command)
        self._commands.put(command)

    def set_diagram_needs(self, needs: DiagramNeeds) -> None:
        """What the diagram shows besides the weights: snapshots carry it from the next one on."""
        self.send(SetDiagramNeeds(needs))

    def in_sync(self, snap: Snapshot) -> bool:
        """True when ``snap`` was taken after every command sent so far had taken effect."""
        return snap.commands_applied == self.commands_sent

    def take(self) -> Snapshot | None:
        return self.gate.take()

    def frame_started(self) -> None:
        self.gate.frame_started()

    def frame_done(self) -> None:
        self.gate.frame_done()

    def request_stop(self) -> None:
        """Ask the thread to end; returns at once (``finished`` follows within a second)."""
        self._stop_requested.set()
        self.gate.release()
        self.send(Stop())

    def stop(self, timeout: float = 2.0) -> bool:
        """Ask the thread to end and wait for it: only for tests and after the event loop has ended."""
        if self.isRunning():
            self.request_stop()
            return self.wait(int(timeout * 1000))
        return True

    # -- the worker thread ---------------------------------------------------------------
    def run(self) -> None:
        loop = TrainingLoop(self.gate, resolution=self._resolution, interrupted=self._stop_requested.is_set)
        loop.on_running_changed = self._running_changed
        wait: float | None = None
        try:
            while not self._stop_requested.is_set():
                if loop.holding:
                    # Held commands wait for Step epochs, which wait for the GUI: do not spin,
                    # and do not sleep until a new command either (the held ones are due).
                    if wait:
                        time.sleep(wait)
                    wait = 0.0
                if not loop.apply(self._drain(wait)):
                    break
                try:
                    wait = loop.tick()
                except Interrupted:
                    break  # asked to stop in the middle of a snapshot: the thread is ending
                except Exception as exc:  # noqa: BLE001 - a bug must not end the thread silently
                    traceback.print_exc()
                    loop.halt(f"training stopped by an internal error: {exc}")
                    wait = None
        finally:
            gil.release_fast(self)

    def _drain(self, timeout: float | None) -> list[Command]:
        """Every queued command, waiting up to ``timeout`` (None: forever) for the first."""
        pending: list[Command] = []
        try:
            if timeout is None or timeout > 0:
                pending.append(self._commands.get(timeout=timeout))
            else:
                pending.append(self._commands.get_nowait())
        except queue.Empty:
            return pending
        while True:
            try:
                pending.append(self._commands.get_nowait())
            except queue.Empty:
                return pending

    def _running_changed(self, running: bool) -> None:
        if running:
            gil.hold_fast(self, TRAINING_SWITCH_INTERVAL)
        else:
            gil.release_fast(self)
