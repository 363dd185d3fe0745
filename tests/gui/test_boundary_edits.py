"""Editing the data on the decision boundary with the mouse and keyboard."""

from __future__ import annotations

import numpy as np
import pytest
from mouse_events import click, drag
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from nnviz.core import datasets

RIGHT = Qt.MouseButton.RightButton
SHIFT = Qt.KeyboardModifier.ShiftModifier


def at(window, x, y) -> QPointF:
    return window.boundary.view_to_widget(x, y)


def test_dragging_a_point_moves_it_in_the_training_data(qtbot, window):
    window.set_playing(True)  # training keeps running during the drag
    seen_during_drag = []
    drag(window.boundary, at(window, 1.0, 1.0), at(window, 0.5, 0.2),
         on_step=lambda i: (qtbot.wait(20), seen_during_drag.append(window.latest.data.X[3].copy())))
    window.set_playing(False)
    assert window.wait_for_sync()
    moved = window.latest.data.X[3]
    assert moved == pytest.approx([0.5, 0.2], abs=0.02)  # within a pixel or two
    np.testing.assert_array_equal(window.data.X[3], moved)
    np.testing.assert_array_equal(window.latest.data.X[:3], datasets.xor().X[:3])
    # The trainer followed the point while it moved, not only at the release.
    assert any(0.55 < p[0] < 0.95 for p in seen_during_drag)
    assert window.latest.epoch > 0
    # One drag is one undo step.
    window.undo_action.trigger()
    assert window.wait_for_sync()
    np.testing.assert_array_equal(window.latest.data.X, datasets.xor().X)
    window.redo_action.trigger()
    assert window.wait_for_sync()
    assert window.latest.data.X[3] == pytest.approx([0.5, 0.2], abs=0.02)


def test_click_adds_class_0_and_shift_click_class_1(qtbot, window):
    click(window.boundary, at(window, 0.5, 0.5))
    click(window.boundary, at(window, 0.25, 0.75), modifiers=SHIFT)
    assert window.wait_for_sync()
    data = window.latest.data
    assert len(data.X) == 6
    assert data.X[4] == pytest.approx([0.5, 0.5], abs=0.02) and data.y[4, 0] == 0
    assert data.X[5] == pytest.approx([0.25, 0.75], abs=0.02) and data.y[5, 0] == 1


def test_right_click_deletes_and_double_click_flips(qtbot, window):
    click(window.boundary, at(window, 0.0, 1.0), button=RIGHT)
    assert window.wait_for_sync()
    np.testing.assert_array_equal(window.latest.data.X, datasets.xor().X[[0, 2, 3]])
    click(window.boundary, at(window, 1.0, 1.0), double=True)  # now point 2
    assert window.wait_for_sync()
    assert window.latest.data.y.ravel().tolist() == [0, 1, 1]


def test_keyboard_delete_flip_undo_redo(qtbot, window):
    click(window.boundary, at(window, 1.0, 0.0))  # select point 2
    assert window.boundary.selected == 2
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F)
    assert window.wait_for_sync()
    assert window.latest.data.y.ravel().tolist() == [0, 1, 0, 0]
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert window.wait_for_sync()
    assert len(window.latest.data.X) == 3
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.wait_for_sync()
    np.testing.assert_array_equal(window.latest.data.y, datasets.xor().y)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.wait_for_sync()
    assert window.latest.data.y.ravel().tolist() == [0, 1, 0, 0]


def test_the_last_point_cannot_be_deleted(qtbot, window):
    for x, y in ((0, 0), (0, 1), (1, 0)):
        click(window.boundary, at(window, x, y), button=RIGHT)
    click(window.boundary, at(window, 1, 1), button=RIGHT)
    assert window.wait_for_sync()
    assert len(window.latest.data.X) == 1
    assert "last point" in window.statusBar().currentMessage()


def test_a_point_dragged_to_the_edge_stays_in_a_still_view_until_fit_is_asked(qtbot, window):
    before = window.latest.bounds
    _, xmax, _, ymax = before
    drag(window.boundary, at(window, 1.0, 1.0), at(window, xmax - 0.05, ymax - 0.05))
    assert window.wait_for_sync()
    assert window.latest.bounds == before  # editing never moves the view under the mouse
    assert window.data.X[3] == pytest.approx([xmax - 0.05, ymax - 0.05], abs=0.02)
    QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)  # View > Fit View to Data
    assert window.wait_for_sync()
    _, new_xmax, _, new_ymax = window.latest.bounds
    # The view now frames the data with its margin, so the boundary is drawn around the moved point too.
    assert new_xmax >= xmax - 0.05 + 0.5 and new_ymax >= ymax - 0.05 + 0.5


@pytest.mark.parametrize("scale", [1.0, 0.013, 730.0])
def test_the_fitted_plane_holds_still_whatever_the_tick_labels(qtbot, scale):
    # The plane is fitted to the view's shape; if the axes' width followed their tick labels,
    # a new plane could relabel the ticks, resize the view and ask for yet another plane.
    from nnviz.gui.boundary_view import BoundaryView

    view = BoundaryView()
    qtbot.addWidget(view)
    view.resize(430, 377)
    view.show()
    qtbot.waitExposed(view)
    data = datasets.Dataset(datasets.xor().X * scale + scale * 0.37, datasets.xor().y)
    view.set_data(data)
    view.fit(data, keep=False)
    qtbot.wait(100)
    planes = []
    view.sigPlaneChanged.connect(planes.append)
    for _ in range(5):
        view._fit_view()
        qtbot.wait(30)
    assert planes == []
    widths = {view.getPlotItem().getAxis("left").width()}
    for other in (0.001, 5e4):
        view.fit(datasets.Dataset(datasets.xor().X * other, datasets.xor().y), keep=False)
        qtbot.wait(50)
        widths.add(view.getPlotItem().getAxis("left").width())
    assert len(widths) == 1


def test_adding_points_near_the_edge_keeps_the_view_still(qtbot, window):
    vb = window.boundary.getPlotItem().getViewBox()
    before = vb.viewRange()
    (xmin, xmax), (ymin, ymax) = before
    for fx, fy in ((0.03, 0.5), (0.97, 0.96), (0.5, 0.02)):  # clicks a few pixels inside the edges
        click(window.boundary, at(window, xmin + fx * (xmax - xmin), ymin + fy * (ymax - ymin)))
        assert window.wait_for_sync()
        qtbot.wait(30)
        np.testing.assert_allclose(vb.viewRange(), before)  # the next click lands where it is aimed
    assert len(window.data.X) == 7
