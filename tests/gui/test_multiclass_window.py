"""More than two classes, regression and feature inputs, driven through the window as a learner would."""

from __future__ import annotations

import numpy as np
import pytest
from mouse_events import click
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from nnviz.core.plane import plane_points
from nnviz.gui import theme


def choose(box, value) -> None:
    """Pick ``value`` in a combo box, as a click on its item does."""
    index = box.findData(value)
    assert index >= 0, value
    box.setCurrentIndex(index)


def train(qtbot, window, epochs: int, timeout: int = 20000) -> None:
    window.set_playing(True)
    qtbot.waitUntil(lambda: window.latest is not None and window.latest.epoch >= epochs, timeout=timeout)
    window.set_playing(False)
    assert window.wait_for_sync()


def empty_corner(window) -> tuple[float, float]:
    """A place near the plane's lower right corner with no point near it (the legend is top left)."""
    xmin, xmax, ymin, ymax = window.boundary.plane
    x, y = xmax - 0.08 * (xmax - xmin), ymin + 0.08 * (ymax - ymin)
    data = window.data
    assert np.min(np.hypot(data.X[:, 0] - x, data.X[:, 1] - y)) > 0.1 * (xmax - xmin)
    return x, y


def three_class_spiral(qtbot, window) -> None:
    controls = window.controls
    choose(controls.dataset, "spiral")
    assert window.wait_for_sync()
    assert controls.classes.isEnabled()
    controls.classes.setValue(3)
    assert window.wait_for_sync()


def test_a_three_class_spiral_is_drawn_class_by_class(qtbot, window):
    three_class_spiral(qtbot, window)
    model = window.setup.model
    assert (model.output_activation, model.loss, model.outputs) == ("softmax", "ce", 3)
    assert window.data.classes == 3
    # The controls show the model the session chose, and the status bar says why.
    assert window.controls.output_activation.currentData() == "softmax"
    assert window.controls.loss.currentData() == "ce"
    assert "3 softmax" in window.statusBar().currentMessage()
    choose(window.controls.optimizer, "adam")
    window.controls.lr.setValue(0.05)
    train(qtbot, window, 200)
    snap = window.latest
    assert snap.network.outputs == 3
    boundary = window.boundary
    classes = [name for name in boundary.legend_names if name.startswith("class")]
    assert classes == ["class 0", "class 1", "class 2"]
    assert not boundary.colour_bar.isVisible()
    # Each pixel has its most likely class's colour, as strong as that class is likely.
    rgb = boundary.image.image
    assert rgb.shape == (160, 160, 4) and rgb.dtype == np.uint8
    p = snap.network.predict(plane_points(snap.bounds, 160)).reshape(160, 160, 3)
    rng = np.random.default_rng(0)
    ordered = np.sort(p, axis=2)
    clear = np.argwhere(ordered[..., 2] - ordered[..., 1] > 0.02)  # float32 and float64 agree on the class
    tints = theme.class_tints(3)
    seen_classes = set()
    for row, col in clear[rng.choice(len(clear), 60, replace=False)]:
        best = int(np.argmax(p[row, col]))
        seen_classes.add(best)
        expected = theme.class_shade(tints[best], theme.certainty(p[row, col, best], 3))
        np.testing.assert_allclose(rgb[row, col, :3], expected, atol=4)
    assert len(seen_classes) >= 2


