"""Fixtures for the window's tests: an isolated settings file, dialogs that answer at once, a window."""

from __future__ import annotations

import gc
import os

# Headless unless asked otherwise (make test sets it too); read when the QApplication is made.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings

from nnviz.gui.settings_store import SettingsStore

# pyqtgraph turns quick synthetic drags into clicks and drops mouse moves that
# come faster than its rate limit; tests send real QMouseEvents at full speed.
pg.setConfigOption("mouseRateLimit", -1)


@pytest.fixture(autouse=True, scope="session")
def _private_settings(tmp_path_factory):
    """No test reads or writes the user's own nnviz settings."""
    directory = str(tmp_path_factory.mktemp("qsettings"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, directory)


class FakeDialogs:
    """Stands in for ``nnviz.gui.dialogs.Dialogs``: answers from queues, records what was shown."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.infos: list[tuple[str, str]] = []
        self.questions: list[str] = []
        self.save_answer = "discard"
        self.paths: list[str | None] = []
        self.numbers: list[float | None] = []
        self.running_questions: list[str] = []
        self.running_answer = "discard"

    def error(self, parent, title, text):
        self.errors.append((title, text))

    def info(self, parent, title, text):
        self.infos.append((title, text))

    def ask_running(self, parent, text):
        self.running_questions.append(text)
        return self.running_answer

    def ask_save(self, parent, text):
        self.questions.append(text)
        return self.save_answer

    def open_path(self, parent, title, directory, filters):
        return self.paths.pop(0) if self.paths else None

    save_path = open_path

    def get_number(self, parent, title, label, value):
        return self.numbers.pop(0) if self.numbers else None


@pytest.fixture
def dialogs():
    return FakeDialogs()


@pytest.fixture
def store(tmp_path):
    return SettingsStore(QSettings(str(tmp_path / "nnviz.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot, store, dialogs):
    from nnviz.gui.main_window import MainWindow

    # Not given to qtbot.addWidget: pytest-qt would close and delete it before this
    # fixture's teardown, while its training thread may still be finishing.
    w = MainWindow(store=store, dialogs=dialogs)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    assert w.wait_for_sync()
    yield w
    w.close_without_asking()
    qtbot.waitUntil(w.threads_stopped, timeout=2000)
    w.deleteLater()
    qtbot.wait(1)


@pytest.fixture(autouse=True)
def _garbage_collected_in_the_gui_thread():
    """Collect cycles only here, in the GUI thread (as the window's own collector does).

    Otherwise a worker thread's allocation can trigger a collection that
    destroys an earlier test's Qt objects off the GUI thread, which deadlocked
    the suite once (the worker in QObject::~QObject, the GUI thread on Qt's mutex).
    """
    enabled = gc.isenabled()
    gc.disable()
    gc.collect()
    yield
    gc.collect()
    if enabled:
        gc.enable()
