"""A randomized user: random actions on the real window, a fixed seed, every exception and Qt warning recorded.

The short run is part of ``make test``.  After any change to how the session
keeps its state, run it longer by hand, with other seeds:

    NNVIZ_RANDOM_UI_SECONDS=600 NNVIZ_RANDOM_UI_SEED=7 make test  # or pytest tests/gui/test_random_ui.py

Exceptions raised in slots and event handlers are caught by pytest-qt and
fail the test; Qt warnings fail it too (``qt_log_level_fail``).  Dialogs the
window asks through ``Dialogs`` answer at once (the ``dialogs`` fixture);
any other modal window is closed by a timer as soon as it opens.  Every few
actions the test waits for the worker to catch up and checks that every view
shows the session's state.
"""

from __future__ import annotations

import os
import random
import time

import numpy as np
import pytest
from mouse_events import LEFT, NONE, send
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

SECONDS = float(os.environ.get("NNVIZ_RANDOM_UI_SECONDS", "30"))
SEED = int(os.environ.get("NNVIZ_RANDOM_UI_SEED", "20261127"))

KEYS = [Qt.Key.Key_Space, Qt.Key.Key_S, Qt.Key.Key_Right, Qt.Key.Key_R, Qt.Key.Key_N, Qt.Key.Key_BracketLeft,
        Qt.Key.Key_BracketRight, Qt.Key.Key_L, Qt.Key.Key_U, Qt.Key.Key_F, Qt.Key.Key_Delete,
        # the class a click adds; the diagram's modes and step animation; the hidden space's next pair
        Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_8, Qt.Key.Key_W, Qt.Key.Key_G, Qt.Key.Key_D,
        Qt.Key.Key_A, Qt.Key.Key_P]
# Actions a user may trigger from the menus; Quit ends the session, so it is left to the end.
SKIPPED_ACTIONS = {"quit"}


