"""Editing a data set of 100,000 points with the mouse: the right point, and only it, changes."""

from __future__ import annotations

import numpy as np
import pytest
from mouse_events import NONE, click, drag, send
from PySide6.QtCore import QEvent, QPointF, Qt

from nnviz.core import datasets
from nnviz.core.datasets import Dataset

RIGHT = Qt.MouseButton.RightButton
N = datasets.MAX_POINTS


def at(window, x, y) -> QPointF:
    return window.boundary.view_to_widget(x, y)


def use(qtbot, window, data: Dataset) -> None:
    window.session.use_dataset(data)
    assert window.wait_for_sync(10.0)
    qtbot.waitUntil(lambda: window.boundary.data is window.data)


def crowd_with_grid(rng) -> tuple[Dataset, np.ndarray, tuple[int, int]]:
    """A dense crowd in one corner, a sparse 5 x 5 grid in the other, and two almost coincident points.

    Returns the data, the grid's indices, and the close pair's indices (the later is drawn on top).
    """
    crowd = rng.uniform(-1.0, -0.2, (N - 27, 2))
    gx, gy = np.meshgrid(np.linspace(0.2, 1.0, 5), np.linspace(0.2, 1.0, 5))
    grid = np.c_[gx.ravel(), gy.ravel()]
    pair = np.array([[0.6, -0.6], [0.61, -0.6]])  # a few pixels apart: they overlap
    X = np.vstack([crowd, grid, pair])
    y = np.r_[rng.integers(0, 2, len(crowd)), np.arange(25) % 2, [0, 1]]
    grid_index = np.arange(len(crowd), len(crowd) + 25)
    return Dataset(X, y), grid_index, (N - 2, N - 1)


def test_dragging_one_point_of_100000_while_training(qtbot, window):
    rng = np.random.default_rng(3)
    data, grid, _ = crowd_with_grid(rng)
    use(qtbot, window, data)
    index = int(grid[17])
    start = data.X[index].copy()
    target = (start[0] - 0.1, start[1] + 0.07)  # between grid points: nothing else there
    window.set_playing(True)
    followed = []
    drag(window.boundary, at(window, *start), at(window, *target), steps=6,
         on_step=lambda i: (qtbot.wait(20), followed.append(window.latest.data.X[index].copy())))
    window.set_playing(False)
    assert window.wait_for_sync(10.0)
    after = window.latest.data
    assert after.X[index] == pytest.approx(target, abs=0.01)  # within a pixel or two
    others = np.arange(N) != index
    np.testing.assert_array_equal(after.X[others], data.X[others])
    np.testing.assert_array_equal(after.y, data.y)
    np.testing.assert_array_equal(window.boundary.points.pos, after.X)  # what is drawn is the data
    assert window.latest.epoch > 0
    assert any(0.01 < np.abs(p - start).max() < 0.09 for p in followed)  # trained on it mid-drag
    assert window.undo_stack.count() == 1
    window.undo_action.trigger()
    assert window.wait_for_sync(10.0)
    np.testing.assert_array_equal(window.latest.data.X, data.X)


def test_clicks_and_hovers_hit_the_point_under_the_mouse_among_100000(qtbot, window):
    data, grid, (lower, upper) = crowd_with_grid(np.random.default_rng(4))
    use(qtbot, window, data)
    boundary, vp = window.boundary, window.boundary.viewport()
    for k in (0, 7, 18, 24):
        click(boundary, at(window, *data.X[grid[k]]))
        assert boundary.selected == grid[k]
    # Of two overlapping points the one drawn on top is hit, and it is the one seen there.
    middle = at(window, *(data.X[lower] + data.X[upper]) / 2)
    boundary.select(None)
    qtbot.wait(50)
    image = boundary.grab().toImage()
    seen = image.pixelColor(round(middle.x()), round(middle.y()))
    click(boundary, middle)
    assert boundary.selected == upper
    blue = boundary.points._styles[1][2].color()
    assert (seen.red(), seen.green(), seen.blue()) == (blue.red(), blue.green(), blue.blue())
    # Hovering a point offers to drag it; empty space does not.
    between = at(window, 0.3, 0.3)  # half-way between four grid points
    send(vp, QEvent.Type.MouseMove, at(window, *data.X[grid[5]]), NONE, NONE)
    qtbot.waitUntil(lambda: boundary.points.hasCursor())
    assert boundary.points.cursor().shape() == Qt.CursorShape.OpenHandCursor
    send(vp, QEvent.Type.MouseMove, between, NONE, NONE)
    qtbot.waitUntil(lambda: not boundary.points.hasCursor())
    # A right-click deletes the point under it, not its neighbour.
    click(boundary, at(window, *data.X[grid[12]]), button=RIGHT)
    assert window.wait_for_sync(10.0)
    np.testing.assert_array_equal(window.latest.data.X, np.delete(data.X, grid[12], axis=0))


def test_a_dragged_point_leaves_no_trace_where_it_was(qtbot, window):
    # Only the moved point's surroundings are repainted: the picture must be the one a
    # full repaint gives, with the crowd it passed over intact.
    data, grid, _ = crowd_with_grid(np.random.default_rng(5))
    use(qtbot, window, data)
    index = int(grid[12])
    drag(window.boundary, at(window, *data.X[index]), at(window, -0.6, -0.6), steps=5,
         on_step=lambda i: qtbot.wait(20))
    assert window.wait_for_sync(10.0)
    qtbot.wait(50)
    partial = window.boundary.grab().toImage()
    window.boundary.points.update()
    qtbot.wait(50)
    assert window.boundary.grab().toImage() == partial
    # The grid point's old place is empty: the plane shows through.
    old = at(window, *data.X[index])
    assert window.boundary.points.index_at(QPointF(*data.X[index])) is None
    colour = partial.pixelColor(round(old.x()), round(old.y()))
    assert colour.name() not in {window.boundary.points._styles[k][2].color().name() for k in (0, 1)}