def test_number_keys_choose_the_class_a_click_adds_and_f_cycles_it(qtbot, window):
    three_class_spiral(qtbot, window)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert window.status_labels["click"].text() == "Click adds class 2"
    x, y = empty_corner(window)
    n = len(window.data.X)
    click(window.boundary, window.boundary.view_to_widget(x, y))
    assert window.wait_for_sync()
    data = window.session.data
    assert len(data.X) == n + 1
    assert data.X[-1] == pytest.approx([x, y], abs=0.05) and data.y[-1, 0] == 2
    assert window.setup.model.outputs == 3  # nothing else changed
    # Key 1 is class 0; F then takes the selected point through every class of the network.
    qtbot.keyClick(window, Qt.Key.Key_1)
    x2, y2 = x, y + 0.15 * (window.boundary.plane[3] - window.boundary.plane[2])
    click(window.boundary, window.boundary.view_to_widget(x2, y2))
    assert window.wait_for_sync()
    assert window.session.data.y[-1, 0] == 0
    click(window.boundary, window.boundary.view_to_widget(x2, y2))  # select it
    assert window.boundary.selected == n + 1
    seen = []
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_F)
        assert window.wait_for_sync()
        seen.append(int(window.session.data.y[-1, 0]))
    assert seen == [1, 2, 0]
    # A double-click does the same.
    click(window.boundary, window.boundary.view_to_widget(x2, y2), double=True)
    assert window.wait_for_sync()
    assert window.session.data.y[-1, 0] == 1


def test_regression_is_a_value_map_with_a_colour_bar_in_target_units(qtbot, window):
    choose(window.controls.dataset, "plane")
    assert window.wait_for_sync()
    model = window.setup.model
    assert (model.task, model.output_activation, model.loss) == ("regression", "linear", "mse")
    assert window.controls.output_activation.currentData() == "linear"
    assert not window.controls.classes.isEnabled()
    window.controls.lr.setValue(0.1)
    train(qtbot, window, 300)
    snap, boundary = window.latest, window.boundary
    targets = np.concatenate([window.data.y.ravel(), window.data.y_test.ravel()])
    lo, hi = boundary.colour_bar.levels()
    assert boundary.colour_bar.isVisible()
    assert lo <= targets.min() and hi >= targets.max()
    assert (lo, hi) == pytest.approx((targets.min(), targets.max()))
    assert window.status_labels["accuracy"].text().startswith(f"R² {snap.accuracy:.2f}")
    assert "accuracy" not in window.status_labels["accuracy"].text()
    # A pixel's colour is the colour map at the network's prediction there.
    qtbot.waitUntil(lambda: boundary.image.qimage is not None)
    boundary.image.render()
    qimage = boundary.image.qimage
    values = snap.network.predict(plane_points(snap.bounds, 160)).reshape(160, 160)
    cmap = theme.value_colormap()
    for row, col in ((10, 20), (80, 80), (150, 30), (40, 140)):
        expected = [int(v) for v in cmap.map((values[row, col] - lo) / (hi - lo), mode="byte")[:3]]
        shown = qimage.pixelColor(col, row)
        assert [shown.red(), shown.green(), shown.blue()] == pytest.approx(expected, abs=4)
    # A click adds a point at the network's prediction; a point has no class to flip.
    x, y = empty_corner(window)
    click(boundary, boundary.view_to_widget(x, y))
    assert window.wait_for_sync()
    data = window.session.data
    added = data.X[-1]
    predicted = float(window.latest.network.predict(added[None, :])[0, 0])
    assert data.y[-1, 0] == pytest.approx(predicted, abs=1e-9)
    click(boundary, boundary.view_to_widget(x, y))
    assert boundary.selected == len(data.X) - 1
    qtbot.keyClick(window, Qt.Key.Key_F)
    assert "target" in window.statusBar().currentMessage()
    assert window.session.data is data


def test_squared_features_alone_separate_the_circle_without_a_hidden_layer(qtbot, window):
    controls = window.controls
    choose(controls.dataset, "circle")
    assert window.wait_for_sync()
    controls.hidden.remove_button.click()
    assert window.setup.model.hidden == ()
    boxes = controls.features.boxes
    boxes["x1^2"].click()
    boxes["x2^2"].click()
    boxes["x1"].click()
    boxes["x2"].click()
    assert window.setup.model.features == ("x1^2", "x2^2")
    assert window.setup.model.layers == [2, 1]
    # The last one left cannot be turned off.
    assert boxes["x1^2"].isEnabled()
    choose(controls.loss, "bce")
    train(qtbot, window, 3000, timeout=30000)
    assert window.latest.accuracy == 1.0
    assert window.status_labels["accuracy"].text().startswith("accuracy 100%")


