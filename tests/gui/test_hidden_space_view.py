"""The hidden space panel, driven as a user drives it: shortcut, Step, layer choice, keys, the History slider."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from panel_driving import CTRL_SHIFT, step, tutorial_at

from nnviz.core import datasets, hidden_space
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui.hidden_space_view import HiddenSpaceView



def drawn(panel: HiddenSpaceView, label: int) -> np.ndarray:
    x, y = panel.points[label].getData()
    return np.column_stack([x, y])


def wait_for_frame(qtbot, panel, epoch, **what):
    def ready():
        f = panel.frame
        return (f is not None and not panel.busy and f.epoch == epoch
                and all(getattr(f, k) == v for k, v in what.items()))
    qtbot.waitUntil(ready, timeout=5000)
    return panel.frame


def assert_drawn(panel, points, y):
    for label in (0, 1):
        np.testing.assert_allclose(drawn(panel, label), points[y[:, 0] == label], rtol=1e-12, atol=1e-12)


def test_the_panel_shows_where_each_layer_puts_the_points_and_follows_the_history(qtbot, window):
    panel = window.learning.hidden_space
    QTest.keyClick(window, Qt.Key.Key_6, CTRL_SHIFT)
    assert window.learning.docks["hidden_space"].isVisible()
    step(window, 6)
    data = window.latest.data
    wait_for_frame(qtbot, panel, 6, layer=1)
    hidden = tutorial_at(6).forward(data.X)[1][0]
    # Four hidden units: the first two are the axes; the dots are the network's activations.
    assert panel.frame.projection.mode == "units"
    assert_drawn(panel, hidden[:, [0, 1]], data.y)
    assert panel.plot.getPlotItem().getAxis("bottom").labelText == "unit 1"

    # P shows the next pair of units.
    panel.plot.setFocus()
    QTest.keyClick(panel.plot, Qt.Key.Key_P)
    wait_for_frame(qtbot, panel, 6, layer=1)
    assert panel.frame.projection.units == (0, 2)
    assert_drawn(panel, hidden[:, [0, 2]], data.y)

    # PCA: the points are the activations' projection on their two main directions.
    panel.mode_combo.setCurrentIndex(1)
    panel.mode_combo.activated.emit(1)
    frame = wait_for_frame(qtbot, panel, 6, layer=1)
    assert frame.projection.mode == "pca"
    assert_drawn(panel, (hidden - hidden.mean(axis=0)) @ frame.projection.basis, data.y)

    # The output's logits: one unit, along a line.
    panel.layer_combo.setCurrentIndex(2)
    panel.layer_combo.activated.emit(2)
    wait_for_frame(qtbot, panel, 6, layer=2)
    logits = tutorial_at(6).forward(data.X)[0][1]
    assert_drawn(panel, np.column_stack([logits[:, 0], np.zeros(4)]), data.y)

    # Scrubbing the History slider back to epoch 2: the panel shows the network of epoch 2.
    panel.layer_combo.setCurrentIndex(1)
    panel.layer_combo.activated.emit(1)
    QTest.keyClick(window, Qt.Key.Key_4, CTRL_SHIFT)
    history = window.learning.history
    history.flush()
    history.slider.setValue(2)
    wait_for_frame(qtbot, panel, 2, layer=1)
    past = tutorial_at(2).forward(data.X)[1][0]
    assert_drawn(panel, (past - past.mean(axis=0)) @ panel.frame.projection.basis, data.y)
    # Back to live with Step: the panel follows again.
    step(window, 1)
    wait_for_frame(qtbot, panel, 7, layer=1)


def test_xor_made_separable_by_two_hidden_units_with_the_decision_line_between(qtbot):
    trainer = Trainer(Network.initialised([2, 2, 1], seed=1), datasets.xor(), TrainSettings(lr=3.0))
    trainer.run(2000)
    panel = HiddenSpaceView()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_state(trainer.network.copy(), trainer.data, trainer.settings, 2000)
    frame = wait_for_frame(qtbot, panel, 2000, layer=1)
    assert frame.projection.mode == "direct"
    assert not panel.mode_combo.isVisible() and not panel.next_button.isVisible()
    # The drawn line separates the classes: class 1 on one side, class 0 on the other.
    line: pg.InfiniteLine = panel.decision
    assert line.isVisible()
    angle = np.radians(line.angle)
    direction = np.array([np.cos(angle), np.sin(angle)])
    anchor = np.array([line.pos().x(), line.pos().y()])
    side = lambda p: np.sign(direction[0] * (p[:, 1] - anchor[1]) - direction[1] * (p[:, 0] - anchor[0]))
    ones, zeros = side(drawn(panel, 1)), side(drawn(panel, 0))
    assert len(set(ones)) == 1 and len(set(zeros)) == 1 and ones[0] == -zeros[0]
    # The warped grid is the input plane's grid through the hidden layer.
    x, y = panel.grid_curve.getData()
    grid = hidden_space.grid_lines(hidden_space.square_bounds(trainer.data)).reshape(-1, 2)
    mapped = trainer.network.forward(grid)[1][0]
    finite = np.isfinite(x)
    np.testing.assert_allclose(np.column_stack([x[finite], y[finite]]), mapped)


def test_test_points_are_drawn_hollow_in_their_class_colour(qtbot):
    data = datasets.generate("moons", n=60, seed=2)
    net = Network.initialised([2, 3, 1], "tanh", seed=2)
    panel = HiddenSpaceView()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_state(net, data, TrainSettings(), 0)
    wait_for_frame(qtbot, panel, 0, layer=1)
    hidden = net.forward(data.X_test)[1][0][:, :2]
    for label in (0, 1):
        x, y = panel.test_points[label].getData()
        np.testing.assert_allclose(np.column_stack([x, y]), hidden[data.y_test[:, 0] == label])
        assert panel.test_points[label].opts["brush"].color().alpha() == 0


def test_a_hidden_panel_computes_nothing(qtbot):
    panel = HiddenSpaceView()
    qtbot.addWidget(panel)
    panel.set_state(Network.initialised([2, 4, 1]), datasets.xor(), TrainSettings(), 3)
    qtbot.wait(50)
    assert panel.frame is None and not panel.busy and panel.refreshes == 0
    panel.show()
    wait_for_frame(qtbot, panel, 3)


def test_a_big_data_set_is_thinned_evenly_before_it_is_mapped(qtbot):
    data = datasets.generate("moons", n=12_000, seed=3, test_fraction=0.25)
    net = Network.initialised([2, 3, 1], "tanh", seed=2)
    panel = HiddenSpaceView()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_state(net, data, TrainSettings(), 0)
    frame = wait_for_frame(qtbot, panel, 0, layer=1)
    # Every third point (12,000 / 5,000 rounded up), train and test alike.
    assert len(frame.points) == 3000 and len(frame.test_points) == 1000
    assert_drawn(panel, net.forward(data.X[::3])[1][0][:, :2], data.y[::3])


def test_three_classes_get_three_colours(qtbot):
    data = datasets.generate("spiral", n=90, seed=1, classes=3, test_fraction=0.0)
    net = Network.initialised([2, 4, 3], "tanh", "softmax", "ce", init="xavier", seed=2)
    panel = HiddenSpaceView()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_state(net, data, TrainSettings(), 0)
    frame = wait_for_frame(qtbot, panel, 0, layer=1)
    hidden = net.forward(data.X)[1][0][:, :2]
    colours = set()
    for label in range(3):
        x, y = panel.points[label].getData()
        np.testing.assert_allclose(np.column_stack([x, y]), hidden[data.y[:, 0] == label])
        colours.add(panel.points[label].opts["brush"].color().name())
    assert len(colours) == 3
    assert frame.line is None and not panel.decision.isVisible()