class RandomUser:
    def __init__(self, qtbot, window, dialogs, rng: random.Random, tmp_path) -> None:
        self.qtbot, self.window, self.dialogs, self.rng, self.tmp = qtbot, window, dialogs, rng, tmp_path
        self.log: list[str] = []

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    # -- actions ------------------------------------------------------------------------
    def menu_action(self) -> None:
        names = sorted(n for n in self.window.actions if n not in SKIPPED_ACTIONS)
        name = self.pick(names)
        if name in ("save", "save_as", "export_points", "export_loss") or name.startswith("export_png"):
            self.dialogs.paths = [str(self.tmp / f"out-{self.rng.randrange(3)}")] if self.rng.random() < 0.7 else []
        elif name in ("open", "import_points"):
            existing = sorted(str(p) for p in self.tmp.iterdir()) if self.tmp.exists() else []
            self.dialogs.paths = [self.pick(existing)] if existing and self.rng.random() < 0.8 else []
        self.dialogs.save_answer = self.pick(["save", "discard", "cancel"])
        self.log.append(f"action {name}")
        self.window.actions[name].trigger()

    def key(self) -> None:
        key = self.pick(KEYS)
        modifiers = Qt.KeyboardModifier.NoModifier
        self.log.append(f"key {key.name}")
        QTest.keyClick(self.window, key, modifiers)

    def undo_redo(self) -> None:
        which = self.pick([self.window.undo_action, self.window.redo_action])
        self.log.append(f"{which.text()}")
        which.trigger()

    def spin_box(self) -> None:
        controls = self.window.controls
        boxes = [b for b in controls.findChildren(QSpinBox) + controls.findChildren(QDoubleSpinBox) if b.isEnabled()]
        if not boxes:
            return
        box = self.pick(boxes)
        top = box.maximum()
        if box is self.window.controls.samples:
            # 100,000 points under a 8x64 network makes every step take seconds: that is a matter of
            # speed (measured in benchmarks/), not of state, and would only slow this test down.
            top = 3000
        value = self.pick([box.minimum(), top, box.minimum() + (top - box.minimum()) * self.rng.random() ** 4])
        text = box.textFromValue(value)
        self.log.append(f"type {text!r} into {box.toolTip()[:30]!r}")
        box.setFocus()
        box.lineEdit().selectAll()
        QTest.keyClicks(box, text)
        QTest.keyClick(box, Qt.Key.Key_Return)

    def combo(self) -> None:
        boxes = [b for b in self.window.controls.findChildren(QComboBox) if b.isEnabled()]
        box = self.pick(boxes)
        index = self.rng.randrange(box.count())
        if not box.model().item(index).isEnabled():
            return
        self.log.append(f"choose {box.itemData(index)!r}")
        box.setCurrentIndex(index)

    def checkbox(self) -> None:
        boxes = [b for b in self.window.controls.findChildren(QCheckBox) if b.isEnabled() and b.isVisible()]
        if boxes:
            box = self.pick(boxes)
            self.log.append(f"tick {box.text()!r}")
            box.click()

    def inside(self) -> None:
        """The Hidden space and Loss landscape panels' own controls, and the lessons."""
        learning = self.window.learning
        choice = self.rng.random()
        if choice < 0.3:
            combo = self.pick([learning.hidden_space.layer_combo, learning.hidden_space.mode_combo,
                               learning.landscape.directions_combo, learning.landscape.resolution_combo])
            if combo.isEnabled() and combo.count():
                index = self.rng.randrange(combo.count())
                self.log.append(f"panel choose {combo.itemText(index)!r}")
                combo.setCurrentIndex(index)
        elif choice < 0.6:
            self.log.append("landscape compute")
            learning.landscape.compute()
        elif choice < 0.75:
            self.log.append("landscape cancel")
            learning.landscape.cancel()
        else:
            lessons = self.window.lessons
            index = self.rng.randrange(len(lessons.lessons))
            self.dialogs.save_answer = self.pick(["save", "discard", "cancel"])
            self.log.append(f"open lesson {index}")
            lessons.open_lesson(index)

    def layers(self) -> None:
        editor = self.window.controls.hidden
        button = self.pick([editor.add_button, editor.remove_button])
        if button.isEnabled():
            self.log.append(f"layers {button.text()}")
            button.click()

    def _plane_point(self) -> QPointF:
        boundary = self.window.boundary
        data = self.window.data
        if self.rng.random() < 0.6 and len(data.X):
            x, y = data.X[self.rng.randrange(len(data.X))]
        else:
            xmin, xmax, ymin, ymax = boundary.plane
            x, y = self.rng.uniform(xmin, xmax), self.rng.uniform(ymin, ymax)
        return boundary.view_to_widget(float(x), float(y))

    def drag(self) -> None:
        boundary = self.window.boundary
        boundary.scene().minDragTime = 0
        vp = boundary.viewport()
        start = self._plane_point()
        self.log.append("drag")
        send(vp, QEvent.Type.MouseButtonPress, start)
        pos = start
        for _ in range(self.rng.randrange(1, 8)):
            pos = pos + QPointF(self.rng.uniform(-30, 30), self.rng.uniform(-30, 30))
            send(vp, QEvent.Type.MouseMove, pos, NONE, LEFT)
            if self.rng.random() < 0.15:
                self.pick([self.combo, self.menu_action, self.key, self.layers])()  # something else mid-drag
            self.qtbot.wait(self.rng.randrange(0, 20))
        send(vp, QEvent.Type.MouseButtonRelease, pos, LEFT, NONE)

    def click_plane(self) -> None:
        boundary = self.window.boundary
        vp = boundary.viewport()
        pos = self._plane_point()
        button = self.pick([Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton])
        modifiers = self.pick([Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier])
        self.log.append(f"click {button.name}")
        send(vp, QEvent.Type.MouseButtonPress, pos, button, button, modifiers)
        send(vp, QEvent.Type.MouseButtonRelease, pos, button, NONE, modifiers)
        if self.rng.random() < 0.3:
            send(vp, QEvent.Type.MouseButtonDblClick, pos, button, button, modifiers)
            send(vp, QEvent.Type.MouseButtonRelease, pos, button, NONE, modifiers)

    def diagram(self) -> None:
        diagram = self.window.diagram
        pos = QPointF(self.rng.uniform(0, diagram.width()), self.rng.uniform(0, diagram.height()))
        send(diagram, QEvent.Type.MouseMove, pos, NONE, NONE)
        if self.rng.random() < 0.4:
            self.dialogs.numbers = [self.pick([0.0, 1e6, -1e6, 2.5, self.rng.uniform(-5, 5)])]
            self.log.append("edit a weight")
            send(diagram, QEvent.Type.MouseButtonPress, pos)
            send(diagram, QEvent.Type.MouseButtonRelease, pos, buttons=NONE)

    def panel(self) -> None:
        dock = self.pick(list(self.window.learning.docks.values()))
        self.log.append(f"toggle {dock.windowTitle()}")
        dock.setVisible(not dock.isVisible())

    def history(self) -> None:
        history = self.window.learning.history
        if history.history is None or len(history.history) == 0:
            return
        choice = self.rng.random()
        if choice < 0.6:
            self.log.append("scrub")
            history.slider.setValue(self.rng.randrange(history.slider.maximum() + 1))
        elif choice < 0.8 and history.resume_button.isEnabled():
            self.log.append("resume")
            history.resume_button.click()
        elif history.live_button.isEnabled():
            self.log.append("live")
            history.live_button.click()

    def compare(self) -> None:
        compare = self.window.learning.compare
        if compare.training and self.rng.random() < 0.5:
            self.log.append("compare stop")
            compare.stop()
            return
        self.log.append("compare sweep")
        for spin in (compare.lr_epochs, compare.hidden_epochs, compare.other_epochs):
            spin.setValue(self.rng.randrange(20, 200))
        self.pick([compare.run_lr_sweep, compare.run_hidden_sweep, compare.add_current])()

    def wait(self) -> None:
        self.qtbot.wait(self.rng.randrange(0, 60))

    # -- checks ---------------------------------------------------------------------------
    def check_consistent(self) -> None:
        w = self.window
        session = w.session
        playing = session.playing
        if playing:
            w.set_playing(False)
        snap = session.latest
        assert w.wait_for_sync(20.0), (
            f"the worker never caught up (or the window keeps sending it commands): sent "
            f"{session.commands_sent}; latest snapshot: run {snap.run} of {session.run}, applied "
            f"{snap.commands_applied}, running {snap.running}")
        snap = session.latest
        assert snap.run == session.run
        assert snap.data is session.data, "the worker trains on other points than the session's"
        assert w.boundary.data is session.data, "the boundary shows other points than the session's"
        assert snap.network.layers == session.setup.model.layers
        controls = w.controls
        assert controls.dataset.currentData() == session.setup.data.name
        assert controls.hidden.value() == session.setup.model.hidden
        assert controls.lr.value() == pytest.approx(session.setup.settings.lr)
        assert snap.settings.lr == session.setup.settings.lr
        assert snap.settings.optimizer == session.setup.settings.optimizer
        shown = session.shown()
        # A pause one epoch after the last frame (slow motion) may play the step animation, which
        # shows the network before the step until it ends (or a key skips it).
        self.qtbot.waitUntil(lambda: w.diagram.network is not None and not w.diagram.animating, timeout=10000)
        assert np.array_equal(w.diagram.network.params, shown.network.params, equal_nan=True), \
            "the diagram shows another network than the session says"
        if playing and self.rng.random() < 0.7:
            w.set_playing(True)


