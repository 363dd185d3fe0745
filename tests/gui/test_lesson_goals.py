"""No lesson is impossible: for every goal of every bundled lesson, the app is driven to meet it.

Each test opens a lesson in the real window, does what the lesson asks (trains,
sets a value in a control, drags a point) and records every frame with the
goals' ticks.  A goal must be unticked at every frame before the first one
that meets it (re-stated here from the snapshot itself) and ticked from that
frame on.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from mouse_events import drag
from PySide6.QtWidgets import QSpinBox

from nnviz.core import lessons

TIMEOUT_MS = 60_000


class Frames:
    """Every frame of the lesson's runs, with the goals' ticks after the panel saw it."""

    def __init__(self, window) -> None:
        self.window = window
        self.rows: list[tuple[object, tuple[bool, ...]]] = []
        # Connected after the panel: Qt calls slots in the order they were connected.
        window.model.sigFrame.connect(self._record)

    def _record(self, snap) -> None:
        self.rows.append((snap, tuple(row.ticked for row in self.window.lessons.goal_rows)))

    def ticked(self, goal: int) -> bool:
        return bool(self.rows) and self.rows[-1][1][goal]

    def assert_ticks_first_when(self, goal: int, met) -> None:
        """Unticked before the first frame where ``met(snap)``; ticked at it and after."""
        first = next(i for i, (snap, _) in enumerate(self.rows) if met(snap))
        assert not any(ticks[goal] for _, ticks in self.rows[:first]), f"goal {goal} ticked early"
        assert all(ticks[goal] for _, ticks in self.rows[first:]), f"goal {goal} not ticked when met"


def open_lesson(window, key: str) -> tuple[lessons.Lesson, Frames]:
    window.actions["lessons"].trigger()
    index = next(i for i, lesson in enumerate(window.lessons.lessons) if lesson.key == key)
    assert window.lessons.open_lesson(index)
    assert window.wait_for_sync()
    return window.lessons.lesson, Frames(window)


def play_until(qtbot, window, condition) -> None:
    window.set_playing(True)
    qtbot.waitUntil(condition, timeout=TIMEOUT_MS)
    window.set_playing(False)
    assert window.wait_for_sync()


def deepen_the_network(window) -> None:
    """What the spiral lessons ask for: two hidden layers of 16 tanh units, Adam at 0.03."""
    window.session.change_model(replace(window.setup.model, hidden=(16, 16), activation="tanh"))
    window.session.change_settings(replace(window.setup.settings, lr=0.03, optimizer="adam"))
    assert window.wait_for_sync()


def run_number(window) -> int:
    return window.session.run


def test_no_hidden_layer_stalls_above_0_2(qtbot, window):
    lesson, frames = open_lesson(window, "01-no-hidden-layer")
    play_until(qtbot, window, lambda: frames.ticked(1))
    frames.assert_ticks_first_when(0, lambda s: s.epoch >= 2000)
    frames.assert_ticks_first_when(1, lambda s: s.epoch >= 2000 and s.loss > 0.2)
    assert window.lessons.attempt.complete


def test_the_tutorial_network_reproduces_epoch_999_and_is_then_solved(qtbot, window):
    lesson, frames = open_lesson(window, "02-the-tutorial-network")

    def carries_epoch_999(s) -> bool:
        i = 999 - s.first_epoch
        return 0 <= i < len(s.losses) and abs(s.losses[i] - 0.203644) <= 5e-7

    play_until(qtbot, window, lambda: frames.ticked(1))
    frames.assert_ticks_first_when(0, carries_epoch_999)
    frames.assert_ticks_first_when(1, lambda s: s.accuracy == 1)
    assert frames.rows[-1][0].epoch > 1000


def test_a_learning_rate_of_100_saturates_the_units(qtbot, window):
    lesson, frames = open_lesson(window, "03-sigmoid-and-its-slope")
    assert window.learning.docks["activation"].isVisible()
    play_until(qtbot, window, lambda: window.latest.epoch >= 400)  # at lr 1 the loss falls: no tick
    assert not any(frames.rows[-1][1])
    window.controls.lr.setValue(100)  # what typing 100 in the box does
    window.actions["reset"].trigger()
    play_until(qtbot, window, lambda: frames.ticked(1))
    frames.assert_ticks_first_when(0, lambda s: s.settings.lr >= 100)
    frames.assert_ticks_first_when(1, lambda s: s.settings.lr >= 100 and s.epoch >= 300 and s.loss > 0.4)


def test_three_steps_tick_the_backpropagation_lesson(qtbot, window):
    lesson, frames = open_lesson(window, "04-backpropagation-step-by-step")
    assert window.learning.docks["inspector"].isVisible()
    for _ in range(2):
        window.actions["step"].trigger()
        assert window.wait_for_sync()
    assert window.latest.epoch == 2 and not frames.ticked(0)
    window.actions["step"].trigger()
    assert window.wait_for_sync()
    qtbot.waitUntil(lambda: frames.ticked(0))
    frames.assert_ticks_first_when(0, lambda s: s.epoch >= 3)


def test_learning_rates_one_diverges_and_one_solves_in_under_500_epochs(qtbot, window):
    lesson, frames = open_lesson(window, "05-learning-rates")
    play_until(qtbot, window, lambda: window.latest.epoch >= 600)  # lr 0.01: too small, nothing ticks
    assert not any(frames.rows[-1][1])
    window.controls.lr.setValue(1.0)
    window.actions["reset"].trigger()
    play_until(qtbot, window, lambda: frames.ticked(0))
    assert not window.playing and window.latest.message and "loss became" in window.latest.message
    frames.assert_ticks_first_when(0, lambda s: not math.isfinite(s.weights_loss))
    assert not frames.ticked(1)
    window.controls.lr.setValue(0.1)
    window.actions["reset"].trigger()
    solving_run = run_number(window)
    play_until(qtbot, window, lambda: frames.ticked(1))

    def solved_early(s) -> bool:
        return s.run == solving_run and s.accuracy == 1 and s.epoch < 500

    frames.assert_ticks_first_when(1, solved_early)


def test_two_hidden_units_fail_and_four_solve(qtbot, window):
    lesson, frames = open_lesson(window, "06-hidden-size")
    play_until(qtbot, window, lambda: frames.ticked(0))
    frames.assert_ticks_first_when(0, lambda s: s.epoch >= 5000 and s.accuracy < 1)
    assert not frames.ticked(1) and not frames.ticked(2)
    units = window.controls.hidden.findChildren(QSpinBox)
    assert len(units) == 1
    units[0].setValue(4)  # what typing 4 in the box does
    assert window.wait_for_sync()
    play_until(qtbot, window, lambda: frames.ticked(2))
    frames.assert_ticks_first_when(1, lambda s: s.network.layers == [2, 4, 1])
    frames.assert_ticks_first_when(2, lambda s: s.accuracy == 1)


def test_dragging_one_point_makes_xor_separable(qtbot, window):
    lesson, frames = open_lesson(window, "07-change-the-problem")
    play_until(qtbot, window, lambda: window.latest.epoch >= 1000)
    assert not any(frames.rows[-1][1])
    boundary = window.boundary
    drag(boundary, boundary.view_to_widget(1.0, 1.0), boundary.view_to_widget(-0.4, -0.4))
    assert window.wait_for_sync()
    np.testing.assert_allclose(window.latest.data.X[3], [-0.4, -0.4], atol=0.03)
    play_until(qtbot, window, lambda: frames.ticked(1))
    frames.assert_ticks_first_when(0, lambda s: not np.array_equal(s.data.X, lesson.data.X))
    frames.assert_ticks_first_when(1, lambda s: s.accuracy == 1)
    assert window.setup.model.hidden == ()


def test_the_spiral_reaches_95_percent_on_the_test_points_with_two_layers(qtbot, window):
    lesson, frames = open_lesson(window, "08-the-spiral-needs-depth")
    play_until(qtbot, window, lambda: window.latest.epoch >= 300)
    assert not any(frames.rows[-1][1])  # 4 sigmoid units: far from 95%
    deepen_the_network(window)
    play_until(qtbot, window, lambda: frames.ticked(1))
    frames.assert_ticks_first_when(0, lambda s: len(s.network.layers) - 2 >= 2)
    frames.assert_ticks_first_when(1, lambda s: s.test_accuracy >= 0.95)


def test_mini_batches_of_8_reach_95_percent_on_the_test_points(qtbot, window):
    lesson, frames = open_lesson(window, "09-mini-batches")
    play_until(qtbot, window, lambda: window.latest.epoch >= 100)
    assert not any(frames.rows[-1][1])
    window.controls.batch.setValue(8)
    play_until(qtbot, window, lambda: frames.ticked(1))
    frames.assert_ticks_first_when(0, lambda s: s.settings.batch_size is not None and s.settings.batch_size <= 8)
    frames.assert_ticks_first_when(1, lambda s: s.test_accuracy >= 0.95)


def test_adam_solves_xor_in_under_200_epochs_at_learning_rate_0_1(qtbot, window):
    lesson, frames = open_lesson(window, "10-optimizers")
    play_until(qtbot, window, lambda: window.latest.epoch >= 400)  # SGD at 0.1: still on the plateau
    assert not frames.ticked(0)
    optimizer = window.controls.optimizer
    optimizer.setCurrentIndex(optimizer.findData("adam"))
    window.actions["reset"].trigger()
    adam_run = run_number(window)
    play_until(qtbot, window, lambda: frames.ticked(0))
    frames.assert_ticks_first_when(0, lambda s: s.run == adam_run and s.accuracy == 1 and s.epoch < 200)
    assert window.latest.settings.optimizer == "adam"


def test_the_loss_falls_below_a_thousandth_then_a_ten_thousandth(qtbot, window):
    lesson, frames = open_lesson(window, "11-the-log-scale")
    play_until(qtbot, window, lambda: frames.ticked(1))
    frames.assert_ticks_first_when(0, lambda s: s.loss < 1e-3)
    frames.assert_ticks_first_when(1, lambda s: s.loss < 1e-4)


def test_squared_inputs_solve_the_circles_with_no_hidden_layer(qtbot, window):
    lesson, frames = open_lesson(window, "12-circles-from-features")
    play_until(qtbot, window, lambda: window.latest.epoch >= 2000)
    assert not any(frames.rows[-1][1])  # x1 and x2 alone: a straight line, about half right
    boxes = window.controls.features.boxes
    for name in ("x1^2", "x2^2", "x1", "x2"):  # tick the squares, then untick the plain inputs
        boxes[name].click()
    assert window.wait_for_sync()
    assert window.setup.model.features == ("x1^2", "x2^2") and window.setup.model.hidden == ()
    play_until(qtbot, window, lambda: frames.ticked(1))
    frames.assert_ticks_first_when(0, lambda s: "x1^2" in s.network.features)
    frames.assert_ticks_first_when(1, lambda s: s.accuracy == 1)
    assert window.latest.network.layers == [2, 1]


def test_the_hidden_space_lesson_opens_its_panel_and_ticks_as_xor_is_solved(qtbot, window):
    lesson, frames = open_lesson(window, "13-the-hidden-space")
    assert window.learning.docks["hidden_space"].isVisible()
    play_until(qtbot, window, lambda: frames.ticked(1))
    frames.assert_ticks_first_when(0, lambda s: s.accuracy == 1)
    frames.assert_ticks_first_when(1, lambda s: s.loss < 0.01)
    # Paused: the panel's last frame is the trained network's hidden layer, point by point.
    panel = window.learning.hidden_space
    qtbot.waitUntil(lambda: panel.frame is not None and panel.frame.epoch == window.latest.epoch,
                    timeout=TIMEOUT_MS)
    hidden = window.latest.network.forward(window.latest.data.X)[1][0]
    np.testing.assert_allclose(panel.frame.values, hidden, atol=1e-12)


def test_three_spiral_arms_reach_90_percent_on_the_test_points_with_softmax(qtbot, window):
    lesson, frames = open_lesson(window, "14-three-classes")
    assert window.setup.model.output_activation == "softmax" and window.latest.network.layers[-1] == 3
    play_until(qtbot, window, lambda: window.latest.epoch >= 300)
    assert not any(frames.rows[-1][1])  # 4 sigmoid units: far from 90%
    deepen_the_network(window)
    play_until(qtbot, window, lambda: frames.ticked(1))
    frames.assert_ticks_first_when(0, lambda s: len(s.network.layers) - 2 >= 2)
    frames.assert_ticks_first_when(1, lambda s: s.test_accuracy >= 0.9)


def test_every_bundled_lesson_has_a_test_here():
    tested = {"01-no-hidden-layer", "02-the-tutorial-network", "03-sigmoid-and-its-slope",
              "04-backpropagation-step-by-step", "05-learning-rates", "06-hidden-size", "07-change-the-problem",
              "08-the-spiral-needs-depth", "09-mini-batches", "10-optimizers", "11-the-log-scale",
              "12-circles-from-features", "13-the-hidden-space", "14-three-classes"}
    assert {path.stem for path in lessons.bundled_paths()} == tested
