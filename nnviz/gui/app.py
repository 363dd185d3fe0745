"""The window's entry point: ``run`` is what ``nnviz gui`` calls."""

from __future__ import annotations

import math
import os
import signal
import sys

from nnviz.core import datasets, weights_file
from nnviz.core.datasets import Dataset
from nnviz.core.errors import ConfigError, NnvizError
from nnviz.core.session import check_coordinates
from nnviz.core.setup import DataSpec

# --quit-after is for scripts and screenshots; more than a day is a typing mistake.
MAX_QUIT_AFTER = 86_400.0


def _dataset_argument(value: str) -> tuple[Dataset, DataSpec | None]:
    """A preset name or a CSV file, checked before any window exists."""
    if value.lower().endswith(".csv") or os.path.sep in value:
        return datasets.read_csv(value), None
    spec = DataSpec(value)
    return spec.build(), spec


def run(weights: str | None = None, dataset: str | None = None, autostart: bool = False,
        quit_after: float | None = None, screenshot: str | None = None) -> int:
    """Open the window; returns the exit status (2 for a bad weights, data set or time argument).

    With ``quit_after`` the window closes itself after that many seconds,
    first saving a PNG of itself to ``screenshot`` if given.  Everything that
    can be refused is checked before the window exists; after that no
    exception ends the process (they are reported in a dialog), and the
    training threads have always ended before ``run`` returns.
    """
    try:
        if quit_after is not None and not (math.isfinite(quit_after) and 0 <= quit_after <= MAX_QUIT_AFTER):
            raise ConfigError(f"--quit-after must be a number of seconds from 0 to {MAX_QUIT_AFTER:g}, "
                              f"got {quit_after:g}")
        loaded = weights_file.load(weights) if weights else None
        if loaded is not None and loaded.data is not None:
            check_coordinates(loaded.data, os.path.basename(weights))
        data = _dataset_argument(dataset) if dataset else None
        if data is not None:
            check_coordinates(data[0], os.path.basename(dataset))
    except NnvizError as exc:
        print(f"nnviz: error: {exc}", file=sys.stderr)
        return 2

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from nnviz.gui.error_report import ErrorReporter
    from nnviz.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("nnviz")
    app.setOrganizationName("nnviz")
    app.setApplicationDisplayName("nnviz")
    window = MainWindow()
    reporter = ErrorReporter(window).install()
    status = {"code": 0}
    previous = signal.getsignal(signal.SIGINT)
    try:
        session = window.session
        if loaded is not None:
            session.open_loaded(loaded, os.path.basename(weights), os.path.abspath(weights))
            window.store.add_recent_file(weights)
        if data is not None:
            points, spec = data
            session.use_dataset(points, spec, source=os.path.basename(dataset))
            session.set_modified(False)
        window.show()
        if autostart:
            session.set_playing(True)

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
        signal.signal(signal.SIGINT, lambda *_: window.close())
        wake = QTimer()
        wake.timeout.connect(lambda: None)
        wake.start(250)
        app.exec()
        wake.stop()
    finally:
        signal.signal(signal.SIGINT, previous)
        # The event loop has ended (or never ran): now, and only now, wait for the threads.
        window.shutdown()
        reporter.uninstall()
    return status["code"]
