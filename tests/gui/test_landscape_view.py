"""The loss landscape panel, driven as a user drives it: shortcut, Step, Compute, the History slider, Cancel."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from panel_driving import CTRL_SHIFT, step, tutorial_at

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui.landscape_view import LandscapeView, format_loss

LEFT = Qt.MouseButton.LeftButton


def compute(qtbot, view: LandscapeView):
    before = view.result
    qtbot.mouseClick(view.compute_button, LEFT)
    qtbot.waitUntil(lambda: not view.busy and view.result is not before, timeout=10_000)
    return view.result


def test_the_slices_centre_is_the_shown_loss_and_the_path_is_the_history(qtbot, window):
    view = window.learning.landscape
    QTest.keyClick(window, Qt.Key.Key_7, CTRL_SHIFT)
    assert window.learning.docks["landscape"].isVisible()
    step(window, 10)
    qtbot.waitUntil(lambda: view.state is not None and view.state.epoch == 10)
    result = compute(qtbot, view)
    data = window.latest.data
    assert result.epoch == 10
    assert abs(result.slice.centre - window.latest.weights_loss) <= 1e-12
    assert abs(result.slice.centre - tutorial_at(10).loss_value(data.X, data.y)) <= 1e-12
    assert format_loss(result.slice.centre) in view.info.text()
    # The path is the eleven snapshots (epochs 0 to 10); the last one is the weights shown, at the centre.
    x, y = view.path.getData()
    assert len(x) == 11
    assert (x[-1], y[-1]) == pytest.approx((0.0, 0.0), abs=1e-12)
    assert result.slice.directions.explained[0] + result.slice.directions.explained[1] > 0.99
    # The line: α = 0 is the first weights' loss, α = 1 the current loss.
    alphas, losses = view.line_curve.xData, view.line_curve.yData  # as given (getData is log10 on a log axis)
    assert losses[np.argmin(np.abs(alphas))] == pytest.approx(tutorial_at(0).loss_value(data.X, data.y), rel=1e-12)
    assert losses[np.argmin(np.abs(alphas - 1))] == pytest.approx(result.slice.centre, rel=1e-12)
    # The heatmap is the log of the slice's losses.
    np.testing.assert_allclose(view.image.image, np.log10(result.slice.losses).astype(np.float32), rtol=1e-6)

    # Back in history to epoch 4: Compute maps the landscape around the weights of epoch 4.
    QTest.keyClick(window, Qt.Key.Key_4, CTRL_SHIFT)
    history = window.learning.history
    history.flush()
    history.slider.setValue(4)
    qtbot.waitUntil(lambda: "now epoch 4" in view.info.text())  # the picture is of epoch 10 until Compute
    past = compute(qtbot, view)
    assert past.epoch == 4
    assert abs(past.slice.centre - tutorial_at(4).loss_value(data.X, data.y)) <= 1e-12
    assert len(view.path.getData()[0]) == 5  # the path up to the epoch shown


def test_random_directions_with_a_seed(qtbot, window):
    view = window.learning.landscape
    QTest.keyClick(window, Qt.Key.Key_7, CTRL_SHIFT)
    step(window, 1)
    qtbot.waitUntil(lambda: view.state is not None and view.state.epoch == 1)
    view.set_directions("random")
    assert view.seed_spin.isEnabled()
    view.seed_spin.setValue(3)
    view.set_resolution(21)
    first = compute(qtbot, view)
    assert first.slice.losses.shape == (21, 21) and first.slice.directions.kind == "random"
    assert abs(first.slice.centre - window.latest.weights_loss) <= 1e-12
    assert view.path.getData()[0] is None  # no path on random directions
    again = compute(qtbot, view)
    np.testing.assert_array_equal(again.slice.losses, first.slice.losses)
    view.seed_spin.setValue(4)
    other = compute(qtbot, view)
    assert not np.array_equal(other.slice.losses, first.slice.losses)


def test_the_path_needs_snapshots(qtbot):
    view = LandscapeView()
    qtbot.addWidget(view)
    view.show()
    view.set_state(Network.initialised([2, 4, 1]), datasets.xor(), TrainSettings(), 0)
    qtbot.mouseClick(view.compute_button, LEFT)
    assert not view.busy and view.result is None
    assert "train a little first" in view.info.text()


def test_a_computation_shows_its_progress_and_can_be_cancelled(qtbot):
    view = LandscapeView()
    qtbot.addWidget(view)
    view.show()
    # Big enough that 101 x 101 grid points take minutes: the cancel comes long before the end.
    net = Network.initialised([2, 64, 64, 64, 1], "tanh", "sigmoid", "bce", init="xavier", seed=1)
    data = datasets.generate("moons", n=5000, seed=1, test_fraction=0.0)
    view.set_state(net, data, TrainSettings(), 7)
    view.set_directions("random")
    view.set_resolution(101)
    qtbot.mouseClick(view.compute_button, LEFT)
    assert view.busy and view.progress.isVisible()
    assert not view.compute_button.isEnabled() and view.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: view.progress.value() > 0, timeout=10_000)
    assert view.progress.maximum() == 101 * 101
    qtbot.mouseClick(view.cancel_button, LEFT)
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    assert view.result is None
    assert "Stopped" in view.info.text()
    assert view.compute_button.isEnabled() and not view.cancel_button.isEnabled()
    assert not view.progress.isVisible()


def test_with_the_checkbox_it_computes_again_while_the_weights_change(qtbot):
    view = LandscapeView()
    qtbot.addWidget(view)
    view.show()
    view.set_directions("random")
    view.set_resolution(21)
    data = datasets.xor()
    view.set_state(tutorial_at(1), data, TrainSettings(), 1)
    view.auto_check.setChecked(True)
    view.auto_timer.setInterval(30)  # every few seconds in the window; quicker here
    qtbot.waitUntil(lambda: view.result is not None and view.result.epoch == 1, timeout=5000)
    later = tutorial_at(5)
    view.set_state(later, data, TrainSettings(), 5)
    qtbot.waitUntil(lambda: view.result.epoch == 5, timeout=5000)
    assert abs(view.result.slice.centre - later.loss_value(data.X, data.y)) <= 1e-12
    view.auto_check.setChecked(False)
    view.set_state(tutorial_at(6), data, TrainSettings(), 6)
    qtbot.wait(200)
    assert view.result.epoch == 5 and not view.busy


def test_with_an_l2_penalty_the_centre_is_the_loss_training_minimises(qtbot):
    data = datasets.generate("spiral", n=80, seed=2, classes=3)
    settings = TrainSettings(lr=0.05, l2=0.03)
    trainer = Trainer(Network.initialised([2, 6, 3], "tanh", "softmax", "ce", init="xavier", seed=1), data, settings)
    trainer.run(20)
    view = LandscapeView()
    qtbot.addWidget(view)
    view.show()
    view.set_directions("random")
    view.set_resolution(21)
    view.set_state(trainer.network.copy(), data, settings, 20)
    result = compute(qtbot, view)
    total, _ = trainer.gradient()
    assert result.slice.centre == pytest.approx(total, rel=1e-12)
    assert result.slice.centre > trainer.network.loss_value(data.X, data.y) + 1e-6
    assert "loss + L2 0.03 penalty" in view.info.text() and format_loss(result.slice.centre) in view.info.text()
