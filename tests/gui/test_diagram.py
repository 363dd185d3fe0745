"""The network diagram: live values on hover, typed weights, many edges."""

from __future__ import annotations

import numpy as np
from mouse_events import NONE, send
from painting import on_paint
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtWidgets import QToolTip

from nnviz.core.network import Network
from nnviz.gui.diagram_view import MAX_EDGE_WIDTH, DiagramView, edge_width


def edge_midpoint(view, k, i, j) -> QPointF:
    """A point a quarter of the way along the edge (the middles of crossing edges coincide)."""
    view._layout()
    a, b = view.nodes[k][i], view.nodes[k + 1][j]
    return QPointF(*(0.75 * a + 0.25 * b))


def test_hover_shows_the_current_value_and_follows_training(qtbot, window):
    diagram = window.diagram
    pos = edge_midpoint(diagram, 1, 3, 0)  # W2[3, 0]: the thickest line at the start
    send(diagram, QEvent.Type.MouseMove, pos, NONE, NONE)
    assert diagram.hovered == ("edge", 1, 3, 0)
    first = QToolTip.text()
    assert f"{window.latest.network.W[1][3, 0]:+.6f}" in first
    window.session.step(200)
    qtbot.waitUntil(lambda: window.latest.epoch == 200, timeout=10000)
    now = QToolTip.text()
    assert now != first  # live: updated without moving the mouse
    assert f"{window.latest.network.W[1][3, 0]:+.6f}" in now


def test_clicking_an_edge_sets_the_weight_and_training_continues_from_it(qtbot, window, dialogs):
    diagram = window.diagram
    pos = edge_midpoint(diagram, 0, 1, 2)
    dialogs.numbers = [2.5]
    send(diagram, QEvent.Type.MouseButtonPress, pos)
    send(diagram, QEvent.Type.MouseButtonRelease, pos, buttons=NONE)
    assert window.wait_for_sync()
    assert window.latest.network.W[0][1, 2] == 2.5
    # A unit's bias the same way.
    x, y = diagram.nodes[2][0]
    dialogs.numbers = [-1.25]
    send(diagram, QEvent.Type.MouseButtonPress, QPointF(x, y))
    send(diagram, QEvent.Type.MouseButtonRelease, QPointF(x, y), buttons=NONE)
    assert window.wait_for_sync()
    assert window.latest.network.b[1][0, 0] == -1.25
    window.session.step(1)
    qtbot.waitUntil(lambda: window.latest.epoch == 1, timeout=5000)
    assert window.latest.network.W[0][1, 2] != 2.5  # trained on from the typed value


def test_a_big_network_is_drawn_with_few_paths(qtbot):
    view = DiagramView()
    qtbot.addWidget(view)
    view.resize(600, 500)
    net = Network.initialised([2] + [64] * 8 + [1], init="xavier", seed=0)
    view.set_network(net)
    image = view.grab()
    assert not image.isNull()
    assert len(view.segments) == 2 * 64 + 7 * 64 * 64 + 64
    assert len(view._paths) <= 24  # (sign, width step) groups, not one per edge
    assert np.isfinite(view.segments).all()


def test_each_unit_shows_its_own_output_over_the_plane(qtbot):
    net = Network.initialised([2, 3, 1], "tanh", seed=7)
    view = DiagramView()
    qtbot.addWidget(view)
    view.resize(520, 420)
    view.set_network(net)
    view.set_plane((-2.0, 2.0, -1.0, 3.0))
    view.show()
    qtbot.waitExposed(view)
    view._layout()
    assert view._maps_visible()
    images = view._unit_images()
    assert [len(row) for row in images] == [3, 1]
    # Top-left pixel of an image: the plane's left edge and top (x = xmin, y = ymax), half a pixel in.
    step = 4.0 / 20
    x, y = -2.0 + step / 2, 3.0 - step / 2
    hidden = np.tanh(np.array([[x, y]]) @ net.W[0] + net.b[0])[0]
    for unit, img in enumerate(images[0]):
        expected = view._lut[int(np.clip((hidden[unit] + 1) / 2 * 255, 0, 255))]
        colour = img.pixelColor(0, 0)
        assert (colour.red(), colour.green(), colour.blue()) == tuple(int(v) for v in expected)
    out = net.predict(np.array([[x, y]]))[0, 0]
    colour = images[1][0].pixelColor(0, 0)
    assert (colour.red(), colour.green(), colour.blue()) == tuple(int(v) for v in view._lut[int(out * 255)])


