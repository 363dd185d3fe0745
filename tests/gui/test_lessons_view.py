"""The Lessons panel in the real window: opening, set-up, panels, hidden controls, ticks that are remembered."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGroupBox

from nnviz.core import lessons
from nnviz.gui.lessons_view import TICK, LessonsView


def click_lesson(window, index: int) -> None:
    view = window.lessons
    item = view.list.item(index)
    view.list.scrollToItem(item)
    QTest.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=view.list.visualItemRect(item).center())


def group(window, title: str) -> QGroupBox:
    return next(box for box in window.controls.findChildren(QGroupBox) if box.title() == title)


def test_help_lessons_opens_the_panel_and_the_first_start_hint_points_to_it(qtbot, window):
    qtbot.waitUntil(lambda: "Help ▸ Lessons" in window.statusBar().currentMessage())
    assert window.store.bool_value("lessons/hinted", False)
    assert not window.lessons_dock.isVisible()
    window.actions["lessons"].trigger()
    qtbot.waitUntil(window.lessons_dock.isVisible)
    bundled = lessons.bundled()
    assert window.lessons.list.count() == len(bundled) >= 10
    assert [window.lessons.list.item(i).text() for i in range(len(bundled))] == [
        f"○  {i}. {lesson.title}" for i, lesson in enumerate(bundled, 1)]
    assert set(lessons.PANEL_NAMES) == set(window.learning.docks)


def test_every_bundled_lesson_sets_up_the_real_window(qtbot, window):
    window.actions["lessons"].trigger()
    view = window.lessons
    for index, lesson in enumerate(lessons.bundled()):
        click_lesson(window, index)
        assert window.wait_for_sync()
        assert view.lesson is not None and view.lesson.key == lesson.key
        assert window.setup == lesson.setup
        np.testing.assert_array_equal(window.latest.data.X, lesson.data.X)
        np.testing.assert_array_equal(window.latest.data.X_test, lesson.data.X_test)
        assert window.latest.epoch == 0 and window.latest.network.layers == lesson.setup.model.layers
        assert window.controls.lr.value() == lesson.setup.settings.lr
        assert window.controls.hidden.value() == lesson.setup.model.hidden
        for name, dock in window.learning.docks.items():
            assert dock.isVisible() == (name in lesson.panels), (lesson.key, name)
        assert group(window, "Network").isHidden() == ("network" in lesson.hide)
        assert view.title.text() == f"Lesson {index + 1}: {lesson.title}"
        assert [row.text.text() for row in view.goal_rows] == [check.text for check in lesson.checks]
        assert not any(row.ticked for row in view.goal_rows), lesson.key  # nothing trained yet
        assert not window.modified  # a lesson starts clean, like New


def test_opening_a_lesson_asks_about_unsaved_work_and_cancel_changes_nothing(qtbot, window, dialogs):
    window.step()
    assert window.wait_for_sync() and window.modified
    dialogs.save_answer = "cancel"
    before = window.setup
    assert not window.lessons.open_lesson(0)
    assert dialogs.questions == ["Save the network before starting the lesson?"]
    assert window.setup == before and window.latest.epoch == 1 and window.lessons.lesson is None
    dialogs.save_answer = "discard"
    assert window.lessons.open_lesson(0)
    assert window.wait_for_sync()
    assert window.setup.model.hidden == () and window.latest.epoch == 0


def test_hidden_controls_come_back_when_the_lesson_is_left_or_the_panel_closed(qtbot, window):
    window.actions["lessons"].trigger()
    change_the_problem = next(i for i, x in enumerate(lessons.bundled()) if "network" in x.hide)
    network = group(window, "Network")
    assert window.lessons.open_lesson(change_the_problem)
    assert network.isHidden()
    QTest.mouseClick(window.lessons.leave_button, Qt.MouseButton.LeftButton)
    assert not network.isHidden() and window.lessons.lesson is None
    assert window.lessons.open_lesson(change_the_problem)
    assert network.isHidden()
    window.lessons_dock.toggleViewAction().trigger()  # close the panel
    assert not window.lessons_dock.isVisible()
    assert not network.isHidden() and window.lessons.lesson is None


def test_hints_are_shown_on_demand_and_next_and_previous_move_through_the_list(qtbot, window):
    window.actions["lessons"].trigger()
    view = window.lessons
    bundled = lessons.bundled()
    assert view.open_lesson(0)
    row = view.goal_rows[0]
    assert row.hint.isHidden()
    QTest.mouseClick(row.hint_button, Qt.MouseButton.LeftButton)
    assert not row.hint.isHidden() and row.hint.text() == bundled[0].checks[0].hint
    assert not view.previous_button.isEnabled()
    QTest.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert view.index == 1 and window.setup == bundled[1].setup
    assert view.list.currentRow() == 1
    QTest.mouseClick(view.previous_button, Qt.MouseButton.LeftButton)
    assert view.index == 0 and window.setup == bundled[0].setup
    assert view.open_lesson(len(bundled) - 1)
    assert not view.next_button.isEnabled()


def test_a_completed_lesson_is_ticked_in_the_list_and_remembered(qtbot, window, store):
    window.actions["lessons"].trigger()
    view = window.lessons
    step_by_step = next(i for i, x in enumerate(lessons.bundled()) if "inspector" in x.panels)
    assert view.open_lesson(step_by_step)
    for _ in range(3):
        window.actions["step"].trigger()
        assert window.wait_for_sync()
    qtbot.waitUntil(lambda: all(row.ticked for row in view.goal_rows))
    assert view.list.item(step_by_step).text().startswith(TICK)
    assert "Every goal reached" in view.status.text()
    # After a restart: a new panel on the same settings shows the tick.
    again = LessonsView(window.model, window.dialogs, store, lambda _q: True, {}, {}, lambda _i: None)
    texts = [again.list.item(i).text() for i in range(again.list.count())]
    assert [t.startswith(TICK) for t in texts] == [i == step_by_step for i in range(len(texts))]
    again.deleteLater()


def test_a_teachers_file_opens_from_the_file_menu_and_a_bad_one_changes_nothing(qtbot, window, dialogs, tmp_path):
    good = tmp_path / "points.toml"
    good.write_text('title = "Three points"\ntext = "Train *them*."\n[setup]\nlayers = []\n'
                    'points = [[0, 0, 0], [2, 2, 1], [0, 2, 1]]\nhide = ["toolbar"]\n'
                    '[[check]]\nmetric = "points"\nop = "=="\nvalue = 3\n')
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "Bad"\ntext = "x"\n[setup]\nlr = -1\n[[check]]\nmetric = "epoch"\nop = ">"\nvalue = 1\n')
    before = window.setup
    dialogs.paths.append(str(bad))
    window.actions["open_lesson"].trigger()
    assert dialogs.errors == [("Cannot open the lesson", f"{bad}: setup.lr: -1 must be a number from 1e-08 to 1000")]
    assert window.setup == before and window.lessons.lesson is None
    dialogs.paths.append(str(good))
    window.actions["open_lesson"].trigger()
    assert window.wait_for_sync()
    assert window.lessons.lesson.title == "Three points" and window.lessons.index is None
    np.testing.assert_array_equal(window.latest.data.X, [[0, 0], [2, 2], [0, 2]])
    assert window.toolbar.isHidden()
    qtbot.waitUntil(lambda: window.lessons.goal_rows[0].ticked)
    QTest.mouseClick(window.lessons.leave_button, Qt.MouseButton.LeftButton)
    assert not window.toolbar.isHidden()


def test_file_new_or_open_ends_the_lesson_and_brings_its_controls_back(qtbot, window, tmp_path):
    # Its goals would otherwise go on ticking on a set-up the lesson never asked for.
    view = window.lessons
    hiding = next(i for i, lesson in enumerate(view.lessons) if lesson.hide)
    window.actions["lessons"].trigger()
    assert view.open_lesson(hiding)
    assert window.wait_for_sync()
    assert view.lesson is not None and not group(window, "Network").isVisibleTo(window)
    window.dialogs.save_answer = "discard"
    window.actions["new"].trigger()
    assert window.wait_for_sync()
    assert view.lesson is None and view.attempt is None
    assert group(window, "Network").isVisibleTo(window)
    # Open: the same, once the file has loaded (a refused file keeps the lesson).
    assert view.open_lesson(hiding)
    path = tmp_path / "net.npz"
    window.files.write(str(path))
    window.dialogs.paths = [str(tmp_path / "missing.npz")]
    window.actions["open"].trigger()
    assert view.lesson is not None
    window.dialogs.paths = [str(path)]
    window.actions["open"].trigger()
    assert window.wait_for_sync()
    assert view.lesson is None
