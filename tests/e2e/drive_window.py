"""The window under a real X server, for test_xvfb_drag.py; talks to the test through files.

    python drive_window.py WORKDIR

Writes WORKDIR/ready.json (screen positions of the point at (1, 1) and of
where to drag it) once the window is up and training; when WORKDIR/done
appears, writes WORKDIR/result.json (the training data the worker has) and quits.
"""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

work = sys.argv[1]
app = QApplication(sys.argv[:1])

from nnviz.gui.main_window import MainWindow  # after the QApplication
from nnviz.gui.settings_store import SettingsStore

store = SettingsStore(QSettings(os.path.join(work, "nnviz.ini"), QSettings.Format.IniFormat))
window = MainWindow(store=store)
window.setGeometry(0, 0, 1280, 800)
window.show()
window.raise_()
window.activateWindow()


def screen_position(x: float, y: float) -> list[int]:
    view = window.boundary
    point = view.viewport().mapToGlobal(view.view_to_widget(x, y).toPoint())
    return [point.x(), point.y()]


def ready() -> None:
    window.set_playing(True)
    with open(os.path.join(work, "ready.json"), "w") as f:
        json.dump({"start": screen_position(1.0, 1.0), "end": screen_position(0.5, 0.25)}, f)


def poll() -> None:
    if not os.path.exists(os.path.join(work, "done")):
        return
    window.set_playing(False)
    window.wait_for_sync()
    snap = window.latest
    with open(os.path.join(work, "result.json"), "w") as f:
        json.dump({"X": snap.data.X.tolist(), "epoch": snap.epoch, "window_X": window.data.X.tolist()}, f)
    window.close_without_asking()
    app.quit()


QTimer.singleShot(1500, ready)
timer = QTimer()
timer.timeout.connect(poll)
timer.start(100)
code = app.exec()
window.shutdown()  # the event loop has ended: now wait for the training thread
sys.exit(code)