def test_unit_maps_follow_the_network_and_can_be_turned_off(qtbot):
    view = DiagramView()
    qtbot.addWidget(view)
    view.resize(520, 420)
    net = Network.initialised([2, 4, 1])
    view.set_network(net)
    view._layout()
    first = view._unit_images()
    changed = net.copy()
    changed.W[0][:] *= -1
    view.set_network(changed)
    assert view._unit_images() is not first  # a new network, new maps
    view.set_show_unit_maps(False)
    view._layout()
    assert not view._maps_visible() and "inside" not in view._legend()


def test_view_menu_toggles_unit_maps_and_the_plane_follows_the_boundary(qtbot, window):
    diagram = window.diagram
    assert diagram.show_unit_maps and window.unit_maps_action.isChecked()
    qtbot.waitUntil(lambda: window.latest is not None, timeout=5000)
    assert diagram.plane == tuple(window.latest.bounds)
    window.unit_maps_action.trigger()
    assert not diagram.show_unit_maps
    window.unit_maps_action.trigger()
    assert diagram.show_unit_maps


def test_a_network_with_nan_weights_is_drawn_without_warnings(qtbot):
    # A diverged run can leave NaN weights behind (the update before the loss became NaN).
    view = DiagramView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    net = Network.initialised([2, 4, 1], activation="relu", seed=1)  # relu: maps scaled by their largest value
    net.W[0][0, 1] = np.nan
    net.W[1][2, 0] = np.inf
    net.b[0][0, 3] = np.nan
    net.W[0][:, 2] = np.nan  # unit h1.3's map is all NaN
    view.set_network(net)
    assert not view.grab().isNull()  # filterwarnings=error: a NaN cast to int would fail here
    widths = edge_width(np.array([np.nan, np.inf, -np.inf, 0.0]))
    assert np.all(np.isfinite(widths)) and widths[1] == widths[2] == MAX_EDGE_WIDTH


# -- modes: weights, gradients, the next update ------------------------------------------------
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from nnviz.core.inspect import next_update  # noqa: E402
from nnviz.gui.diagram_view import (  # noqa: E402
    GRADIENTS,
    MIN_EDGE_WIDTH,
    UPDATES,
    WEIGHTS,
    Phase,
    step_phases,
)


def drawn_colours(view) -> dict[int, QColor]:
    """The pen colour each line is drawn with, by edge number."""
    view._layout()
    if not view._paths:
        view._build_paths()
    number = {id(line): e for e, line in enumerate(view._lines)}
    return {number[id(line)]: pen.color() for pen, lines in view._paths for line in lines}


def assert_drawn_by(view, values: np.ndarray) -> None:
    """Widths proportional to |value| (the largest the widest), blue for positive, orange for negative."""
    scale = np.abs(values).max()
    expected = MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * np.abs(values) / scale
    np.testing.assert_allclose(view.edge_widths(), expected, rtol=1e-9)
    for e, colour in drawn_colours(view).items():
        if values[e] > 0:
            assert colour.blue() > colour.red(), e
        else:
            assert colour.red() > colour.blue(), e


def flat_weights_of(network: Network, flat: np.ndarray) -> np.ndarray:
    """The weight entries of a params-shaped vector, in the diagram's edge order (W1 row by row, W2 ...)."""
    parts, start = [], 0
    for W in network.W:
        fan_in, fan_out = W.shape
        parts.append(flat[start:start + fan_in * fan_out])
        start += (fan_in + 1) * fan_out
    return np.concatenate(parts)


def shows(window, mode: str) -> bool:
    diagram = window.diagram
    return (diagram.shown_mode() == mode and diagram.network is window.session.shown().network
            and diagram.extras is not None and diagram.extras.gradient is not None)


