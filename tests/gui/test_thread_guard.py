"""The guard in tests/conftest.py really fails a test that leaves a thread running."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["pytester"]

LEAKY_TEST = '''
import time
from PySide6.QtCore import QThread

class Sleeper(QThread):
    def run(self):
        time.sleep(0.5)

kept = []

def test_leaves_a_thread_running(qapp):
    thread = Sleeper()
    kept.append(thread)
    thread.start()
'''


def test_a_test_leaving_a_qthread_running_fails(pytester, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    pytester.makeconftest((Path(__file__).parents[1] / "conftest.py").read_text())
    pytester.makeini("[pytest]\nqt_api = pyside6\n")
    pytester.makepyfile(test_leaky=LEAKY_TEST)
    result = pytester.runpytest_subprocess("-q", timeout=120)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*a test left threads running*", "*QThread Sleeper still running*"])
