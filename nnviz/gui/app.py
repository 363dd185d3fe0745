"""The window's entry point: ``run`` is what ``nnviz gui`` calls."""

from __future__ import annotations

import math
import os
import signal
import sys

from nnviz.core import datasets, weights_file
from nnviz.core.datasets import Dataset
from nnviz.core.errors import NnvizError
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


def _refusal(problems: list[str], check, *args):
    """``check(*args)``, or None with its message added to ``problems`` if it refuses."""
    try:
        return check(*args)
    except NnvizError as exc:
        problems.append(str(exc))
        return None


def _weights_argument(path: str) -> weights_file.Loaded:
    loaded = weights_file.load(path)
    if loaded.data is not None:
        check_coordinates(loaded.data, os.path.basename(path))
    return loaded


def _checked_dataset_argument(value: str) -> tuple[Dataset, DataSpec | None]:
    data = _dataset_argument(value)
    check_coordinates(data[0], os.path.basename(value))
    return data


def run(weights: str | None = None, dataset: str | None = None, autostart: bool = False,
        quit_after: float | None = None, screenshot: str | None = None) -> int:
    """Open the window; returns the exit status.

    A weights file or data set that cannot be used is refused with one line
    on stderr, and the window opens all the same, on its usual set-up (with
    whichever of the two was good), and shows what was wrong in an error
    dialog: started from a desktop launcher, the user sees why.  The exit
    status is then 2, as for any refused argument, once the window closes.
    An impossible ``quit_after`` (a scripting mistake) is refused before any
    window exists.  With ``quit_after`` the window closes itself after that
    many seconds, first saving a PNG of itself to ``screenshot`` if given.
    After the window exists no exception ends the process (they are reported
    in a dialog), and the training threads have always ended before ``run``
    returns.
    """
    if quit_after is not None and not (math.isfinite(quit_after) and 0 <= quit_after <= MAX_QUIT_AFTER):
        print(f"nnviz: error: --quit-after must be a number of seconds from 0 to {MAX_QUIT_AFTER:g}, "
              f"got {quit_after:g}", file=sys.stderr)
        return 2
    problems: list[str] = []
    loaded = _refusal(problems, _weights_argument, weights) if weights else None
    data = _refusal(problems, _checked_dataset_argument, dataset) if dataset else None
    for problem in problems:
        print(f"nnviz: error: {problem}", file=sys.stderr)

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
        if problems:
            # From the event loop, once the window is on screen, so the dialog sits in front of it.
            QTimer.singleShot(0, lambda: window.dialogs.error(
                window, "Cannot open", "\n\n".join(problems) + "\n\nThe window opened on its usual set-up."))
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
    return status["code"] or (2 if problems else 0)