def _close_modal_windows() -> None:
    widget = QApplication.activeModalWidget()
    if widget is not None:
        widget.close()


@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.qt_log_ignore("This plugin does not support", "QFont::setPointSize")
def test_random_use_never_breaks_the_window(qtbot, window, dialogs, tmp_path):
    rng = random.Random(SEED)
    user = RandomUser(qtbot, window, dialogs, rng, tmp_path)
    closer = QTimer()
    closer.timeout.connect(_close_modal_windows)
    closer.start(50)
    moves = [(user.menu_action, 8), (user.key, 14), (user.undo_redo, 4), (user.spin_box, 8), (user.combo, 6),
             (user.layers, 3), (user.drag, 10), (user.click_plane, 8), (user.diagram, 5), (user.panel, 4),
             (user.history, 6), (user.compare, 1), (user.wait, 8), (user.checkbox, 3), (user.inside, 3)]
    actions, weights = zip(*moves)
    window.set_playing(True)
    deadline = time.monotonic() + SECONDS
    count = 0
    try:
        while time.monotonic() < deadline:
            rng.choices(actions, weights)[0]()
            count += 1
            if count % 25 == 0:
                user.check_consistent()
        user.check_consistent()
    except BaseException:
        print("last actions:", *user.log[-30:], sep="\n  ")
        raise
    finally:
        closer.stop()
        window.learning.compare.stop()
    assert count > 50
