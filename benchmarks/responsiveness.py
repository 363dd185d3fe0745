"""How long the window's event loop stalls while the user edits a big data set.

The real ``MainWindow`` (offscreen) is given a 100,000-point data set, then
each action is performed as a user would: real mouse events sent to the
decision boundary one by one from the event loop, with time between them for
the window to draw.  A 1 ms ``QTimer`` records when the event loop gets to run;
the longest gap between two of its ticks during an action (and the 300 ms after
it, while the window catches up) is that action's stall.  One line per action,
then ``worst_gap_ms=…`` (target: at most 100).  The first, ``idle``, does nothing:
the stalls that training alone causes (its GIL share, its frames), for comparison.
``gui_cpu_in_it_ms`` is the GUI thread's CPU time within that longest gap, and
``longest_event_cpu_ms`` its CPU time handling one event of the action (the redraws
it asks for come later): a gap much longer than its CPU time was spent waiting,
for the training thread's GIL or for the machine's other processes.

    QT_QPA_PLATFORM=offscreen python benchmarks/responsiveness.py [--points 100000] [--paused]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace

import nnviz  # noqa: F401 -- first, so that NumPy's BLAS gets the app's thread setting
import numpy as np

SETTLE_MS = 300  # after an action, while its redraws and snapshots arrive
STEP_MS = 30  # between two mouse events of one action: a quick hand


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--paused", action="store_true", help="do not train during the actions")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import pyqtgraph as pg
    from PySide6.QtCore import QEvent, QPointF, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "gui"))
    from mouse_events import LEFT, NONE, send

    from nnviz.core.setup import DataSpec
    from nnviz.gui.main_window import MainWindow
    from nnviz.gui.settings_store import SettingsStore

    pg.setConfigOption("mouseRateLimit", -1)  # every move is handled, as the slowest case
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings_file = os.path.join(tempfile.mkdtemp(prefix="nnviz-bench-"), "nnviz.ini")
    window = MainWindow(store=SettingsStore(QSettings(settings_file, QSettings.Format.IniFormat)))
    window.resize(1360, 840)
    window.show()
    window.wait_for_sync()
    boundary, vp = window.boundary, window.boundary.viewport()
    boundary.scene().minDragTime = 0

    t0 = time.perf_counter()
    window.session.change_data_spec(DataSpec("spiral", n=args.points, noise=0.1))
    window.wait_for_sync(30.0)
    app.processEvents()
    print(f"# set-up: spiral, {len(window.data.X):,} training and {len(window.data.X_test):,} test points "
          f"in {time.perf_counter() - t0:.2f} s; {'paused' if args.paused else 'training'} "
          "during the actions",
          flush=True)

    def at(x: float, y: float) -> QPointF:
        return boundary.view_to_widget(x, y)

    def point(i: int) -> QPointF:
        return at(*window.data.X[i])

    def empty_spot() -> QPointF:
        # A corner of the plane, away from the spiral's arms.
        xmin, xmax, ymin, ymax = boundary.plane
        return at(xmin + 0.03 * (xmax - xmin), ymin + 0.03 * (ymax - ymin))

    def press(pos, button=LEFT):
        return lambda: send(vp, QEvent.Type.MouseButtonPress, pos(), button, button)

    def release(pos, button=LEFT):
        return lambda: send(vp, QEvent.Type.MouseButtonRelease, pos(), button, NONE)

    def move(pos, buttons=LEFT):
        return lambda: send(vp, QEvent.Type.MouseMove, pos(), NONE, buttons)

    n = len(window.data.X)
    dragged = n // 2 + 17
    start = {}

    def drag_to(k: int):
        def pos():
            a = start.setdefault("drag", window.data.X[dragged].copy())
            return at(a[0] + 0.05 * k, a[1] - 0.04 * k)
        return pos

    deleted = n // 3
    hover_path = [lambda i=i: point(i) for i in (10, n // 4, n // 2, 3 * n // 4, n - 5)]
    actions = [
        ("idle", [lambda: None] * 20),  # the baseline: what training alone costs the event loop
        ("hover", [move(p, NONE) for p in hover_path]),
        ("drag_press", [move(lambda: point(dragged), NONE), press(lambda: point(dragged))]),
        ("drag_moves", [move(drag_to(k)) for k in range(1, 9)]),
        ("drag_release", [release(drag_to(8))]),
        ("click_add", [move(empty_spot, NONE), press(empty_spot), release(empty_spot)]),
        ("right_click_delete", [move(lambda: point(deleted), NONE),
                                press(lambda: point(deleted), Qt.MouseButton.RightButton),
                                release(lambda: point(deleted), Qt.MouseButton.RightButton)]),
        ("click_select", [press(lambda: point(5)), release(lambda: point(5))]),
        ("dataset_switch", [lambda: window.attempt("Cannot make this data set",
                                                   window.session.change_data_spec,
                                                   replace(window.session.setup.data, name="moons"))]),
    ]

    ticks: list[float] = []
    ticker = QTimer()
    ticker.setInterval(1)
    cpu_ticks: list[float] = []  # the GUI thread's CPU time at each tick
    ticker.timeout.connect(lambda: (ticks.append(time.perf_counter()), cpu_ticks.append(time.thread_time())))
    spans: dict[str, tuple[float, float]] = {}
    step_cpu: dict[str, float] = {}  # the longest GUI-thread CPU time of one event's own handling
    plan = [(name, i, step) for name, steps in actions for i, step in enumerate(steps)]

    def run(k: int) -> None:
        if k == len(plan):
            QTimer.singleShot(SETTLE_MS, lambda: app.exit(0))  # quit() would close the window and ask to save
            return
        name, i, step = plan[k]
        now = time.perf_counter()
        if i == 0 and k > 0:
            prev = plan[k - 1][0]
            spans[prev] = (spans[prev][0], now)
        if i == 0:
            spans[name] = (now, now)
            print(f"# {name}...", file=sys.stderr, flush=True)
        cpu = time.thread_time()
        step()
        step_cpu[name] = max(step_cpu.get(name, 0.0), time.thread_time() - cpu)
        last = k + 1 == len(plan) or plan[k + 1][1] == 0
        QTimer.singleShot(SETTLE_MS if last else STEP_MS, lambda: run(k + 1))

    if not args.paused:
        window.set_playing(True)
    ticker.start()
    QTimer.singleShot(500, lambda: run(0))
    app.exec()
    end = time.perf_counter()
    ticker.stop()
    name = plan[-1][0]
    spans[name] = (spans[name][0], end)
    window.set_playing(False)

    t, cpu = np.array(ticks), np.array(cpu_ticks)
    worst = 0.0
    for name, (a, b) in spans.items():
        # The gap that contains the action's start counts too: from the tick before it.
        first, last = max(np.searchsorted(t, a) - 1, 0), np.searchsorted(t, b, side="right")
        gaps = np.diff(t[first:last])
        k = int(np.argmax(gaps))
        gap, gap_cpu = gaps[k] * 1000, (cpu[first + k + 1] - cpu[first + k]) * 1000
        if name != "idle":
            worst = max(worst, gap)
        print(f"action={name} longest_gap_ms={gap:.1f} gui_cpu_in_it_ms={gap_cpu:.1f} "
              f"longest_event_cpu_ms={step_cpu[name] * 1000:.1f}", flush=True)
    print(f"# {len(window.data.X):,} training points at the end", flush=True)
    window.close_without_asking()
    deadline = time.perf_counter() + 5
    while not window.threads_stopped() and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.01)
    print(f"worst_gap_ms={worst:.1f}", flush=True)


if __name__ == "__main__":
    main()
