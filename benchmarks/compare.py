"""Frame rate of the window's GUI thread while the comparison view trains four runs.

Runs the real ``CompareView`` offscreen with the hidden-size sweep (2, 4, 8, 16
units, XOR, as many epochs as fit in the measurement), repaints the loss plot
as Qt does (only what changed, when it changed), and prints one line:

    fps=<f> frame_p99_ms=<f> ticks_per_s=<f> runs_epochs_per_s=<f>

``fps`` counts the loss plot's paints per second (the curves change about 30
times a second), ``frame_p99_ms`` is the 99th percentile of the interval
between paints, and ``ticks_per_s`` how often a 60 Hz timer got its turn: the
event loop's responsiveness to everything else (mouse, keys, the main view).

The Compare runs panel is meant to keep at least 30 fps while four runs train.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from nnviz.gui import theme
    from nnviz.gui.compare_view import CompareView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.configure_pyqtgraph()
    view = CompareView()
    view.resize(1200, 760)
    view.show()
    view.hidden_epochs.setValue(10_000_000)
    view.run_hidden_sweep()
    stamps: list[float] = []
    ticks: list[float] = []

    class PaintCounter(QObject):
        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                stamps.append(time.perf_counter())
            return False

    counter = PaintCounter()
    view.loss_plot.viewport().installEventFilter(counter)
    timer = QTimer()
    timer.setInterval(16)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    start = time.perf_counter()
    QTimer.singleShot(int(args.seconds * 1000), app.quit)
    app.exec()
    timer.stop()
    elapsed = time.perf_counter() - start
    epochs = sum(e.epoch for e in view.entries.values())
    view.shutdown()
    intervals = np.diff(stamps) * 1000
    print(f"fps={len(stamps) / elapsed:.1f} frame_p99_ms={np.percentile(intervals, 99):.1f} "
          f"ticks_per_s={len(ticks) / elapsed:.1f} runs_epochs_per_s={epochs / elapsed:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