def test_the_last_feature_cannot_be_turned_off(qtbot, window):
    boxes = window.controls.features.boxes
    boxes["x1"].click()
    assert window.setup.model.features == ("x2",)
    assert not boxes["x2"].isEnabled()
    assert window.setup.model.layers[0] == 1


def test_choosing_softmax_brings_cross_entropy_and_back(qtbot, window):
    controls = window.controls
    choose(controls.output_activation, "softmax")
    assert window.wait_for_sync()
    model = window.setup.model
    assert (model.output_activation, model.loss, model.outputs) == ("softmax", "ce", 2)
    assert controls.loss.currentData() == "ce"
    choose(controls.loss, "mse")
    assert window.wait_for_sync()
    model = window.setup.model
    assert (model.output_activation, model.loss, model.outputs) == ("sigmoid", "mse", 1)
    choose(controls.loss, "ce")
    assert window.setup.model.output_activation == "softmax"
    assert window.dialogs.errors == []


def test_the_predictions_panel_shows_classes_and_their_confusions(qtbot, window):
    three_class_spiral(qtbot, window)
    train(qtbot, window, 50)
    dock = next(d for d, w in window.panels if w is window.learning.predictions)
    dock.show()
    view = window.learning.predictions
    qtbot.waitUntil(lambda: view.model.rowCount() == len(window.data.X) + len(window.data.X_test))
    view.flush()
    shown = window.session.shown()
    data = shown.data
    assert view.model.columns == ("set", "x1", "x2", "target", "P(0)", "P(1)", "P(2)", "predicted", "")
    p = shown.network.predict(data.X)
    cell = lambda r, c: view.model.data(view.model.index(r, c))  # noqa: E731
    for r in (0, 5, len(data.X) - 1):
        assert [cell(r, 4 + k) for k in range(3)] == [f"{v:.4f}" for v in p[r]]
        assert cell(r, 7) == str(int(np.argmax(p[r])))
        assert cell(r, 3) == str(int(data.y[r, 0]))
    np.testing.assert_array_equal(view.confusion.counts, shown.network.confusion(data.X, data.y))
    assert view.confusion.isVisible()


def test_the_predictions_panel_shows_a_regressions_errors(qtbot, window):
    choose(window.controls.dataset, "bumps")
    assert window.wait_for_sync()
    train(qtbot, window, 20)
    dock = next(d for d, w in window.panels if w is window.learning.predictions)
    dock.show()
    view = window.learning.predictions
    qtbot.waitUntil(lambda: view.model.columns == ("set", "x1", "x2", "target", "prediction", "error"))
    view.flush()
    shown = window.session.shown()
    data = shown.data
    p = shown.network.predict(data.X)[:, 0]
    cell = lambda r, c: view.model.data(view.model.index(r, c))  # noqa: E731
    assert cell(3, 4) == f"{p[3]:.4g}" and cell(3, 5) == f"{p[3] - data.y[3, 0]:+.3g}"
    assert view.mse == pytest.approx(float(np.mean((p - data.y[:, 0]) ** 2)))
    assert view.r_squared == pytest.approx(shown.network.evaluate(data.X, data.y)[1])
    assert "R²" in view.accuracy_label.text()
    assert not view.confusion.isVisible()


def test_binary_xor_still_looks_as_before(qtbot, window):
    train(qtbot, window, 5)
    boundary = window.boundary
    assert boundary.look == "binary" and boundary.colour_bar.isVisible()
    assert boundary.image.image.ndim == 2
    assert [name for name in boundary.legend_names if name.startswith("class")] == ["class 0", "class 1"]
    assert QColor(boundary.points._styles[1][2].color()).name() == QColor(theme.BLUE).name().lower()


