"""The hidden space panel, driven as a user drives it: shortcut, Step, layer choice, keys, the History slider."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from panel_driving import CTRL_SHIFT, step, tutorial_at

from nnviz.core import datasets, hidden_space
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui import class_colours
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
    # Four units in the last hidden layer: no shading, and the caption says why.
    assert frame.output_image is None and not panel.classes_image.isVisible()
    assert "only exact for 2 units" in panel.caption.text()


def softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def assert_shaded_by_the_output_class(panel: HiddenSpaceView, network: Network) -> None:
    """The class shading at sample places is the output's class there, and the lines are where two classes tie."""
    frame = panel.frame
    assert frame.output_kind == "classes" and panel.classes_image.isVisible()
    assert not panel.output_image.isVisible() and not panel.values_image.isVisible()
    r = frame.output_image.shape[0]
    places = hidden_space.plane_points(frame.output_rect, r)
    p = softmax_rows(places @ network.W[-1] + network.b[-1])
    shown = panel.classes_image.image
    # Each place's colour is the class tint of the output's argmax, as strong as its probability.
    np.testing.assert_array_equal(shown.reshape(-1, 4), class_colours.class_image(p.reshape(r, r, -1).astype(
        np.float32)).reshape(-1, 4))
    tints = class_colours.class_tints(p.shape[1])
    sure = p.max(axis=1) > 0.9
    assert sure.sum() > 100
    nearest = np.argmin(((shown.reshape(-1, 4)[sure, None, :3] - tints[None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(nearest, p[sure].argmax(axis=1))
    # The boundary lines: the two most likely classes tie there (to within a pixel's interpolation).
    x, y = panel.boundaries.getData()
    assert len(x) > 10
    at = softmax_rows(np.column_stack([x, y]) @ network.W[-1] + network.b[-1])
    top_two = np.sort(at, axis=1)[:, -2:]
    assert np.max(top_two[:, 1] - top_two[:, 0]) < 0.05


def test_three_classes_through_a_two_unit_last_hidden_layer_shade_its_plane_by_the_outputs_class(qtbot):
    data = datasets.generate("spiral", n=150, seed=1, classes=3)
    trainer = Trainer(Network.initialised([2, 12, 2, 3], "tanh", "softmax", "ce", init="xavier", seed=3), data,
                      TrainSettings(lr=0.03, optimizer="adam"))
    trainer.run(200)
    panel = HiddenSpaceView()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_state(trainer.network.copy(), data, trainer.settings, 200)
    wait_for_frame(qtbot, panel, 200, layer=1)
    assert panel.frame.output_image is None and not panel.classes_image.isVisible()  # not the last hidden layer
    panel.layer_combo.setCurrentIndex(2)
    panel.layer_combo.activated.emit(2)
    wait_for_frame(qtbot, panel, 200, layer=2)
    assert_shaded_by_the_output_class(panel, trainer.network)
    assert "two classes tie" in panel.caption.text() and "only exact" not in panel.caption.text()


def test_a_regressions_points_take_their_targets_colour_and_its_plane_the_prediction(qtbot):
    data = datasets.generate("bumps", n=120, seed=2)
    net = Network.initialised([2, 6, 2, 1], "tanh", "linear", "mse", init="xavier", seed=1, task="regression")
    panel = HiddenSpaceView()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_state(net, data, TrainSettings(), 0)
    panel.layer_combo.setCurrentIndex(2)
    panel.layer_combo.activated.emit(2)
    frame = wait_for_frame(qtbot, panel, 0, layer=2)
    levels = (float(min(data.y.min(), data.y_test.min())), float(max(data.y.max(), data.y_test.max())))
    assert panel.value_levels == levels
    # Training points filled, test points ringed, in the value map's colour at their target.
    train = panel.points[0]
    np.testing.assert_allclose(np.column_stack(train.getData()), frame.points)
    brushes = np.array([b.color().getRgb() for b in train.data["brush"]])
    np.testing.assert_allclose(brushes, class_colours.value_colours(data.y, levels), atol=2)
    pens = np.array([pen.color().getRgb() for pen in panel.test_points[0].data["pen"]])
    np.testing.assert_allclose(pens, class_colours.value_colours(data.y_test, levels), atol=2)
    assert np.ptp(brushes[:, :3]) > 100  # the targets spread over the map, not one colour
    # The plane: the prediction at each place, on the same scale.
    assert panel.values_image.isVisible() and not panel.classes_image.isVisible()
    r = frame.output_image.shape[0]
    places = hidden_space.plane_points(frame.output_rect, r)
    expected = np.clip((places @ net.W[-1] + net.b[-1])[:, 0], *levels).reshape(r, r)
    np.testing.assert_allclose(panel.values_image.image, expected, rtol=1e-5, atol=1e-6)
    assert panel.values_image.levels is not None and tuple(panel.values_image.levels) == levels
    assert "coloured by its target" in panel.caption.text()


def test_the_window_shows_a_three_class_spirals_hidden_space(qtbot, window):
    QTest.keyClick(window, Qt.Key.Key_6, CTRL_SHIFT)
    panel = window.learning.hidden_space
    assert window.learning.docks["hidden_space"].isVisible()
    window.session.change_data_spec(replace(window.setup.data, name="spiral", classes=3))
    window.session.change_model(replace(window.setup.model, hidden=(16, 2), activation="tanh", init="xavier"))
    window.session.change_settings(replace(window.setup.settings, lr=0.03, optimizer="adam"))
    assert window.wait_for_sync()
    assert window.latest.network.layers == [2, 16, 2, 3]
    window.session.step(150)
    qtbot.waitUntil(lambda: window.latest.epoch == 150, timeout=20000)
    assert window.wait_for_sync()
    panel.layer_combo.setCurrentIndex(2)
    panel.layer_combo.activated.emit(2)
    wait_for_frame(qtbot, panel, 150, layer=2)
    network, data = window.latest.network, window.latest.data
    assert_shaded_by_the_output_class(panel, network)
    # Three colours of points, each class where the network's second hidden layer puts it.
    hidden = network.forward(data.X)[1][1]
    for label in range(3):
        np.testing.assert_allclose(drawn(panel, label), hidden[data.y[:, 0] == label], rtol=1e-12, atol=1e-12)