def test_gradient_mode_draws_each_weights_gradient_and_switches_while_training(qtbot, window):
    diagram = window.diagram
    window.session.step(30)
    qtbot.waitUntil(lambda: window.latest.epoch == 30, timeout=5000)
    window.findChild(type(window.unit_maps_action), "diagram_gradients").trigger()
    qtbot.waitUntil(lambda: shows(window, GRADIENTS), timeout=5000)
    net, data = diagram.network, window.session.data
    gradient = flat_weights_of(net, net.gradient(data.X, data.y))  # full batch, no penalty: the same numbers
    assert_drawn_by(diagram, gradient)
    assert "dL/dw" in diagram.caption() and f"all {len(data.X)} points" in diagram.caption()
    # The units: dL/dz summed over the points, which is each bias's gradient.
    passes = net.passes(data.X, data.y)
    for k, dz in enumerate(passes.dz):
        np.testing.assert_allclose(diagram.unit_values()[k], dz.sum(axis=0), rtol=1e-9, atol=1e-15)

    # While training: after the next frames the numbers belong to the network drawn then.
    window.set_playing(True)
    qtbot.waitUntil(lambda: window.latest.epoch > 500, timeout=10000)
    window.findChild(type(window.unit_maps_action), "diagram_updates").trigger()
    qtbot.waitUntil(lambda: shows(window, UPDATES) and window.latest.epoch > 1000, timeout=10000)
    window.set_playing(False)
    assert window.wait_for_sync()
    qtbot.waitUntil(lambda: shows(window, UPDATES), timeout=5000)
    net = diagram.network
    upcoming = next_update(net, data, window.latest.settings, window.latest.optimizer, window.latest.rng_state)
    assert_drawn_by(diagram, flat_weights_of(net, upcoming.step))
    # Plain gradient descent: the step is -lr times the gradient, so the colours are the gradient's, flipped.
    lr = window.latest.settings.lr
    np.testing.assert_allclose(diagram.edge_values(), -lr * flat_weights_of(net, net.gradient(data.X, data.y)),
                               rtol=1e-7, atol=1e-15)
    window.findChild(type(window.unit_maps_action), "diagram_weights").trigger()
    assert diagram.shown_mode() == WEIGHTS
    np.testing.assert_array_equal(diagram.edge_widths(), edge_width(np.concatenate([W.ravel() for W in net.W])))


def test_a_past_epoch_gets_its_own_gradients(qtbot, window):
    diagram = window.diagram
    window.session.step(300)
    qtbot.waitUntil(lambda: window.latest.epoch == 300, timeout=10000)
    window.learning.docks["history"].show()
    history = window.learning.history
    qtbot.waitUntil(lambda: history.history is not None and len(history.history) > 50, timeout=5000)
    history.scrub_to_epoch(40)
    qtbot.waitUntil(lambda: window.session.showing_past and diagram.epoch == window.session.shown().epoch,
                    timeout=5000)
    QTest.keyClick(diagram, Qt.Key.Key_G)  # the View menu's shortcut, while the past epoch is shown
    qtbot.waitUntil(lambda: shows(window, GRADIENTS), timeout=5000)
    data = window.session.data
    assert_drawn_by(diagram, flat_weights_of(diagram.network, diagram.network.gradient(data.X, data.y)))
    past = history.scrub_to_epoch(20)  # another past epoch, in gradient mode
    qtbot.waitUntil(lambda: diagram.epoch == past.epoch and shows(window, GRADIENTS), timeout=5000)
    net = diagram.network
    np.testing.assert_allclose(net.params, past.network.params)
    assert_drawn_by(diagram, flat_weights_of(net, net.gradient(data.X, data.y)))
    assert not np.allclose(net.params, window.latest.network.params)  # not the live network's numbers


def phases_of_one_step(qtbot, window) -> list:
    seen = []
    window.diagram.sigPhase.connect(seen.append)
    before = window.latest.epoch
    window.actions["step"].trigger()
    qtbot.waitUntil(lambda: window.latest.epoch == before + 1, timeout=5000)
    return seen


