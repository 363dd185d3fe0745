"""The Lessons panel: the list of lessons, the open lesson's text, and its goals ticking live.

Opening a lesson asks about unsaved work, applies the lesson's set-up to the
session (all or nothing: a refused set-up changes nothing), opens the panels
it names and hides the controls it does not need; leaving it brings them back.
Each snapshot the session accepts is handed to the lesson's ``Attempt``
(``nnviz.core.lessons``), which only compares numbers the snapshot carries.
A lesson whose goals have all ticked is remembered as done across restarts.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnviz.core import lessons
from nnviz.core.errors import NnvizError
from nnviz.core.lessons import Attempt, Check, Lesson
from nnviz.gui import theme
from nnviz.gui.controls import SPEEDS
from nnviz.gui.session_model import SessionModel

COMPLETED_KEY = "lessons/completed"
TICK, OPEN = "✓", "○"


def speed_index(rate: float | None) -> int:
    """The speed slider's position nearest to ``rate`` epochs per second (None: as fast as possible)."""
    if rate is None:
        return len(SPEEDS) - 1
    finite = [(abs(s - rate), i) for i, s in enumerate(SPEEDS) if s is not None]
    return min(finite)[1]


class GoalRow(QWidget):
    """One goal: a mark that ticks, its text, and a hint shown on demand."""

    def __init__(self, check: Check, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.ticked = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(2)
        row = QHBoxLayout()
        self.mark = QLabel(OPEN)
        self.mark.setFixedWidth(18)
        self.mark.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.text = QLabel(check.text)
        self.text.setWordWrap(True)
        row.addWidget(self.mark)
        row.addWidget(self.text, 1)
        self.hint_button = QToolButton(text="Hint")
        self.hint_button.setCheckable(True)
        self.hint_button.setToolTip("Show how to reach this goal")
        self.hint_button.setVisible(bool(check.hint))
        row.addWidget(self.hint_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        self.hint = QLabel(check.hint)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555; margin-left: 22px;")
        self.hint.setVisible(False)
        layout.addWidget(self.hint)
        self.hint_button.toggled.connect(self.hint.setVisible)
        self._show()

    def set_ticked(self, ticked: bool) -> None:
        self.ticked = ticked
        self._show()

    def _show(self) -> None:
        self.mark.setText(TICK if self.ticked else OPEN)
        color = theme.GREEN if self.ticked else theme.MUTED
        self.mark.setStyleSheet(f"color: {color}; font-weight: bold; font-size: 14px;")
        self.text.setStyleSheet("color: #222;" if self.ticked else "")


class LessonsView(QWidget):
    """The panel; ``hideable`` maps the names a lesson's ``hide`` may use to widgets, ``panels`` to docks."""

    sigLessonChanged = Signal(object)  # the open Lesson, or None

    def __init__(self, model: SessionModel, dialogs, store, maybe_save: Callable[[str], bool],
                 panels: dict[str, QDockWidget], hideable: dict[str, QWidget],
                 set_speed: Callable[[int], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.session = model.session
        self.dialogs = dialogs
        self.store = store
        self.maybe_save = maybe_save
        self.panels = panels
        self.hideable = hideable
        self.set_speed = set_speed
        self.lesson: Lesson | None = None
        self.attempt: Attempt | None = None
        self.index: int | None = None  # the open lesson's place in the list (None: a teacher's file)
        self.goal_rows: list[GoalRow] = []
        self._hidden: list[QWidget] = []
        self.lessons, problems = self._load_bundled()
        self._build()
        for problem in problems:
            self.status.setText(problem)
        model.sigFrame.connect(self._on_frame)

    @staticmethod
    def _load_bundled() -> tuple[list[Lesson], list[str]]:
        found, problems = [], []
        for path in lessons.bundled_paths():
            try:
                found.append(lessons.load(path, key=path.stem))
            except NnvizError as exc:  # a broken installation: say so and offer the rest
                problems.append(str(exc))
        return found, problems

    # -- building ---------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.list = QListWidget()
        self.list.setToolTip("Click a lesson to start it. ✓: every goal reached.")
        self.list.setMaximumHeight(128)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setMinimumWidth(300)
        self.list.itemClicked.connect(lambda item: self.open_lesson(self.list.row(item)))
        layout.addWidget(self.list)
        self._fill_list()

        self.title = QLabel("Choose a lesson above to start")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold; font-size: 14px;")
        layout.addWidget(self.title)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setMarkdown("Each lesson sets up the network, says what to look at and what to try, "
                              "and lists goals that tick as the network meets them.")
        layout.addWidget(self.text, 1)

        self.goals_title = QLabel("Goals: each ticks when the network meets it")
        self.goals_title.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.goals_title)
        self.goals = QVBoxLayout()
        self.goals.setSpacing(0)
        layout.addLayout(self.goals)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {theme.GREEN}; font-weight: bold;")
        layout.addWidget(self.status)

        buttons = QHBoxLayout()
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.clicked.connect(lambda: self.go(-1))
        self.next_button = QPushButton("Next ▶")
        self.next_button.clicked.connect(lambda: self.go(+1))
        self.leave_button = QPushButton("Leave")
        self.leave_button.setToolTip("End the lesson: hidden controls come back; the network stays as it is")
        self.leave_button.clicked.connect(self.leave)
        for button in (self.previous_button, self.next_button, self.leave_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self._show_lesson()

    def _fill_list(self) -> None:
        done = self.completed()
        self.list.clear()
        for i, lesson in enumerate(self.lessons, 1):
            item = QListWidgetItem(f"{TICK if lesson.key in done else OPEN}  {i}. {lesson.title}")
            item.setToolTip("Done: every goal reached" if lesson.key in done else lesson.title)
            self.list.addItem(item)
        if self.index is not None:
            self.list.setCurrentRow(self.index)

    # -- what is remembered ----------------------------------------------------------------
    def completed(self) -> set[str]:
        try:
            keys = json.loads(self.store.qsettings.value(COMPLETED_KEY, "[]"))
        except (TypeError, ValueError):
            return set()
        return {k for k in keys if isinstance(k, str)} if isinstance(keys, list) else set()

    def _mark_completed(self, lesson: Lesson) -> None:
        if not lesson.key or lesson.key in self.completed():
            return
        self.store.set_value(COMPLETED_KEY, json.dumps(sorted(self.completed() | {lesson.key})))
        self.store.sync()
        self._fill_list()

    # -- opening and leaving -------------------------------------------------------------
    def open_lesson(self, index: int) -> bool:
        """Start the bundled lesson at ``index`` (asking about unsaved work first)."""
        if not 0 <= index < len(self.lessons):
            return False
        return self.start(self.lessons[index], index)

    def open_file(self, path: str) -> bool:
        """Start a teacher's lesson file; a bad file is refused with its one-line message."""
        try:
            lesson = lessons.load(path)
        except NnvizError as exc:
            self.dialogs.error(self, "Cannot open the lesson", str(exc))
            return False
        return self.start(lesson, None)

    def start(self, lesson: Lesson, index: int | None) -> bool:
        if not self.maybe_save("Save the network before starting the lesson?"):
            self._fill_list()  # the click did not open it
            return False
        try:
            self.session.apply_lesson(lesson.setup, lesson.data, lesson.title)
        except NnvizError as exc:
            self.dialogs.error(self, "Cannot start the lesson", str(exc))
            self._fill_list()
            return False
        self._bring_back_controls()
        for name, dock in self.panels.items():
            dock.setVisible(name in lesson.panels)
        for name in lesson.hide:
            widget = self.hideable.get(name)
            if widget is not None and widget.isVisible():
                widget.hide()
                self._hidden.append(widget)
        if lesson.speed is not False:
            self.set_speed(speed_index(lesson.speed))
        self.lesson, self.index = lesson, index
        self.attempt = Attempt(lesson)
        self._fill_list()
        self._show_lesson()
        self.sigLessonChanged.emit(lesson)
        return True

    def leave(self) -> None:
        """End the lesson: the controls it hid come back; the session stays as it is."""
        self._bring_back_controls()
        if self.lesson is None:
            return
        self.lesson = self.attempt = None
        self.index = None
        self.list.clearSelection()
        self._show_lesson()
        self.sigLessonChanged.emit(None)

    def _bring_back_controls(self) -> None:
        for widget in self._hidden:
            widget.show()
        self._hidden = []

    def go(self, delta: int) -> bool:
        """Previous (-1) or Next (+1) lesson in the list."""
        if self.index is None:
            return self.open_lesson(0 if delta > 0 else len(self.lessons) - 1)
        return self.open_lesson(self.index + delta)

    # -- showing -------------------------------------------------------------------------
    def _show_lesson(self) -> None:
        for row in self.goal_rows:
            self.goals.removeWidget(row)
            row.deleteLater()
        self.goal_rows = []
        lesson = self.lesson
        self.leave_button.setEnabled(lesson is not None)
        self.previous_button.setEnabled(self.index is None or self.index > 0)
        self.next_button.setEnabled(self.index is None or self.index < len(self.lessons) - 1)
        self.goals_title.setVisible(lesson is not None)
        self.status.clear()
        if lesson is None:
            self.title.setText("Choose a lesson above to start")
            return
        number = f"Lesson {self.index + 1}: " if self.index is not None else ""
        self.title.setText(number + lesson.title)
        self.text.setMarkdown(lesson.text)
        for check in lesson.checks:
            row = GoalRow(check)
            self.goals.addWidget(row)
            self.goal_rows.append(row)

    def _on_frame(self, snap) -> None:
        attempt = self.attempt
        if attempt is None or attempt.complete:
            return
        newly = attempt.observe(snap, self.session.setup)
        for i in newly:
            self.goal_rows[i].set_ticked(True)
        if newly and attempt.complete:
            self.status.setText("Every goal reached. Well done!"
                                + (" Press Next for the next lesson." if self.next_button.isEnabled() else ""))
            self._mark_completed(attempt.lesson)
