"""Frame rate of the real main window while it trains as fast as it can, beside the headless engine.

For each case the same task is first trained headless (the core's Trainer,
no window) and then in the real ``MainWindow`` with every view live, for the
same number of seconds, in this one process.  A frame is a repaint of the
decision boundary (it changes every update).  Each case prints one line::

    fps=<f> frame_p99_ms=<f> gui_epochs_per_s=<f> headless_epochs_per_s=<f> ratio=<f>

preceded by a ``# case`` line; the tutorial's XOR case comes last.  Targets:
fps >= 55, frame_p99_ms <= 33, ratio >= 0.5.

The ``xor+<panel>`` cases train the same XOR with one learning panel open
(``xor+all-panels``: the inspector, predictions, activation and history
together; ``panels`` runs each of them in turn).  Targets: fps >= 55 and
frame_p99_ms <= 33 with one panel open, fps >= 40 with all of them.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui.py [--seconds 10]
        [--case xor|spiral|both|panels|xor+<panel>] [--rounds N] [--switch-interval S] [--chunk-ms MS]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass

import nnviz  # noqa: F401 -- first, so that NumPy's BLAS gets the app's thread setting
import numpy as np

CASES = {
    "spiral": "# case: spiral, 400 points (320 train, 80 test), 2-8-8-1 sigmoid, MSE, SGD lr 1.0",
    "xor": "# case: the tutorial's XOR, 2-4-1 sigmoid, MSE, SGD lr 1.0, full batch",
}
PANELS = ("inspector", "predictions", "activation", "history")
for _panel in PANELS:
    CASES[f"xor+{_panel}"] = f"{CASES['xor']}, the {_panel} panel open"
CASES["xor+all-panels"] = f"{CASES['xor']}, the {', '.join(PANELS[:-1])} and {PANELS[-1]} panels open"


@dataclass
class Task:
    setup: object  # nnviz.core.setup.Setup
    panels: tuple[str, ...] = ()  # learning panels open while it trains

    def build(self):
        return self.setup.model.build(), self.setup.data.build(), self.setup.settings


def task(name: str) -> Task:
    from nnviz.core.setup import DataSpec, ModelSpec, Setup

    if name.startswith("xor"):
        panel = name.partition("+")[2]
        return Task(Setup(), PANELS if panel == "all-panels" else (panel,) if panel else ())
    return Task(Setup(ModelSpec(hidden=(8, 8)), DataSpec("spiral", n=400, noise=0.1)))


def headless(t: Task, seconds: float) -> float:
    from nnviz.core.trainer import Trainer

    network, data, settings = t.build()
    trainer = Trainer(network, data, settings)
    trainer.run(100)  # warm up
    chunk, start, done = 100, time.perf_counter(), 0
    while (elapsed := time.perf_counter() - start) < seconds:
        trainer.run(chunk)
        done += chunk
        # Chunks of about 5 ms, like the window's worker: the same per-call overhead.
        chunk = max(1, int(done / max(elapsed, 1e-3) * 0.005))
    return done / (time.perf_counter() - start)


def windowed(t: Task, seconds: float) -> tuple[float, float, float]:
    from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from nnviz.gui.main_window import MainWindow
    from nnviz.gui.settings_store import SettingsStore

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings_file = os.path.join(tempfile.mkdtemp(prefix="nnviz-bench-"), "nnviz.ini")
    store = SettingsStore(QSettings(settings_file, QSettings.Format.IniFormat))
    store.save_setup(t.setup)
    window = MainWindow(store=store)
    window.resize(1360, 840)
    window.show()
    docks = [window.learning.docks[name] for name in t.panels]
    for dock in docks:
        if len(docks) > 1:
            # Several panels open at once are all seen: side by side in their area, not tabs.
            area = window.dockWidgetArea(dock)
            window.removeDockWidget(dock)
            window.addDockWidget(area, dock, Qt.Orientation.Vertical)
        dock.show()
    window.wait_for_sync()

    frames: list[float] = []

    class PaintCounter(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                frames.append(time.perf_counter())
            return False

    counter = PaintCounter()
    window.boundary.viewport().installEventFilter(counter)
    epochs = {}

    def start() -> None:
        epochs["start"] = (time.perf_counter(), window.latest.epoch)
        frames.clear()
        window.set_playing(True)
        QTimer.singleShot(int(seconds * 1000), stop)

    def stop() -> None:
        epochs["stop"] = (time.perf_counter(), window.latest.epoch)
        window.set_playing(False)
        window.close_without_asking()  # closes once the training thread has ended
        app.exit(0)  # quit() would close the window too, asking to save first

    QTimer.singleShot(500, start)  # let the window settle first
    app.exec()
    window.shutdown()  # the event loop has ended: wait for the training thread before the next case
    window.boundary.viewport().removeEventFilter(counter)
    (t0, e0), (t1, e1) = epochs["start"], epochs["stop"]
    intervals = np.diff(frames) * 1000
    p99 = float(np.percentile(intervals, 99)) if len(intervals) else float("inf")
    return len(frames) / (t1 - t0), p99, (e1 - e0) / (t1 - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1,
                        help="headless and window runs, alternated; the median round is reported")
    parser.add_argument("--case", choices=("both", "panels", *CASES), default="both")
    parser.add_argument("--switch-interval", type=float, help="override the worker's training switch interval")
    parser.add_argument("--chunk-ms", type=float, help="override the worker's chunk length")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from nnviz.core import training_loop
    from nnviz.gui import worker

    if args.switch_interval is not None:
        worker.TRAINING_SWITCH_INTERVAL = args.switch_interval
    if args.chunk_ms is not None:
        training_loop.CHUNK_SECONDS = args.chunk_ms / 1000
    groups = {"both": ["spiral", "xor"], "panels": [n for n in CASES if n.startswith("xor+")]}
    names = groups.get(args.case, [args.case])
    for name in names:
        t = task(name)
        rounds = []
        for _ in range(args.rounds):
            # The machine's own speed drifts by 10-20% within minutes (seen on these shared
            # machines), so each window run is compared with a headless run just before it.
            base = headless(t, min(args.seconds, 5.0))
            fps, p99, gui = windowed(t, args.seconds)
            rounds.append((gui / base, fps, p99, gui, base))
            if args.rounds > 1:
                print(f"  round: fps={fps:.1f} frame_p99_ms={p99:.1f} gui_epochs_per_s={gui:.0f} "
                      f"headless_epochs_per_s={base:.0f} ratio={gui / base:.2f}", flush=True)
        # The median round by ratio, whole: its numbers belong together.
        ratio, fps, p99, gui, base = sorted(rounds)[len(rounds) // 2]
        print(CASES[name] + (f" (median of {args.rounds} rounds)" if args.rounds > 1 else ""), flush=True)
        print(f"case={name} fps={fps:.1f} frame_p99_ms={p99:.1f} gui_epochs_per_s={gui:.0f} "
              f"headless_epochs_per_s={base:.0f} ratio={ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
