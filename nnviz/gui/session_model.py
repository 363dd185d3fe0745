"""The session as Qt signals: a thin QObject beside the core's ``Session``, and the training thread.

The core ``Session`` (``nnviz.core.session``) holds the state and validates
every change; this object owns it and the ``TrainingWorker``, turns the
session's events into signals, and feeds it the worker's snapshots.  Views
connect to the signals and draw; controls, files and panels call
``model.session``'s methods.  Nobody else keeps a copy of the state.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QObject, Qt, Signal

from nnviz.core.session import Session
from nnviz.core.setup import Setup
from nnviz.gui import gil
from nnviz.gui.worker import TrainingWorker


class SessionModel(QObject):
    sigSetup = Signal(object)  # Setup: show it in the controls
    sigRun = Signal(object)  # RunStart: a new run, the weights replaced
    sigData = Signal(object)  # DataChange: the points changed, the weights kept
    sigFrame = Signal(object)  # Snapshot: every snapshot of the current run, shown or not
    sigShown = Signal(object)  # Shown: what the views draw (live, or a past epoch)
    sigPlaying = Signal(bool)
    sigFile = Signal(object)  # FileState: path and modified flag
    sigMessage = Signal(str)  # for the status bar

    _SIGNALS = {"setup": "sigSetup", "run": "sigRun", "data": "sigData", "frame": "sigFrame",
                "shown": "sigShown", "playing": "sigPlaying", "file": "sigFile", "message": "sigMessage"}

    def __init__(self, setup: Setup | None = None, resolution: int = 160, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = TrainingWorker(resolution, parent=self)
        self.session = Session(self.worker.send, setup)
        self.session.subscribe(self._relay)
        self.worker.sigSnapshotReady.connect(self._on_snapshot, Qt.ConnectionType.QueuedConnection)
        # The worker stands aside while a frame is drawn; this says when it is on screen.
        self._frame_done = gil.AfterPaint(self.worker.frame_done, self)

    def start(self) -> None:
        """Start the training thread and the first run (after every view is connected)."""
        self.worker.start()
        self.session.begin()

    def _relay(self, kind: str, value: object) -> None:
        getattr(self, self._SIGNALS[kind]).emit(value)

    def _on_snapshot(self) -> None:
        snap = self.worker.take()
        if snap is None or snap.run != self.session.run:
            return  # a run that has since been replaced
        self.worker.frame_started()
        self._frame_done.post()
        self.session.accept(snap)

    def say(self, text: str) -> None:
        """A message for the status bar."""
        self.sigMessage.emit(text)

    def wait_for_sync(self, timeout: float = 2.0) -> bool:
        """Process events until a snapshot reflects every command sent (before saving; tests)."""
        clock = QElapsedTimer()
        clock.start()
        while clock.elapsed() < timeout * 1000:
            if self.in_sync():
                return True
            QCoreApplication.processEvents()
            time.sleep(0.002)
        return False

    def in_sync(self) -> bool:
        """The latest snapshot reflects every command sent, and training is not running."""
        snap = self.session.latest
        return self.session.in_sync(snap) and not snap.running

    def request_stop(self) -> None:
        self.worker.request_stop()

    @property
    def stopped(self) -> bool:
        return not self.worker.isRunning()
