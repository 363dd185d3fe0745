"""The network diagram: live values on hover, typed weights, many edges."""

from __future__ import annotations

import numpy as np
from mouse_events import NONE, send
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