def test_an_exported_animation_paints_k_classes_and_values(qtbot):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter

    from nnviz.core import datasets
    from nnviz.core.plane import square_bounds
    from nnviz.core.setup import ModelSpec, fit_model
    from nnviz.gui.animation_export import paint_boundary

    for name, classes in (("spiral", 3), ("bumps", 2)):
        data = datasets.generate(name, 60, 0.1, 0, 0.0, classes)
        network = fit_model(ModelSpec(), data)[0].build()
        if not network.regression:
            network.b[-1][0, 2] = 50.0  # sure of class 2 everywhere
        image = QImage(200, 200, QImage.Format.Format_RGB32)
        image.fill(QColor("black"))
        painter = QPainter(image)
        paint_boundary(painter, QRectF(0, 0, 200, 200), network, data)
        painter.end()
        corner = image.pixelColor(3, 3)
        if network.regression:
            # Pixel (3, 3) of 200 is the plane's pixel (2, 2) of 160 from the top left.
            lo, hi = float(data.y.min()), float(data.y.max())
            point = plane_points(square_bounds(data), 160).reshape(160, 160, 2)[157, 2]
            value = network.predict(point[None, :])[0, 0]
            expected = theme.value_colormap().map(np.clip((value - lo) / (hi - lo), 0, 1), mode="byte")[:3]
            assert [corner.red(), corner.green(), corner.blue()] == pytest.approx([int(v) for v in expected],
                                                                                    abs=3)
        else:
            expected = theme.class_shade(theme.class_tints(3)[2], 1.0)
            assert [corner.red(), corner.green(), corner.blue()] == pytest.approx(list(expected), abs=3)


def test_importing_points_of_three_classes_or_of_targets_fits_the_network(qtbot, window, dialogs, tmp_path):
    classes = tmp_path / "three.csv"
    classes.write_text("x1,x2,label\n0,0,0\n1,0,1\n0,1,2\n1,1,2\n")
    dialogs.paths = [str(classes)]
    window.actions["import_points"].trigger()
    assert window.wait_for_sync()
    assert window.setup.model.outputs == 3 and window.controls.output_activation.currentData() == "softmax"
    assert window.boundary.look == "classes"
    assert window.boundary.legend_names == ["class 0", "class 1", "class 2"]
    assert "3 softmax" in window.statusBar().currentMessage()
    targets = tmp_path / "targets.csv"
    targets.write_text("x1,x2,target\n0,0,0.5\n1,0,-2.25\n0,1,3\n")
    dialogs.paths = [str(targets)]
    window.actions["import_points"].trigger()
    assert window.wait_for_sync()
    assert window.setup.model.task == "regression"
    assert window.boundary.look == "values"
    assert window.boundary.colour_bar.levels() == pytest.approx((-2.25, 3.0))
    assert window.status_labels["click"].text() == "Click adds a point at the prediction"
    assert dialogs.errors == []


def click_diagram(qtbot, window, pos) -> None:
    qtbot.mouseClick(window.diagram, Qt.MouseButton.LeftButton, pos=pos.toPoint())


def test_the_diagram_turns_inputs_on_and_off(qtbot, window):
    diagram = window.diagram
    qtbot.waitUntil(lambda: bool(diagram._chips))
    chips = dict(diagram._chips)
    assert list(chips) == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
    click_diagram(qtbot, window, chips["sin(x1)"].center())
    assert window.wait_for_sync()
    assert window.setup.model.features == ("x1", "x2", "sin(x1)")
    assert window.controls.features.boxes["sin(x1)"].isChecked()
    assert window.latest.network.layers[0] == 3
    qtbot.waitUntil(lambda: len(diagram.nodes[0]) == 3)
    # Each input unit shows its feature over the plane: sin(x₁) changes from left to right only.
    diagram.repaint()
    sine = diagram._input_images()[2]
    row = [sine.pixelColor(c, 5).name() for c in range(sine.width())]
    column = {sine.pixelColor(5, r).name() for r in range(sine.height())}
    assert len(set(row)) > 3 and len(column) == 1
    # A click on an input unit's label turns that input off.
    diagram.repaint()
    click_diagram(qtbot, window, diagram._input_labels[0].center())
    assert window.wait_for_sync()
    assert window.setup.model.features == ("x2", "sin(x1)")
    assert not window.controls.features.boxes["x1"].isChecked()
    # The last input cannot go.
    click_diagram(qtbot, window, chips["x2"].center())
    assert window.wait_for_sync()
    assert window.setup.model.features == ("sin(x1)",)
    click_diagram(qtbot, window, chips["sin(x1)"].center())
    assert window.setup.model.features == ("sin(x1)",)
    assert "at least one input" in window.statusBar().currentMessage()


