"""The window with real numbers: what it shows equals what the core computes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.setup import Setup
from nnviz.core.trainer import Trainer, TrainSettings


def tutorial_trainer() -> Trainer:
    return Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=1.0))


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, key, modifier)


def test_opens_on_the_tutorials_xor_setup(window):
    assert window.setup == Setup()
    snap = window.latest
    assert snap.epoch == 0
    assert snap.network.layers == [2, 4, 1]
    np.testing.assert_array_equal(snap.network.params, tutorial_trainer().network.params)
    np.testing.assert_array_equal(window.data.X, datasets.xor().X)
    assert window.status_labels["epoch"].text() == "epoch 0"


def test_stepping_with_the_keyboard_matches_the_core(qtbot, window):
    for _ in range(5):
        press(qtbot, window, Qt.Key.Key_S)
    press(qtbot, window, Qt.Key.Key_Right)
    assert window.wait_for_sync()
    core = tutorial_trainer()
    losses = core.run(6)
    snap = window.latest
    assert snap.epoch == 6
    np.testing.assert_array_equal(snap.network.params, core.network.params)
    np.testing.assert_array_equal(window.loss_view.history.train, losses)
    assert window.status_labels["epoch"].text() == "epoch 6"
    assert window.status_labels["loss"].text() == f"loss {losses[-1]:.6f}"


def test_play_then_pause_reaches_the_tutorials_loss(qtbot, window):
    press(qtbot, window, Qt.Key.Key_Space)
    assert window.playing
    qtbot.waitUntil(lambda: window.latest.epoch >= 2000, timeout=10000)
    press(qtbot, window, Qt.Key.Key_Space)
    assert not window.playing
    assert window.wait_for_sync()
    epoch = window.latest.epoch
    core = tutorial_trainer()
    losses = core.run(epoch)
    assert losses[999] == pytest.approx(0.2036439287, abs=1e-9)
    np.testing.assert_array_equal(window.loss_view.history.train, losses)
    np.testing.assert_array_equal(window.latest.network.params, core.network.params)
    assert window.latest.accuracy == 1.0  # solved by epoch 2000, as in the tutorial
    qtbot.wait(100)
    assert window.latest.epoch == epoch  # paused means paused


def test_reset_returns_to_the_same_initial_weights(qtbot, window):
    window.session.step(50)
    qtbot.waitUntil(lambda: window.latest.epoch == 50, timeout=5000)
    press(qtbot, window, Qt.Key.Key_R)
    assert window.wait_for_sync()
    assert window.latest.epoch == 0
    # The curve starts again, at the loss the initial weights have: the tutorial's epoch-0 loss.
    qtbot.waitUntil(lambda: len(window.loss_view.history) == 1)
    assert window.loss_view.history.train[0] == pytest.approx(0.2556753002, abs=1e-9)
    np.testing.assert_array_equal(window.latest.network.params, tutorial_trainer().network.params)


def test_new_seed_draws_new_weights_and_says_so(qtbot, window):
    before = window.latest.network.params.copy()
    window.actions["new_seed"].trigger()
    assert window.wait_for_sync()
    assert window.setup.model.seed != 42
    assert window.controls.seed.value() == window.setup.model.seed
    assert not np.array_equal(window.latest.network.params, before)
    assert "seed" in window.statusBar().currentMessage().lower()


def test_learning_rate_change_mid_run_continues_from_the_current_weights(qtbot, window):
    window.set_playing(True)
    qtbot.waitUntil(lambda: window.latest.epoch > 500, timeout=5000)
    window.controls.lr.setValue(3.0)
    qtbot.waitUntil(lambda: window.latest.settings.lr == 3.0, timeout=5000)
    epoch_at_change = window.latest.epoch
    qtbot.waitUntil(lambda: window.latest.epoch > epoch_at_change + 100, timeout=5000)
    window.set_playing(False)
    assert window.wait_for_sync()
    # No reset: one continuous history, and the new rate is in use.
    assert window.loss_view.offset == 0
    assert len(window.loss_view.history) == window.latest.epoch
    assert window.setup.settings.lr == 3.0


def test_architecture_change_resets_the_weights_and_says_so(qtbot, window):
    window.session.step(20)
    qtbot.waitUntil(lambda: window.latest.epoch == 20, timeout=5000)
    window.controls.hidden.add_button.click()
    assert window.wait_for_sync()
    assert window.latest.network.layers == [2, 4, 4, 1]
    assert window.latest.epoch == 0
    assert "reset" in window.statusBar().currentMessage()


def test_changing_the_data_set_trains_on_it(qtbot, window):
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("moons"))
    assert window.wait_for_sync()
    assert window.latest.data.name == "moons"
    assert len(window.latest.data.X) == 160 and window.latest.data.has_test
    window.session.step(3)
    qtbot.waitUntil(lambda: window.latest.epoch == 3, timeout=5000)
    assert window.wait_for_sync()
    assert window.loss_view._has_test  # the test loss is drawn too
    assert not np.isnan(window.loss_view.history.test).any()


def test_a_bad_learning_rate_cannot_be_entered(window):
    window.controls.lr.setValue(-1)
    assert window.controls.lr.value() > 0  # the spin box itself refuses


def test_add_panel_feeds_visible_panels_every_frame(qtbot, window):
    class Panel(QWidget):
        def __init__(self):
            super().__init__()
            self.states = []

        def set_state(self, network, data, settings, epoch, optimizer=None, rng_state=None):
            self.states.append((network.params.copy(), len(data.X), settings.lr, epoch))

    panel = Panel()
    dock = window.add_panel("Test panel", panel)
    toggle = dock.toggleViewAction()
    assert toggle in window.view_menu.actions()
    qtbot.waitUntil(lambda: len(panel.states) > 0, timeout=2000)
    window.session.step(2)
    qtbot.waitUntil(lambda: panel.states[-1][3] == 2, timeout=5000)
    np.testing.assert_array_equal(panel.states[-1][0], window.latest.network.params)
    toggle.trigger()  # hide it: no more updates
    assert not dock.isVisible()
    count = len(panel.states)
    window.session.step(2)
    qtbot.waitUntil(lambda: window.latest.epoch == 4, timeout=5000)
    assert len(panel.states) == count


def test_closing_while_training_stops_the_thread_within_a_second(qtbot, window):
    window.set_playing(True)
    qtbot.waitUntil(lambda: window.latest.epoch > 100, timeout=5000)
    window.session.set_modified(False)
    window.close()  # asks the worker to stop and returns: the window closes once it has ended
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=1000)
    assert not window.worker.isRunning()


def test_geometry_and_settings_persist(qtbot, store, dialogs):
    from nnviz.gui.main_window import MainWindow

    first = MainWindow(store=store, dialogs=dialogs)
    qtbot.addWidget(first)
    first.show()
    # Within the offscreen screen (800x800): restoring clamps to it.  Above the window's
    # least height (the main views' minimums, and the docked panels' though they are hidden).
    first.resize(700, 640)
    first.controls.lr.setValue(0.5)
    first.controls.set_speed_index(3)
    first.log_scale_action.trigger()
    first.diagram.mode_actions["gradients"].trigger()  # View > Diagram: Gradients
    first.diagram.animate_action.trigger()  # and each Step animated
    first.close_without_asking()
    qtbot.waitUntil(first.threads_stopped, timeout=2000)
    second = MainWindow(store=store, dialogs=dialogs)
    qtbot.addWidget(second)
    second.show()
    try:
        assert (second.width(), second.height()) == (700, 640)
        assert second.setup.settings.lr == 0.5
        assert second.controls.lr.value() == 0.5
        assert second.controls.speed.value() == 3
        assert not second.loss_view.log_scale
        assert second.diagram.mode == "gradients" and second.diagram.mode_actions["gradients"].isChecked()
        assert second.diagram.animate_steps and second.diagram.animate_action.isChecked()
    finally:
        second.close_without_asking()
        qtbot.waitUntil(second.threads_stopped, timeout=2000)


def test_every_control_and_action_explains_itself(window):
    from PySide6.QtWidgets import QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox

    kinds = (QAbstractSpinBox, QComboBox, QAbstractSlider, QAbstractButton)
    controls = [w for w in window.controls.findChildren(QWidget) if isinstance(w, kinds) and w.isVisibleTo(window)]
    assert len(controls) > 15
    silent = [w for w in controls if not (w.toolTip() or (hasattr(w, "defaultAction") and w.defaultAction()
                                                             and w.defaultAction().toolTip()))]
    assert silent == []
    for name, action in window.actions.items():
        assert action.toolTip(), name
    # Platform-standard keys for the standard actions.
    from PySide6.QtGui import QKeySequence

    assert window.actions["open"].shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert window.actions["save"].shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert QKeySequence("Ctrl+Shift+Z") in window.redo_action.shortcuts()


def test_recent_files_menu_lists_saved_files(qtbot, window, dialogs, tmp_path):
    path = str(tmp_path / "recent.npz")
    dialogs.paths = [path]
    assert window.files.save_as()
    window.files.fill_recent_menu(window.recent_menu)
    entries = window.recent_menu.actions()
    assert [a.text() for a in entries] == ["recent.npz"]
    window.session.step(3)
    qtbot.waitUntil(lambda: window.latest.epoch == 3, timeout=5000)
    dialogs.save_answer = "discard"
    entries[0].trigger()  # back to the saved epoch 0
    assert window.wait_for_sync()
    assert window.latest.epoch == 0 and window.path == path


def test_divergence_pauses_and_says_why_in_the_status_bar(qtbot, window):
    window.controls.activation.setCurrentIndex(window.controls.activation.findData("linear"))
    window.controls.output_activation.setCurrentIndex(window.controls.output_activation.findData("linear"))
    window.controls.lr.setValue(500)
    window.set_playing(True)
    qtbot.waitUntil(lambda: not window.playing, timeout=10000)
    assert "lower the learning rate" in window.message_label.text()
    assert window.actions["play"].text() == "&Play"
    assert np.isfinite(window.loss_view.history.train).all()
    # Play again after fixing the rate clears the message.
    window.controls.lr.setValue(0.01)
    window.reset_weights()
    window.set_playing(True)
    assert window.message_label.text() == ""
    window.set_playing(False)


def test_the_first_window_fits_the_screen(qtbot, store, dialogs):
    from nnviz.gui.main_window import MainWindow

    w = MainWindow(store=store, dialogs=dialogs)  # no saved geometry: the first start
    try:
        available = w.screen().availableGeometry()
        assert w.width() <= available.width() and w.height() <= available.height()
        assert w.width() >= min(1000, available.width()) * 0.9
    finally:
        w.close_without_asking()
        qtbot.waitUntil(w.threads_stopped, timeout=2000)


def test_help_lists_every_shortcut_of_the_menus(qtbot, window, dialogs):
    QTest.keyClick(window, Qt.Key.Key_F1)
    title, text = dialogs.infos[-1]
    assert title == "Keyboard and mouse"
    keys = set()
    for action in window.actions.values():
        keys.update(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
    for dock in window.learning.docks.values():
        keys.add(dock.toggleViewAction().shortcut().toString(QKeySequence.SequenceFormat.NativeText))
    keys -= {"", "F1", "Del"}  # Delete is spelled out; F1 is how the help was opened
    missing = [k for k in sorted(keys) if k not in text]
    assert missing == []


def test_the_window_has_the_application_icon(window):
    pixmap = window.windowIcon().pixmap(48, 48)
    assert not pixmap.isNull()
    image = pixmap.toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, 48, 3) for y in range(0, 48, 3)}
    assert len(colours) > 4  # drawn, not a blank square


def test_the_about_box_gives_the_version(window, dialogs):
    from nnviz import __version__

    window.actions["about"].trigger()
    title, text = dialogs.infos[-1]
    assert title == "About nnviz" and f"nnviz {__version__}" in text


def test_the_training_menu_shows_both_keys_of_step(qtbot, window):
    training = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Training")
    step = next(a for a in training.actions() if a is window.actions["step"])
    # A menu item shows what follows a tab in its text in place of the first shortcut alone.
    label, keys = step.text().split("\t")
    assert label == "&Step" and "S" in keys.split() and "→" in keys.split()
    assert {s.toString() for s in step.shortcuts()} == {"S", "Right"}
    toolbar_button = window.toolbar.widgetForAction(step)
    assert toolbar_button.text() == "Step"
    QTest.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.latest.epoch == 1)
