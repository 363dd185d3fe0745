"""Resident memory of the real main window while it trains for a long time.

Each case trains as fast as it can in the real ``MainWindow`` (offscreen),
every view live, for the given time, in a process of its own.  Resident memory
is read at the 30th second (when start-up allocations are done; half the run
if it is shorter) and at the end.  Each case prints one line::

    case=<name> rss_start_mb=<f> rss_end_mb=<f> epochs=<n>

With ``--every S`` it also prints, every S seconds, ``t=<s> rss_mb=<f>
epochs=<n>``: whether memory still grows late in the run, or has levelled off.
With ``--tracemalloc`` it also prints the Python allocations (NumPy's arrays
included) that grew most between the start reading and the end, by line.

Target: growth (end - start) of at most 10 MB between the 30th second and
the 30th minute, for both cases.

    QT_QPA_PLATFORM=offscreen python benchmarks/soak.py [SECONDS] [--case xor|spiral|both]
                                                        [--every S] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc

CASES = ("xor", "spiral")
START_SECOND = 30.0


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def setup(name: str):
    from nnviz.core.setup import DataSpec, ModelSpec, Setup

    if name == "xor":
        return Setup()  # the tutorial's
    return Setup(ModelSpec(hidden=(8, 8)), DataSpec("spiral", n=400, noise=0.1))


def soak(name: str, seconds: float, every: float | None = None, trace: bool = False) -> str:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from nnviz.gui.main_window import MainWindow
    from nnviz.gui.settings_store import SettingsStore

    app = QApplication.instance() or QApplication(sys.argv[:1])
    # A settings file of its own: the window starts on this case's set-up and
    # the user's own settings are left alone.
    settings_file = os.path.join(tempfile.mkdtemp(prefix="nnviz-soak-"), "nnviz.ini")
    store = SettingsStore(QSettings(settings_file, QSettings.Format.IniFormat))
    store.save_setup(setup(name))
    window = MainWindow(store=store)
    window.resize(1360, 840)
    window.show()
    seen = {"epoch": 0}
    window.sigFrame.connect(lambda snap: seen.__setitem__("epoch", snap.epoch))
    result = {}

    if trace:
        tracemalloc.start()

    def start() -> None:
        result["rss_start_mb"] = rss_mb()
        if trace:
            result["trace_start"] = tracemalloc.take_snapshot()

    def stop() -> None:
        result["rss_end_mb"] = rss_mb()
        if trace:
            growth = tracemalloc.take_snapshot().compare_to(result["trace_start"], "lineno")
            for stat in growth[:8]:
                print(f"grew {stat.size_diff / 1e6:+.2f} MB in {stat.count_diff:+d} blocks "
                      f"at {stat.traceback}", flush=True)
        result["epochs"] = seen["epoch"]
        window.close_without_asking()  # closes once the training thread has ended
        app.exit(0)  # quit() would close the window too, asking to save first

    started = time.monotonic()

    def report() -> None:
        print(f"t={time.monotonic() - started:.0f} rss_mb={rss_mb():.1f} epochs={seen['epoch']}", flush=True)

    tracer = QTimer()
    tracer.timeout.connect(report)
    if every:
        tracer.start(int(every * 1000))
    window.set_playing(True)
    QTimer.singleShot(int(min(START_SECOND, seconds / 2) * 1000), start)
    QTimer.singleShot(int(seconds * 1000), stop)
    app.exec()
    tracer.stop()
    window.shutdown()  # the event loop has ended: wait for the training thread before the next case
    return (f"case={name} rss_start_mb={result['rss_start_mb']:.1f} rss_end_mb={result['rss_end_mb']:.1f} "
            f"epochs={result['epochs']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", nargs="?", type=float, default=60.0,
                        help="training time per case (default 60)")
    parser.add_argument("--case", choices=(*CASES, "both"), default="both")
    parser.add_argument("--every", type=float, metavar="S",
                        help="also print the resident memory every S seconds")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also print where Python allocations grew most (slows training)")
    args = parser.parse_args()
    if args.seconds <= 0:
        parser.error("seconds must be above 0")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.case != "both":
        print(soak(args.case, args.seconds, args.every, args.tracemalloc), flush=True)
        return
    for name in CASES:  # each in a fresh process, so one case's memory does not count in the other's
        extra = ["--every", str(args.every)] if args.every else []
        extra += ["--tracemalloc"] if args.tracemalloc else []
        subprocess.run([sys.executable, __file__, str(args.seconds), "--case", name, *extra], check=True)


if __name__ == "__main__":
    main()
