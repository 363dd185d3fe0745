"""Checks shared by every test.

``_dangling_threads`` fails any test that leaves a QThread or a Python thread
running (the idea of napari's ``_dangling_qthreads``): a window closed with
its training thread still alive is exactly the bug behind "QThread:
Destroyed while thread is still running" at exit.  Qt is only touched when a
test has already imported it, so core tests stay Qt-free.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
import weakref

import pytest


@pytest.fixture(autouse=True)
def _dangling_threads(monkeypatch):
    before = set(threading.enumerate())
    started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is not None:
        original_start = qtcore.QThread.start

        def start_and_remember(self, *args):
            # Where the thread was started, for the failure message.
            started[self] = "".join(traceback.format_stack(limit=6)[:-1])
            return original_start(self, *args)

        monkeypatch.setattr(qtcore.QThread, "start", start_and_remember)
    yield
    problems = []
    for thread, where in list(started.items()):
        try:
            running = thread.isRunning()
        except RuntimeError:  # the C++ object is gone: it cannot be running
            continue
        if running:
            problems.append(f"QThread {type(thread).__name__} still running; started at:\n{where}")
            thread.quit()
            thread.wait(2000)
    deadline = time.monotonic() + 1.0
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    problems += [f"Python thread {t.name!r} still running" for t in extra]
    if problems:
        pytest.fail("a test left threads running:\n" + "\n".join(problems), pytrace=False)
