"""Bugs that came from the session's state living in several places, each driven as a user meets it.

Every test lets the event loop run (waits for frames) before it asserts: the
History bug was a view overwritten by the next snapshot, one frame later.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import imageio.v3 as iio
import numpy as np
import pytest
from mouse_events import LEFT, NONE, send
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtTest import QTest

from nnviz.core import datasets, weights_file
from nnviz.core.network import Network
from nnviz.core.plane import PlaneSampler
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui import jobs
from nnviz.gui.animation_export import ExportDialog


def train_epochs(qtbot, window, epochs):
    """Play at full speed until at least ``epochs`` epochs are trained, then pause."""
    window.actions["play"].trigger()
    qtbot.waitUntil(lambda: window.latest is not None and window.latest.epoch >= epochs, timeout=10000)
    window.actions["play"].trigger()
    assert window.wait_for_sync()


def test_the_history_slider_keeps_showing_the_past(qtbot, window):
    train_epochs(qtbot, window, 2000)
    live = window.latest
    QTest.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.learning.docks["history"].isVisible())
    window.learning.docks["inspector"].show()
    history = window.learning.history
    history.flush()
    slider = history.slider
    slider.setFocus()
    for _ in range(5):  # the user drags the slider back, one notch at a time
        QTest.keyClick(slider, Qt.Key.Key_PageDown)
    index = slider.value()
    assert index < slider.maximum()
    past_epoch = history.history.epoch(index)
    past_params = history.history.params(index)
    assert past_epoch < live.epoch
    qtbot.wait(500)  # thirty frames' worth of event loop: the past must still be shown
    np.testing.assert_array_equal(window.diagram.network.params, past_params)
    net = Network.initialised([2, 4, 1], seed=42)
    net.params[:] = past_params
    expected = PlaneSampler().image(net, window.boundary.bounds)
    np.testing.assert_array_equal(window.boundary.image.image, expected)
    qtbot.waitUntil(lambda: window.learning.inspector.state is not None
                    and window.learning.inspector.state.epoch == past_epoch)
    assert "(history)" in window.status_labels["epoch"].text()
    # Play returns to the present.
    window.actions["play"].trigger()
    qtbot.waitUntil(lambda: window.latest.epoch > live.epoch + 10, timeout=5000)
    qtbot.wait(100)
    window.actions["play"].trigger()
    assert window.wait_for_sync()
    np.testing.assert_array_equal(window.diagram.network.params, window.latest.network.params)
    assert slider.value() == slider.maximum()


def run_nnviz(*args, timeout=60):
    # A settings folder of its own: a window that opens must not write the user's settings.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=tempfile.mkdtemp(prefix="nnviz-test-"))
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nnviz", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)
    return done, time.perf_counter() - t


def test_an_absurd_quit_after_is_refused_before_the_window_opens():
    done, _ = run_nnviz("gui", "--quit-after", "1e308")
    assert done.returncode == 2
    assert done.stderr.startswith("nnviz: error: ") and done.stderr.count("\n") == 1
    assert "quit-after" in done.stderr


def test_points_the_window_cannot_show_are_refused_and_the_window_opens_without_them(tmp_path):
    path = tmp_path / "far.csv"
    path.write_text("x1,x2,label\n0,0,0\n1e308,-1e308,1\n")
    shot = tmp_path / "window.png"
    done, _ = run_nnviz("gui", "--dataset", str(path), "--quit-after", "1", "--screenshot", str(shot))
    assert done.returncode == 2
    said = [line for line in done.stderr.splitlines() if "This plugin does not support" not in line]
    assert len(said) == 1 and "far.csv" in said[0] and "coordinates must be between" in said[0]
    assert shot.exists()  # the window opened (on its usual set-up) to show the error


def test_an_exception_in_a_paint_event_is_reported_and_the_app_goes_on(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text(
        "import sys\n"
        "from nnviz.gui import diagram_view\n"
        "def broken(self, event):\n"
        "    raise ZeroDivisionError('a bug in a paint event')\n"
        "diagram_view.DiagramView.paintEvent = broken\n"
        "from nnviz.gui.app import run\n"
        "sys.exit(run(autostart=True, quit_after=1.5))\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ZeroDivisionError: a bug in a paint event" in done.stderr
    assert "QThread: Destroyed" not in done.stderr


def test_quitting_in_the_middle_of_a_long_epoch_is_clean_and_quick(tmp_path):
    # 8 hidden layers of 64 units, 100,000 points, batch size 1: one epoch takes many seconds.
    path = tmp_path / "big.npz"
    network = Network.initialised([2] + [64] * 8 + [1], seed=1)
    data = datasets.generate("spiral", 100_000, 0.1, 0, 0.0)
    weights_file.save(path, network, 0, data, TrainSettings(batch_size=1))
    done, elapsed = run_nnviz("gui", str(path), "--autostart", "--quit-after", "3", timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "QThread: Destroyed" not in done.stderr
    assert elapsed < 3 + 15  # start-up and loading are most of the rest; stopping takes under a second


def test_switching_the_data_set_during_a_drag_ends_the_drag(qtbot, window, dialogs):
    combo = window.controls.dataset
    combo.setCurrentIndex(combo.findData("spiral"))
    assert window.wait_for_sync()
    spiral = window.data
    boundary = window.boundary
    boundary.scene().minDragTime = 0
    x, y = spiral.X[150]
    start = boundary.view_to_widget(x, y)
    vp = boundary.viewport()
    send(vp, QEvent.Type.MouseButtonPress, start)
    for i in range(1, 4):
        send(vp, QEvent.Type.MouseMove, start + QPointF(4 * i, 0), NONE, LEFT)
        qtbot.wait(20)
    combo.setCurrentIndex(combo.findData("xor"))  # the mouse is still down
    for i in range(4, 10):
        send(vp, QEvent.Type.MouseMove, start + QPointF(4 * i, 0), NONE, LEFT)
        qtbot.wait(20)
    send(vp, QEvent.Type.MouseButtonRelease, start + QPointF(40, 0), LEFT, NONE)
    assert window.wait_for_sync()
    np.testing.assert_array_equal(window.latest.data.X, datasets.xor().X)
    window.undo_action.trigger()  # nothing of the spiral may come back
    assert window.wait_for_sync()
    assert len(window.latest.data.X) == 4 and len(window.data.X) == 4
    assert combo.currentData() == "xor"


def test_a_network_change_under_a_resting_mouse_keeps_the_diagram_drawn(qtbot, window):
    hidden = window.controls.hidden
    hidden._boxes[0].setValue(8)
    assert window.wait_for_sync()
    diagram = window.diagram
    diagram._layout()
    a, b = diagram.nodes[0][1], diagram.nodes[1][7]  # x2 -> h1.8
    pos = QPointF(*(0.75 * a + 0.25 * b))
    send(diagram, QEvent.Type.MouseMove, pos, NONE, NONE)
    assert diagram.hovered == ("edge", 0, 1, 7)
    box = hidden._boxes[0]
    box.setFocus()
    QTest.keyClick(box, Qt.Key.Key_Down)  # 7 units: h1.8 is gone while the mouse rests there
    assert window.wait_for_sync()
    qtbot.wait(100)
    assert window.latest.network.layers == [2, 7, 1]
    assert diagram.network.layers == [2, 7, 1]
    assert diagram.hovered is None
    assert not diagram.grab().isNull()  # paints without raising


def test_an_import_the_window_cannot_show_changes_nothing(qtbot, window, dialogs, tmp_path):
    train_epochs(qtbot, window, 100)
    before = window.latest
    path = tmp_path / "far.csv"
    path.write_text("x1,x2,label\n0,0,0\n1e308,-1e308,1\n")
    dialogs.paths = [str(path)]
    window.actions["import_points"].trigger()
    assert dialogs.errors and "coordinates must be between" in dialogs.errors[-1][1]
    assert window.wait_for_sync()
    qtbot.wait(100)
    np.testing.assert_array_equal(window.latest.data.X, datasets.xor().X)
    assert window.latest.epoch == before.epoch
    np.testing.assert_array_equal(window.latest.network.params, before.network.params)
    assert window.controls.dataset.currentData() == "xor"


def test_a_setting_from_a_file_outside_a_widgets_old_range_is_kept(qtbot, window, dialogs, tmp_path):
    path = tmp_path / "small-lr.npz"
    weights_file.save(path, Network.initialised([2, 4, 1], seed=42), 0, datasets.xor(),
                      TrainSettings(lr=1e-5))
    dialogs.paths = [str(path)]
    window.actions["open"].trigger()
    assert window.wait_for_sync()
    assert window.controls.lr.text() == "1e-05"
    l2 = window.controls.l2
    l2.setFocus()
    l2.lineEdit().selectAll()
    QTest.keyClicks(l2, "0.01")
    QTest.keyClick(l2, Qt.Key.Key_Return)
    assert window.wait_for_sync()
    assert window.latest.settings.l2 == 0.01
    assert window.latest.settings.lr == 1e-5  # not rounded to what the old box could show


def test_the_history_records_the_loss_of_each_snapshots_own_weights(qtbot, window):
    for _ in range(3):
        window.actions["step"].trigger()
        assert window.wait_for_sync()
    history = window.learning.history.history
    trainer = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings())
    expected = []
    for _ in range(4):
        expected.append(trainer.network.loss_value(trainer.data.X, trainer.data.y))
        trainer.run(1)
    np.testing.assert_allclose(history.losses, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("lr", [1e-11, 2e3])
def test_a_typed_learning_rate_out_of_range_is_refused_and_shown_back(qtbot, window, dialogs, lr):
    box = window.controls.lr
    box.setFocus()
    box.lineEdit().selectAll()
    QTest.keyClicks(box, f"{lr:g}")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert window.wait_for_sync()
    assert window.latest.settings.lr == 1.0
    assert box.value() == 1.0


def start_window_export(qtbot, window, path, frames):
    train_epochs(qtbot, window, 3000)
    window.learning.docks["history"].show()
    history = window.learning.history
    history.flush()
    qtbot.mouseClick(history.export_button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(ExportDialog)
    dialog.path.setText(str(path))
    dialog.frames.setValue(frames)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress_bar.value() >= 1, timeout=20_000)
    return dialog


@pytest.mark.parametrize("answer", ["discard", "finish", "cancel"])
def test_quitting_during_an_export_asks_and_does_what_was_chosen(qtbot, window, dialogs, tmp_path, answer):
    target = tmp_path / "exports" / "training.gif"
    target.parent.mkdir()
    dialog = start_window_export(qtbot, window, target, 400)
    job = dialog.job
    dialogs.running_answer = answer
    window.close_without_asking()
    assert dialogs.running_questions and "Exporting animation" in dialogs.running_questions[-1]
    if answer == "cancel":
        qtbot.wait(200)
        assert window.isVisible() and job.running
        job.cancel()
        qtbot.waitUntil(lambda: not job.running, timeout=5000)
        return
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=60_000 if answer == "finish" else 1500)
    assert not jobs.registry().running() and not window.worker.isRunning()
    if answer == "finish":
        assert len(list(iio.imiter(str(target), plugin="pillow"))) == 400
    else:
        assert list(target.parent.iterdir()) == []  # nothing half-written is left