def test_the_diagram_names_k_outputs_and_maps_each_in_its_class_colour(qtbot, window):
    three_class_spiral(qtbot, window)
    train(qtbot, window, 20)
    diagram = window.diagram
    network = diagram.network
    assert network.outputs == 3
    last = len(network.layers) - 1
    tip = diagram._describe(("node", last, 2))
    assert "ŷ₃" in tip and "class 2" in tip
    diagram.repaint()
    maps = diagram._unit_images()[-1]
    assert len(maps) == 3
    # Unit ŷ₂'s map at its top-left pixel: class 1's probability there, in class 1's colour.
    r = maps[0].width()
    corner = plane_points(diagram.plane, r)[-r]  # the top row's first point
    p = network.predict(corner[None, :])[0]
    expected = theme.class_shade(theme.class_tints(3)[1], p[1])
    shown = maps[1].pixelColor(0, 0)
    assert [shown.red(), shown.green(), shown.blue()] == pytest.approx(list(expected), abs=1.01)


@pytest.mark.parametrize("targets", [[0.5, 0.5, 0.5], [1e-7, 1.00000001e-7, 1e-7], [-1e300, 0.0, 1e300]])
def test_a_diverged_regression_or_odd_targets_paint_without_overflow(qtbot, targets):
    from nnviz.core.datasets import Dataset
    from nnviz.gui.boundary_view import BoundaryView

    view = BoundaryView()
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    data = Dataset(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), np.array(targets).reshape(-1, 1),
                   task="regression")
    view.set_data(data)
    lo, hi = view.colour_bar.levels() if view.look == "values" else view.value_levels
    assert lo < hi and lo <= min(max(t, -1e30) for t in targets) and hi >= max(min(t, 1e30) for t in targets)
    image = np.full((160, 160), 1e30, np.float32)  # what a diverged network's plane holds
    image[0] = -1e30
    view.set_image(image, (0.0, 1.0, 0.0, 1.0), regression=True)
    view.image.render()  # warnings are errors here: an overflow would fail the test
    assert view.image.image.max() <= view.value_levels[1] and view.image.image.min() >= view.value_levels[0]
    assert not view.grab().isNull()


def test_adding_a_point_of_a_new_class_refits_the_network_and_edits_go_on(qtbot, window):
    # The new outputs start a new run inside the edit's own undo step, which empties the undo
    # history: that must not pull the step out from under the undo stack (it crashed the app).
    window.activateWindow()
    x, y = empty_corner(window)
    click(window.boundary, window.boundary.view_to_widget(x, y))  # a class-0 point: undoable
    assert window.wait_for_sync()
    assert window.undo_stack.canUndo()
    qtbot.keyClick(window, Qt.Key.Key_3)
    n = len(window.session.data.X)
    x2, y2 = x, y + 0.15 * (window.boundary.plane[3] - window.boundary.plane[2])
    click(window.boundary, window.boundary.view_to_widget(x2, y2))
    assert window.wait_for_sync()
    assert window.setup.model.outputs == 3 and window.latest.network.outputs == 3
    assert len(window.session.data.X) == n + 1 and window.session.data.y[-1, 0] == 2
    qtbot.waitUntil(lambda: not window.undo_stack.canUndo(), timeout=2000)  # the old points' edits are gone
    # Editing goes on, and undoes, on the new run's points.
    qtbot.keyClick(window, Qt.Key.Key_1)
    click(window.boundary, window.boundary.view_to_widget(x2, y2 - 0.3 * (y2 - y)))
    assert window.wait_for_sync()
    assert len(window.session.data.X) == n + 2 and window.undo_stack.canUndo()
    window.undo_stack.undo()
    assert window.wait_for_sync()
    assert len(window.session.data.X) == n + 1
