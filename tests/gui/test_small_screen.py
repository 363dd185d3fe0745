"""The window on a 1366x768 laptop screen: panels never crush the main views, and what they show is in sight.

Each test sizes the window to 1366x768, opens panels with their shortcuts as
a user does, lets the event loop lay the window out, and measures the views.
The minimums are what keeps a view usable: the boundary's plane big enough to
click a point on, the loss curve tall enough to show its shape.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtTest import QTest

SCREEN = QSize(1366, 768)
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
SHORTCUT_KEYS = {"inspector": Qt.Key.Key_1, "predictions": Qt.Key.Key_2, "activation": Qt.Key.Key_3,
                 "history": Qt.Key.Key_4, "compare": Qt.Key.Key_5}
BOUNDARY_MIN = QSize(300, 240)
LOSS_MIN_HEIGHT = 150


@pytest.fixture
def laptop(qtbot, window):
    window.resize(SCREEN)
    qtbot.waitUntil(lambda: window.size() == SCREEN)
    return window


def open_panels(qtbot, window, names) -> None:
    for name in names:
        QTest.keyClick(window, SHORTCUT_KEYS[name], CTRL_SHIFT)
    docks = [window.learning.docks[name] for name in names]
    qtbot.waitUntil(lambda: all(dock.isVisible() for dock in docks))
    assert window.wait_for_sync()
    qtbot.wait(100)  # a few frames: the docks settle into their places


def in_front(dock) -> bool:
    return not dock.visibleRegion().isEmpty()


def test_compare_runs_leaves_the_loss_curve_its_height(qtbot, laptop):
    open_panels(qtbot, laptop, ["compare"])
    assert laptop.size() == SCREEN  # the window did not grow to make room
    assert laptop.loss_view.height() >= LOSS_MIN_HEIGHT
    assert laptop.learning.compare.height() >= 200  # and the panel itself is usable


def test_all_panels_open_keep_the_main_views_usable(qtbot, laptop):
    # Every docked panel, those added later included: by its shortcut, or its View menu entry.
    docks = [dock for dock, _ in laptop.panels]
    for dock in docks:
        toggle = dock.toggleViewAction()
        if toggle.shortcut().isEmpty():
            toggle.trigger()
        else:
            QTest.keySequence(laptop, toggle.shortcut())
    qtbot.waitUntil(lambda: all(dock.isVisible() for dock in docks))
    assert laptop.wait_for_sync()
    qtbot.wait(100)
    assert laptop.size() == SCREEN
    boundary = laptop.boundary.size()
    assert boundary.width() >= BOUNDARY_MIN.width() and boundary.height() >= BOUNDARY_MIN.height()
    assert laptop.loss_view.height() >= LOSS_MIN_HEIGHT
    # The panels of each side share one place as tabs, and the one opened last is in front.
    for area in {laptop.dockWidgetArea(dock) for dock in docks}:
        side = [dock for dock in docks if laptop.dockWidgetArea(dock) == area]
        assert set(laptop.tabifiedDockWidgets(side[-1])) == set(side[:-1])
        assert in_front(side[-1]) and not any(in_front(dock) for dock in side[:-1])
    named = laptop.learning.docks
    assert laptop.dockWidgetArea(named["inspector"]) == laptop.dockWidgetArea(named["activation"])
    assert laptop.dockWidgetArea(named["history"]) == laptop.dockWidgetArea(named["compare"])


def test_a_shortcut_brings_its_panel_to_the_front(qtbot, laptop):
    open_panels(qtbot, laptop, ["inspector", "predictions"])
    docks = laptop.learning.docks
    assert in_front(docks["predictions"]) and not in_front(docks["inspector"])
    QTest.keyClick(laptop, SHORTCUT_KEYS["inspector"], CTRL_SHIFT)  # hides it: it was open
    QTest.keyClick(laptop, SHORTCUT_KEYS["inspector"], CTRL_SHIFT)
    qtbot.waitUntil(lambda: in_front(docks["inspector"]))
    assert not in_front(docks["predictions"])


def test_predictions_show_whole_numbers(qtbot, laptop):
    open_panels(qtbot, laptop, ["predictions"])
    view = laptop.learning.predictions
    qtbot.waitUntil(lambda: view.model.rowCount() == 4 and "Accuracy" in view.accuracy_label.text())
    table, header = view.table, view.table.horizontalHeader()
    shown = [c for c in range(view.model.columnCount()) if not table.isColumnHidden(c)]
    for column in shown:
        # Wide enough for its title and for every number in it: nothing elided to "0.0…".
        assert header.sectionSize(column) >= header.sectionSizeHint(column), column
        assert header.sectionSize(column) >= table.sizeHintForColumn(column), column
    assert table.horizontalScrollBar().maximum() == 0  # and every column fits the panel as it opens
    assert float(view.model.index(0, 4).data()) == pytest.approx(laptop.latest.network.predict(
        laptop.data.X)[0, 0], abs=1e-4)
    assert laptop.boundary.width() >= BOUNDARY_MIN.width()


def test_the_gradient_check_result_is_in_sight(qtbot, laptop):
    open_panels(qtbot, laptop, ["inspector"])
    inspector = laptop.learning.inspector
    qtbot.waitUntil(lambda: inspector.last_pass is not None)
    qtbot.mouseClick(inspector.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: inspector.last_check is not None and inspector._check_job is None, timeout=10_000)
    qtbot.wait(50)
    viewport = inspector.scroll.viewport()
    label = inspector.check_label
    top = label.mapTo(viewport, QPoint(0, 0)).y()
    assert "✓ agree" in label.text()
    assert 0 <= top and top + label.height() <= viewport.height()  # the verdict, whole, inside the panel
    assert inspector.check_table.mapTo(viewport, QPoint(0, 0)).y() < viewport.height()  # and the table starts
