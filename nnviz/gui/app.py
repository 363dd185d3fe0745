"""The window's entry point: ``run`` is what ``nnviz gui`` calls."""

from __future__ import annotations

import os
import signal
import sys

from nnviz.core import datasets, weights_file
from nnviz.core.datasets import Dataset
from nnviz.core.errors import NnvizError
from nnviz.core.setup import DataSpec


def _dataset_argument(value: str) -> tuple[Dataset, DataSpec | None]:
    """A preset name or a CSV file, checked before any window exists."""
    if value.lower().endswith(".csv") or os.path.sep in value:
        return datasets.read_csv(value), None
    spec = DataSpec(value)
    return spec.build(), spec


def run(weights: str | None = None, dataset: str | None = None, autostart: bool = False,
        quit_after: float | None = None, screenshot: str | None = None) -> int:
    """Open the window; returns the exit status (2 for a bad weights or data set argument).

    With ``quit_after`` the window closes itself after that many seconds,
    first saving a PNG of itself to ``screenshot`` if given.
    """
    try:
        loaded = weights_file.load(weights) if weights else None
        data = _dataset_argument(dataset) if dataset else None
    except NnvizError as exc:
        print(f"nnviz: error: {exc}", file=sys.stderr)
        return 2

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from nnviz.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nnviz")
    app.setOrganizationName("nnviz")
    app.setApplicationDisplayName("nnviz")
    window = MainWindow()
    if loaded is not None:
        window.open_loaded(loaded, os.path.basename(weights))
        window.path = os.path.abspath(weights)
        window.set_modified(False)
        window.store.add_recent_file(weights)
    if data is not None:
        points, spec = data
        window.use_dataset(points, spec, source=os.path.basename(dataset))
        window.set_modified(False)
    window.show()
    if autostart:
        window.set_playing(True)
    status = {"code": 0}

    def finish() -> None:
        if screenshot and not window.grab().save(screenshot, "PNG"):
            print(f"nnviz: error: cannot write the screenshot {screenshot}", file=sys.stderr)
            status["code"] = 1
        window.close_without_asking()

    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), finish)
    # Ctrl+C in the terminal closes the window (asking about unsaved work) instead
    # of being ignored: Python runs signal handlers only between bytecodes, so a
    # timer lets the interpreter in a few times a second.
    previous = signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    try:
        app.exec()
    finally:
        wake.stop()
        signal.signal(signal.SIGINT, previous)
    if window.worker.isRunning():  # closed by the window system without closeEvent
        window.shutdown()
    return status["code"]