def test_a_step_plays_forward_backward_update_and_can_be_skipped(qtbot, window, monkeypatch):
    import threading

    from nnviz.core.trainer import Trainer

    gui_thread = threading.current_thread()
    trained_here = []
    run = Trainer.run
    monkeypatch.setattr(Trainer, "run", lambda self, *a, **k: (
        trained_here.append(threading.current_thread() is gui_thread), run(self, *a, **k))[1])
    diagram = window.diagram
    animate = window.findChild(type(window.unit_maps_action), "diagram_animate")
    assert not animate.isChecked() and not diagram.animate_steps  # off by default
    animate.trigger()
    window.session.step(1)  # a first step, so the diagram has the gradients of the network it shows
    qtbot.waitUntil(lambda: window.latest.epoch == 1 and diagram.extras is not None
                    and diagram.extras.gradient is not None, timeout=5000)
    qtbot.waitUntil(lambda: not diagram.animating, timeout=5000)
    old = diagram.network
    seen = phases_of_one_step(qtbot, window)
    qtbot.waitUntil(lambda: seen and seen[-1] is None, timeout=5000)
    assert seen[:-1] == step_phases(2) == [Phase("forward", 0), Phase("forward", 1), Phase("backward", 1),
                                           Phase("backward", 0), Phase("update")]
    assert diagram.network is window.latest.network and diagram.network is not old

    # Skipped by a click: the result shows at once, without the remaining phases.
    seen = phases_of_one_step(qtbot, window)
    qtbot.waitUntil(lambda: diagram.animating, timeout=5000)
    assert diagram.network is not window.latest.network  # still the weights before the step
    QTest.mouseClick(diagram, Qt.MouseButton.LeftButton, pos=diagram.rect().topLeft() + diagram.rect().center() / 8)
    assert not diagram.animating and seen[-1] is None and len(seen) < len(step_phases(2)) + 1
    assert diagram.network is window.latest.network
    # And by a key.
    seen = phases_of_one_step(qtbot, window)
    qtbot.waitUntil(lambda: diagram.animating, timeout=5000)
    QTest.keyClick(window, Qt.Key.Key_Shift)
    assert not diagram.animating and diagram.network is window.latest.network
    assert trained_here and not any(trained_here)  # every epoch trained off the GUI thread


def test_the_three_modes_are_in_the_view_menu_and_the_help(qtbot, window, dialogs):
    texts = {a.objectName(): a for a in window.view_menu.actions()}
    for name, key in (("diagram_weights", "W"), ("diagram_gradients", "G"), ("diagram_updates", "D"),
                      ("diagram_animate", "A")):
        assert texts[name].shortcut().toString() == key
    window.actions["help_keys"].trigger()
    help_text = dialogs.infos[-1][1]
    assert "W / G / D" in help_text and "animate each Step" in help_text


def test_a_softmax_network_with_feature_inputs_is_drawn_in_every_mode(qtbot):
    from nnviz.core import datasets
    from nnviz.core.trainer import TrainSettings
    from nnviz.core.unit_maps import diagram_extras

    features = ("x1", "x2", "x1^2", "x2^2", "x1*x2")
    net = Network.initialised([5, 6, 3], "tanh", "softmax", "ce", init="xavier", seed=3, features=features)
    data = datasets.generate("spiral", n=90, classes=3, seed=1)
    view = DiagramView()
    qtbot.addWidget(view)
    view.resize(520, 420)
    extras = diagram_extras(net, data, TrainSettings(), (-2.0, 2.0, -2.0, 2.0), view.needs().__class__(
        maps=True, gradients=True, palette=view._lut), None, None)
    view.set_network(net, extras, 5)
    gradient = flat_weights_of(net, net.gradient(data.X, data.y))
    for mode in (WEIGHTS, GRADIENTS, UPDATES):
        view.set_mode(mode)
        assert not view.grab().isNull()
        assert len(view.edge_values()) == 5 * 6 + 6 * 3 == len(view.segments)
    view.set_mode(GRADIENTS)
    assert_drawn_by(view, gradient)
    assert [len(v) for v in view.unit_values()] == [6, 3]


def test_the_words_are_drawn_again_only_when_they_change(qtbot, window):
    # While training, the diagram is redrawn 30 times a second with the same words.
    diagram = window.diagram
    written, paints = [], []
    on_paint(diagram, lambda: written.append(True), "_paint_labels")
    on_paint(diagram, lambda: paints.append(True))
    window.set_playing(True)
    qtbot.waitUntil(lambda: len(paints) >= 10, timeout=10000)
    window.set_playing(False)
    assert window.wait_for_sync()
    assert len(written) <= 1 < len(paints)  # at most once, when the title said "paused"
    before = len(written)
    qtbot.keyClick(window, "g")  # gradients: another title and caption
    qtbot.waitUntil(lambda: diagram.shown_mode() == "gradients", timeout=5000)
    diagram.repaint()
    assert len(written) > before and diagram._title().endswith("gradients")
    after = len(written)
    diagram.repaint()
    diagram.repaint()
    assert len(written) == after
