"""Frame rate of the window's GUI thread while the comparison view trains four runs.

Runs the real ``CompareView`` offscreen with the hidden-size sweep (2, 4, 8, 16
units, XOR, as many epochs as fit in the measurement), repaints the loss plot
as Qt does (only what changed, when it changed), and prints one line:

    fps=<f> frame_p99_ms=<f> ticks_per_s=<f> runs_epochs_per_s=<f>

``fps`` counts the loss plot's paints per second (the curves change about 30
times a second), ``frame_p99_ms`` is the 99th percentile of the interval
between paints, and ``ticks_per_s`` how often a 60 Hz timer got its turn: the
event loop's responsiveness to everything else (mouse, keys, the main view).
The target for the Compare runs panel: at least 30 fps while four runs train.

With ``--big``, four runs of 8 hidden layers of 64 units on 100,000 spiral
points train for ``--seconds``, then Stop is clicked; one line:

    case=big peak_rss_mb=<f> stop_blocked_ms=<f> thread_end_ms=<f> epochs=<n>

Targets: peak resident memory of the whole process at most 1 GB, Stop blocks
the GUI thread at most 100 ms, and the training thread ends within 1 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import nnviz  # noqa: F401 -- first, so that NumPy's BLAS gets the app's thread setting
import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--big", action="store_true", help="four big runs: memory and Stop")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.big:
        return big_runs(args.seconds)
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


def big_runs(seconds: float) -> int:
    import resource

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from nnviz.core import datasets
    from nnviz.core.network import Network
    from nnviz.core.trainer import TrainSettings
    from nnviz.gui import jobs, theme
    from nnviz.gui.compare_view import CompareView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.configure_pyqtgraph()
    view = CompareView()
    view.resize(1200, 760)
    view.show()
    data = datasets.generate("spiral", n=100_000, seed=0)
    view.set_state(Network([2] + [64] * 8 + [1], "tanh"), data, TrainSettings(lr=0.05), 0)
    view.lr_edit.setText("0.01, 0.03, 0.1, 0.3")
    view.lr_epochs.setValue(1_000_000)
    view.run_lr_sweep()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    started = time.perf_counter()
    view.stop_button.click()
    blocked = time.perf_counter() - started
    # The event loop must run for the job to report its end (the GUI thread never joins it).
    while jobs.registry().running() and time.perf_counter() - started < 10:
        app.processEvents()
        time.sleep(0.001)
    ended = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    epochs = sum(e.epoch for e in view.entries.values())
    print(f"case=big peak_rss_mb={peak_mb:.0f} stop_blocked_ms={blocked * 1000:.1f} "
          f"thread_end_ms={ended * 1000:.0f} epochs={epochs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
