"""The main window: it assembles the views, the controls, the menus and the learning panels.

The state of the session lives in one place, ``self.session`` (the core's
``Session``, behind the ``SessionModel`` that turns its events into Qt
signals and owns the training thread).  The window routes what the user does
to the session's methods and draws what the session says: a new run, edited
points, a snapshot, or what is shown (the live network or a past epoch).  A
change the session refuses raises ``NnvizError`` having changed nothing; the
window shows the message and puts the controls back to the session's set-up.
"""

from __future__ import annotations

import contextlib
import math
import random
from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtWidgets import (
    QDockWidget,
    QGroupBox,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStyle,
    QToolBar,
    QWidget,
)

from nnviz import __version__
from nnviz.core import datasets, edits, features
from nnviz.core.datasets import MAX_CLASSES, Dataset
from nnviz.core.errors import NnvizError
from nnviz.core.plane import PlaneSampler
from nnviz.core.setup import DataSpec
from nnviz.core.session import COORDINATE_LIMIT, DataChange, FileState, RunStart, Shown
from nnviz.gui import jobs, theme, view_turns
from nnviz.gui.boundary_view import BoundaryView
from nnviz.gui.controls import DEFAULT_SPEED, SPEEDS, ControlsPanel
from nnviz.gui.diagram_view import HELP as DIAGRAM_HELP
from nnviz.gui.diagram_view import MODES as DIAGRAM_MODES
from nnviz.gui.diagram_view import DiagramView
from nnviz.gui.dialogs import Dialogs
from nnviz.gui.file_actions import FileActions
from nnviz.gui.learning_panels import LearningPanels
from nnviz.gui.lessons_view import LessonsView
from nnviz.gui.panel import fix_size
from nnviz.gui.loss_view import LossView
from nnviz.gui.session_model import SessionModel
from nnviz.gui.settings_store import SettingsStore

# A past epoch's accuracy is computed on the GUI thread when the history
# slider moves; above this many points it is left out rather than stall.
PAST_ACCURACY_MAX_POINTS = 20_000


class DataEdit(QUndoCommand):
    """One undoable change of the training points (a drag, an added, deleted or flipped point)."""

    def __init__(self, window: MainWindow, before: Dataset, after: Dataset, text: str) -> None:
        super().__init__(text)
        self.window, self.before, self.after = window, before, after

    def redo(self) -> None:
        with self.window.editing():
            self.window.session.edit_data(self.after)

    def undo(self) -> None:
        with self.window.editing():
            self.window.session.edit_data(self.before)


def _fmt_loss(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6f}" if 1e-4 <= value < 1e4 else f"{value:.3e}"


class MainWindow(QMainWindow):
    sigFrame = Signal(object)  # every accepted Snapshot, drawn (live) or only recorded (a past epoch shown)

    def __init__(self, store: SettingsStore | None = None, dialogs: Dialogs | None = None) -> None:
        super().__init__()
        theme.configure_pyqtgraph()
        self.setWindowIcon(theme.app_icon())
        # Python's cycle collector runs in whichever thread crosses its
        # allocation threshold.  When that is a training thread and the garbage
        # holds Qt objects (a closed dialog, a replaced menu), their destructors
        # run off the GUI thread and Qt deadlocks (seen: the worker stuck in
        # QObject::~QObject waiting for the GIL while the GUI thread waited for
        # Qt's mutex).  pyqtgraph's collector turns automatic collection off and
        # collects on a timer in this thread instead.
        self._garbage_collector = GarbageCollector(interval=0.5)
        self.store = store if store is not None else SettingsStore()
        self.dialogs = dialogs if dialogs is not None else Dialogs()
        self.model = SessionModel(self.store.setup(), parent=self)
        self.session = self.model.session
        self.worker = self.model.worker
        self.panels: list[tuple[QDockWidget, QWidget]] = []
        self._drag_before: Dataset | None = None  # the points before the drag under way
        self._last_message: str | None = None
        self._closing = False
        self._sampler = PlaneSampler()
        self._fed: Shown | None = None  # what the visible panels were last given
        # Training flat out, the loss curve and the diagram redraw on alternate frames.
        self._view_turns = view_turns.ViewTurns()
        self._turn = view_turns.BOTH
        self._catch_up = QTimer(self, singleShot=True, interval=int(view_turns.CATCH_UP * 1000))
        self._catch_up.timeout.connect(self._draw_skipped)
        self.undo_stack = QUndoStack(self)
        self._in_undo_step = False

        self.boundary = BoundaryView()
        self.diagram = DiagramView()
        self.loss_view = LossView()
        self.files = FileActions(self.model, self, self.dialogs, self.store,
                                 {"window": self, "boundary": self.boundary, "diagram": self.diagram,
                                  "loss": self.loss_view}, self.loss_view)
        self._build_actions()
        self.controls = ControlsPanel(self.actions)
        self._build_layout()
        self._build_menus()
        self._build_status_bar()
        self._connect_views()
        self._update_title(FileState(None, False))

        self.controls.set_speed_index(self.store.int_value("view/speed", DEFAULT_SPEED))
        self.loss_view.set_log_scale(self.store.bool_value("view/log_scale", True))
        self.diagram.set_show_unit_maps(self.store.bool_value("view/unit_maps", True))
        self.unit_maps_action.setChecked(self.diagram.show_unit_maps)
        self.diagram.set_mode(self.store.choice_value("view/diagram_mode", DIAGRAM_MODES, DIAGRAM_MODES[0]))
        self.diagram.animate_action.setChecked(self.store.bool_value("view/animate_steps", False))
        self.diagram.attach(self.worker.set_diagram_needs)  # snapshots carry what the diagram shows
        # Docked before the saved layout is restored, so the layout can place them.
        self.learning = LearningPanels(self.model, self.add_panel, self.diagram, self.loss_view)
        self._build_lessons()
        self.model.start()
        self._restore_window()

    # -- the session's state, read-only (tests and benchmarks read these) --------------------
    @property
    def latest(self):
        return self.session.latest

    @property
    def data(self) -> Dataset:
        return self.session.data

    @property
    def setup(self):
        return self.session.setup

    @property
    def playing(self) -> bool:
        return self.session.playing

    @property
    def modified(self) -> bool:
        return self.session.modified

    @property
    def path(self) -> str | None:
        return self.session.path

    def attempt(self, title: str, change, *args) -> bool:
        """Run a change of the session; if it is refused, say why and show the session's set-up again."""
        try:
            change(*args)
        except NnvizError as exc:
            self.dialogs.error(self, title, str(exc))
            self.controls.set_setup(self.session.setup)
            return False
        return True

    # -- building ---------------------------------------------------------------------
    def _action(self, name: str, text: str, slot, shortcuts=(), tip: str = "", checkable: bool = False,
                icon: QStyle.StandardPixmap | None = None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        keys = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
        action.setToolTip(f"{tip} ({keys})" if tip and keys else tip or text)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        self.actions[name] = action
        return action

    def _build_actions(self) -> None:
        self.actions: dict[str, QAction] = {}
        sp = QStyle.StandardPixmap
        f = self.files
        a = self._action
        a("new", "&New", f.new, [QKeySequence.StandardKey.New],
          "Start over from the tutorial's set-up (XOR, 2-4-1 sigmoid)", icon=sp.SP_FileIcon)
        a("open", "&Open Weights…", f.open, [QKeySequence.StandardKey.Open],
          "Open a saved network (.npz weights file)", icon=sp.SP_DialogOpenButton)
        a("save", "&Save", f.save, [QKeySequence.StandardKey.Save],
          "Save the network, its data and settings", icon=sp.SP_DialogSaveButton)
        a("save_as", "Save &As…", f.save_as, [QKeySequence.StandardKey.SaveAs],
          "Save to a new weights file")
        a("import_points", "&Import Points from CSV…", f.import_points, (),
          "Train on points from a CSV file (x1,x2,label); resets the weights")
        a("export_points", "&Export Points as CSV…", f.export_points, (),
          "Write the training points to a CSV file (x1,x2,label)")
        a("export_loss", "Export &Loss History as CSV…", f.export_loss, (),
          "Write the loss of every epoch to a CSV file")
        for key, what in (("window", "the whole window"), ("boundary", "the decision boundary"),
                          ("diagram", "the network diagram"), ("loss", "the loss curve")):
            a(f"export_png_{key}", f"{what[0].upper()}{what[1:]}…", lambda _=False, k=key: f.export_png(k), (),
              f"Save a PNG image of {what}")
        a("quit", "&Quit", self.close, [QKeySequence.StandardKey.Quit], "Quit nnviz")

        a("delete_point", "&Delete Selected Point", self.delete_selected, [QKeySequence.StandardKey.Delete],
          "Delete the selected data point (select one by clicking it)")
        a("flip_point", "&Flip Class of Selected Point", self.flip_selected, ["F"],
          "Give the selected data point the next class")
        for k in range(MAX_CLASSES):
            a(f"class_{k}", f"Click Adds Class {k}", lambda _=False, k=k: self.set_current_class(k),
              [str(k + 1)], f"A click on the plane adds a point of class {k}")

        a("play", "&Play", self.toggle_play, ["Space"], "Start or pause training", icon=sp.SP_MediaPlay)
        a("step", "&Step", self.step, ["S", "Right"], "Train exactly one epoch and show it",
          icon=sp.SP_MediaSkipForward)
        # A menu shows only an action's first shortcut, unless its text names them after a tab.
        self.actions["step"].setText("&Step\tS or →")
        self.actions["step"].setIconText("Step")
        a("reset", "&Reset", self.reset_weights, ["R"],
          "Back to the same initial weights, epoch 0", icon=sp.SP_BrowserReload)
        a("new_seed", "New See&d", self.new_seed, ["N"], "Draw new initial weights (a new seed) and reset")
        self.actions["new_seed"].setIcon(theme.dice_icon())
        a("slower", "S&lower", lambda: self._nudge_speed(-1), ["["], "Train more slowly")
        a("faster", "&Faster", lambda: self._nudge_speed(+1), ["]"], "Train faster")

        self.log_scale_action = a("log_scale", "&Logarithmic Loss Axis", self.loss_view.set_log_scale, ["L"],
                                  "Show the loss on a logarithmic scale", checkable=True)
        a("fit_view", "&Fit View to Data", self.fit_view_to_data, ["Ctrl+0"],
          "Frame every point in the decision boundary view (edits keep the view still)")
        self.unit_maps_action = a("unit_maps", "&Unit Output Maps", self.diagram.set_show_unit_maps, ["U"],
                                  "Show inside each unit of the diagram what it computes over the input plane",
                                  checkable=True)
        a("help_keys", "&Keyboard and Mouse", self._show_help, [QKeySequence.StandardKey.HelpContents],
          "What the keys and mouse do")
        a("about", "&About nnviz", self._show_about, (), "About nnviz")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.undo_action.setToolTip("Undo the last change to the data points")
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        redo_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Redo)
        if QKeySequence("Ctrl+Shift+Z") not in redo_keys:  # the issue asks for it on every platform
            redo_keys.append(QKeySequence("Ctrl+Shift+Z"))
        self.redo_action.setShortcuts(redo_keys)
        self.redo_action.setToolTip("Redo the change just undone")
        for action in (self.undo_action, self.redo_action):
            self.addAction(action)

    def _build_layout(self) -> None:
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.diagram)
        right.addWidget(self.loss_view)
        right.setSizes([380, 380])
        right.setChildrenCollapsible(False)  # a view dragged to nothing looks like a view gone
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.boundary)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([620, 470])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.controls_dock = QDockWidget("Settings", self)
        self.controls_dock.setObjectName("controlsDock")
        self.controls_dock.setWidget(scroll)
        self.controls_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                       | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.controls.setMinimumWidth(self.controls.sizeHint().width())
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.controls_dock)
        # The side docks run the window's full height and the bottom panels sit between
        # them, under the main views: a bottom panel takes height from the views alone, and a
        # right one keeps the height it needs (the inspector's numbers, the predictions table).
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

        toolbar = QToolBar("Training")
        toolbar.setObjectName("trainingToolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setMovable(False)
        for name in ("play", "step", "reset", "new_seed"):
            toolbar.addAction(self.actions[name])
        toolbar.addSeparator()
        for name in ("open", "save"):
            toolbar.addAction(self.actions[name])
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _build_menus(self) -> None:
        bar = self.menuBar()
        acts = self.actions
        file_menu = bar.addMenu("&File")
        for name in ("new", "open"):
            file_menu.addAction(acts[name])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(lambda: self.files.fill_recent_menu(self.recent_menu))
        for name in ("save", "save_as"):
            file_menu.addAction(acts[name])
        file_menu.addSeparator()
        for name in ("import_points", "export_points", "export_loss"):
            file_menu.addAction(acts[name])
        images = file_menu.addMenu("Export &Image")
        for key in ("window", "boundary", "diagram", "loss"):
            images.addAction(acts[f"export_png_{key}"])
        file_menu.addSeparator()
        file_menu.addAction(acts["quit"])

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(acts["delete_point"])
        edit_menu.addAction(acts["flip_point"])
        classes_menu = edit_menu.addMenu("&Class of New Points")
        for k in range(MAX_CLASSES):
            classes_menu.addAction(acts[f"class_{k}"])

        train_menu = bar.addMenu("&Training")
        for name in ("play", "step", "reset", "new_seed"):
            train_menu.addAction(acts[name])
        train_menu.addSeparator()
        train_menu.addAction(acts["slower"])
        train_menu.addAction(acts["faster"])

        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.log_scale_action)
        self.view_menu.addAction(self.unit_maps_action)
        for action in self.diagram.menu_actions(self):  # the diagram's modes and its step animation
            self.view_menu.addAction(action)
            self.addAction(action)
        self.view_menu.addAction(acts["fit_view"])
        self.view_menu.addSeparator()
        toggle = self.controls_dock.toggleViewAction()
        toggle.setText("&Settings Panel")
        toggle.setToolTip("Show or hide the settings panel")
        self.view_menu.addAction(toggle)
        self._panels_separator = self.view_menu.addSeparator()

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(acts["help_keys"])
        help_menu.addAction(acts["about"])
        for menu in (file_menu, edit_menu, train_menu, self.view_menu, help_menu, images):
            menu.setToolTipsVisible(True)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.message_label = QLabel()
        self.message_label.setStyleSheet(f"color: {theme.VERMILLION}; font-weight: bold;")
        bar.addWidget(self.message_label)
        self.status_labels: dict[str, QLabel] = {}
        tips = {
            "epoch": "Epochs trained so far",
            "loss": "Training loss of the last epoch (measured before its update, as in the tutorial)",
            "accuracy": "Share of points the network classifies right (its most likely class).\n"
                        "For regression, R²: the share of the targets' spread the network explains "
                        "(1 is perfect)",
            "speed": "Epochs trained per second",
            "click": "What a click on the plane adds. Keys 1-8 choose the class; Shift+click adds class 1",
        }
        # The widest text each label is expected to show.  These labels change
        # every frame: at a fixed size, a new text repaints the label alone
        # instead of laying out the status bar and the whole window again.
        widest = {
            "epoch": "epoch 100,000,000 (history)",
            "loss": "loss 0.000000e-000",
            "accuracy": "accuracy 100% · test 100%",
            "speed": "1,000,000 epochs/s",
            "click": "Click adds a point at the prediction",
        }
        for key, tip in tips.items():
            label = QLabel()
            label.setToolTip(tip)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            fix_size(label, widest[key])
            bar.addPermanentWidget(label)
            self.status_labels[key] = label

    def _connect_views(self) -> None:
        self.boundary.sigPointMoved.connect(self._point_moved)
        self.boundary.sigPointAdded.connect(self._point_added)
        self.boundary.sigPointDeleted.connect(lambda i: self._edit(edits.delete_point, i, text="Delete point"))
        self.boundary.sigPointFlipped.connect(self._flip)
        self.boundary.sigSelectionChanged.connect(self._selection_changed)
        self.boundary.sigPlaneChanged.connect(self.session.set_plane)
        self.diagram.sigEditRequested.connect(self._edit_parameter)
        self.diagram.sigFeatureToggled.connect(self._feature_toggled)
        self.loss_view.sigLogScaleChanged.connect(self.log_scale_action.setChecked)
        self.controls.sigTrain.connect(self._settings_edited)
        self.controls.sigModel.connect(self._model_edited)
        self.controls.sigData.connect(self._data_spec_edited)
        self.controls.sigSpeed.connect(self._speed_changed)
        m = self.model
        m.sigSetup.connect(self.controls.set_setup)
        m.sigRun.connect(self._on_run)
        m.sigData.connect(self._on_data)
        m.sigFrame.connect(self._on_frame)
        m.sigShown.connect(self._on_shown)
        m.sigPlaying.connect(self._on_playing)
        m.sigFile.connect(self._update_title)
        m.sigMessage.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self._selection_changed(None)

    def _restore_window(self) -> None:
        geometry, state = self.store.geometry(), self.store.window_state()
        if geometry is None or not self.restoreGeometry(geometry):
            # The size the views were designed at, or the screen's free area if that is smaller
            # (a 1366x768 laptop must see the status bar and the axes).
            free = self.screen().availableGeometry()
            frame = self.frameGeometry().size() - self.geometry().size()  # the title bar and borders
            self.resize(min(1360, free.width() - frame.width()), min(840, free.height() - frame.height()))
        if state is not None:
            self.restoreState(state)

    # -- lessons ---------------------------------------------------------------------------
    def _build_lessons(self) -> None:
        """The Lessons panel (docked on the right, above the learning panels), its menu items and the hint."""
        groups = {box.title().lower(): box for box in self.controls.findChildren(QGroupBox)}
        hideable = {"settings": self.controls_dock, "toolbar": self.toolbar,
                    **{name: groups[name] for name in ("training", "network", "data")}}
        self.lessons = LessonsView(self.model, self.dialogs, self.store, self.files.maybe_save,
                                   self.learning.docks, hideable, self.controls.set_speed_index)
        dock = self.lessons_dock = QDockWidget("Lessons", self)
        dock.setObjectName("lessonsDock")
        dock.setWidget(self.lessons)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock, Qt.Orientation.Vertical)
        dock.hide()
        # A new session or an opened file ends the lesson: its goals were about its own set-up.
        self.files.sigReplaced.connect(self.lessons.leave)
        # Closing the panel ends the lesson, so no control stays hidden.
        dock.toggleViewAction().toggled.connect(lambda shown: shown or self.lessons.leave())
        toggle = dock.toggleViewAction()
        toggle.setText("&Lessons")
        toggle.setToolTip("Show or hide the Lessons panel")
        self.view_menu.addAction(toggle)
        menus = {action.text(): action.menu() for action in self.menuBar().actions()}
        show = self._action("lessons", "&Lessons", self.show_lessons, ["Ctrl+Shift+L"],
                            "Step-by-step lessons: the tutorial, live, with goals that tick")
        menus["&Help"].insertAction(self.actions["help_keys"], show)
        open_lesson = self._action("open_lesson", "Open &Lesson…", self.open_lesson_file, (),
                                   "Open a lesson file (.toml) written by a teacher")
        menus["&File"].insertAction(self.recent_menu.menuAction(), open_lesson)
        if not self.store.bool_value("lessons/hinted", False):
            self.store.set_value("lessons/hinted", True)
            QTimer.singleShot(0, lambda: self.statusBar().showMessage(
                # Short enough for the status bar beside its figures at 1366 pixels wide.
                "New here? Try Help ▸ Lessons (Ctrl+Shift+L)", 20000))

    def show_lessons(self) -> None:
        self.lessons_dock.show()
        self.lessons_dock.raise_()

    def open_lesson_file(self) -> bool:
        path = self.dialogs.open_path(self, "Open lesson", self.store.last_directory(),
                                      "Lessons (*.toml);;All files (*)")
        if not path:
            return False
        self.store.set_last_directory(path)
        self.show_lessons()
        return self.lessons.open_file(path)

    # -- learning panels ----------------------------------------------------------------
    def add_panel(self, title: str, widget: QWidget, area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
                  visible: bool = True, shortcut: str | None = None) -> QDockWidget:
        """Dock ``widget`` with a View-menu toggle; while visible it gets ``set_state`` for what is shown.

        ``widget.set_state(network, data, settings, epoch, optimizer, rng_state)``
        receives copies that no one else writes to.  Panels that need every
        frame even while hidden (a history recorder) connect to the model's
        ``sigFrame`` instead.
        """
        dock = QDockWidget(title, self)
        dock.setObjectName(f"panel_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        others = [d for d, _ in self.panels if self.dockWidgetArea(d) == area]
        self.addDockWidget(area, dock)
        if others:
            self.tabifyDockWidget(others[-1], dock)
        toggle = dock.toggleViewAction()
        toggle.setToolTip(f"Show or hide the {title} panel")
        if shortcut:
            toggle.setShortcut(QKeySequence(shortcut))
        # Panels of one side share it as tabs; one just opened comes to the front, or its
        # shortcut would seem to do nothing behind the tab already shown.
        toggle.triggered.connect(lambda checked, d=dock: checked and d.raise_())
        self.view_menu.addAction(toggle)
        self.panels.append((dock, widget))
        dock.visibilityChanged.connect(lambda visible, w=widget: visible and self._feed_panel(w, self.session.shown()))
        dock.setVisible(visible)
        return dock

    @staticmethod
    def _feed_panel(widget: QWidget, shown: Shown) -> None:
        if hasattr(widget, "set_state"):
            widget.set_state(shown.network, shown.data, shown.settings, shown.epoch, shown.optimizer,
                             shown.rng_state)

    # -- what the session says -------------------------------------------------------------
    @contextlib.contextmanager
    def editing(self):
        """An undo step runs: the undo history must not be emptied under it (see ``_forget_edits``)."""
        self._in_undo_step = True
        try:
            yield
        finally:
            self._in_undo_step = False

    def _forget_edits(self) -> None:
        """Empty the undo history: now, or once the undo step under way (a refit inside it) has ended.

        Emptied in the middle of its own push, QUndoStack would keep the step
        that started the new run, and undoing it would bring the old points back.
        """
        if self._in_undo_step:
            QTimer.singleShot(0, self.undo_stack.clear)
        else:
            self.undo_stack.clear()

    def _on_run(self, start: RunStart) -> None:
        if start.data is not self.boundary.data:
            # Other points: undoing an edit of the old ones would bring them back.
            self._forget_edits()
            self._cancel_drag()
            self.boundary.set_data(start.data, new=True)
        self.boundary.fit(start.data, keep=start.keep_bounds)
        if start.keep_losses:
            self.loss_view.truncate(start.epoch - 1)  # the epochs from the resumed one on are trained again
            self.loss_view.redraw()
        else:
            self.loss_view.reset(start.epoch)
        self._last_message = None
        self.message_label.clear()
        self.statusBar().showMessage(start.message, 8000)

    def _on_data(self, change: DataChange) -> None:
        if change.cause != "drag":
            self._cancel_drag()
        if change.cause == "redraw":
            self._forget_edits()
        self.boundary.set_data(change.data, new=change.cause == "redraw")
        if change.cause == "redraw":
            self.boundary.fit(change.data, keep=True)
        # An edit keeps the view still: a point is added, moved or flipped where the user
        # points, and a view that grew under the mouse would send the next click elsewhere.

    def _on_frame(self, snap) -> None:
        self._turn = self._view_turns.frame(snap.running)
        if len(snap.losses):
            self.loss_view.add(snap.first_epoch, snap.losses, snap.test_losses)
        elif self.loss_view.history.empty and math.isfinite(snap.weights_loss):
            # Nothing trained yet in this run (a network just opened, a reset): the loss of its
            # weights is the loss its next epoch will start from, so the curve starts there.
            self.loss_view.add(snap.epoch, np.array([snap.weights_loss]), None)
        if view_turns.LOSS in self._turn:
            self.loss_view.redraw()
        else:
            self._catch_up.start()
        if snap.message != self._last_message:
            self._last_message = snap.message
            self.message_label.setText(snap.message or "")
        self.status_labels["speed"].setText(f"{snap.epochs_per_s:,.0f} epochs/s" if self.playing else "paused")
        self.sigFrame.emit(snap)

    def _on_shown(self, shown: Shown) -> None:
        snap = shown.snapshot
        if snap is not None:
            image, bounds = snap.image, snap.bounds
        else:
            bounds = self.boundary.plane or self.boundary.bounds
            image = self._sampler.image(shown.network, bounds) if bounds is not None else None
        if image is not None:
            self.boundary.set_image(image, bounds, shown.network.regression)
            self.diagram.set_plane(bounds)
        # Only the frame's own update takes its turn; anything else is drawn at once.
        turn, self._turn = self._turn, view_turns.BOTH
        draw = shown.snapshot is None or view_turns.DIAGRAM in turn
        self.diagram.show_state(shown, draw=draw)
        if not draw:
            self._catch_up.start()
        self.loss_view.set_marker(shown.epoch if shown.past else None)
        self._show_click(shown.network)
        if snap is not None:
            self._show_status(f"epoch {snap.epoch:,}", snap.loss, snap.accuracy, snap.test_accuracy,
                              shown.network.regression)
        else:
            self._show_status_of(shown)
        if not self._same_as_fed(shown):
            # Only a new network, epoch, data or settings reach the panels: a snapshot that only
            # answers a command (the plane, a pause) changes nothing in them, and redrawing them
            # anyway could resize the docks and, through the plane, ask for another snapshot.
            self._fed = shown
            for dock, widget in self.panels:
                if dock.isVisible():
                    self._feed_panel(widget, shown)

    def _draw_skipped(self) -> None:
        """Frames have stopped coming quickly: draw what the last ones left to the other view."""
        self.loss_view.redraw()
        self.diagram.update()

    def _same_as_fed(self, shown: Shown) -> bool:
        fed = self._fed
        return (fed is not None and fed.epoch == shown.epoch and fed.past == shown.past
                and fed.data is shown.data and fed.settings == shown.settings
                and np.array_equal(fed.network.params, shown.network.params, equal_nan=True))

    def _show_status_of(self, shown: Shown) -> None:
        """Status of a network that no snapshot describes: a past epoch, or a run not reported yet.

        A new run's first snapshot follows within a frame with its loss and accuracy: until then
        dashes, rather than a forward pass over every point on the GUI thread at each reset.
        """
        loss = acc = math.nan
        if shown.past and len(shown.data.X) <= PAST_ACCURACY_MAX_POINTS:
            loss, acc = shown.network.evaluate(shown.data.X, shown.data.y)
        epoch = f"epoch {shown.epoch:,}" + (" (history)" if shown.past else "")
        self._show_status(epoch, loss, acc, math.nan, shown.network.regression)

    def _show_status(self, epoch_text: str, loss: float, score: float, test_score: float,
                     regression: bool = False) -> None:
        """The epoch, the loss and the score: accuracy for classes, R² (``score``) for regression."""
        labels = self.status_labels
        labels["epoch"].setText(epoch_text)
        labels["loss"].setText(f"loss {_fmt_loss(loss)}" if math.isfinite(loss) else "loss –")
        name, fmt = ("R²", "{:.2f}") if regression else ("accuracy", "{:.0%}")
        if math.isfinite(score):
            text = f"{name} {fmt.format(score)}"
            if math.isfinite(test_score):
                text += f" · test {fmt.format(test_score)}"
        else:
            text = f"{name} –"
        labels["accuracy"].setText(text)

    def _show_click(self, network) -> None:
        """Say what a click adds: a point of the current class, or one at the prediction (regression)."""
        if network.regression:
            text = "Click adds a point at the prediction"
        else:
            text = f"Click adds class {self.boundary.current_class}"
        if self.status_labels["click"].text() != text:
            self.status_labels["click"].setText(text)

    def _on_playing(self, playing: bool) -> None:
        action = self.actions["play"]
        action.setText("&Pause" if playing else "&Play")
        action.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay))
        self.status_labels["speed"].setText("running" if playing else "paused")
        if playing:
            self.message_label.clear()
            self._last_message = None
            self.statusBar().clearMessage()

    # -- commands ---------------------------------------------------------------------------
    def set_playing(self, playing: bool) -> None:
        self.session.set_playing(playing)

    def toggle_play(self) -> None:
        self.session.set_playing(not self.session.playing)

    def step(self) -> None:
        self.session.step(1)

    def reset_weights(self) -> None:
        self.session.reset()

    def new_seed(self) -> None:
        self.attempt("Cannot use this seed", self.session.new_seed, random.randrange(1, 100_000))

    def fit_view_to_data(self) -> None:
        self.boundary.fit(self.session.data, keep=False)

    def _nudge_speed(self, delta: int) -> None:
        self.controls.set_speed_index(self.controls.speed.value() + delta)

    def _speed_changed(self, rate: float | None) -> None:
        self.session.set_speed(rate)
        self.store.set_value("view/speed", SPEEDS.index(rate))

    # A control changed one field: the rest comes from the session's set-up, never from the widgets.
    def _settings_edited(self, change: dict) -> None:
        self.attempt("Cannot use these settings",
                     lambda: self.session.change_settings(replace(self.session.setup.settings, **change)))

    def _model_edited(self, change: dict) -> None:
        self.attempt("Cannot use this network", lambda: self.session.change_model(self._model_with(change)))

    def _feature_toggled(self, name: str) -> None:
        """An input clicked in the diagram: on if it was off, off if it was on (one must stay on)."""
        on = self.session.setup.model.features
        chosen = tuple(n for n in on if n != name) if name in on else (*on, name)
        if not chosen:
            self.statusBar().showMessage("The network needs at least one input: turn another on first", 5000)
            return
        self._model_edited({"features": features.check(chosen)})

    def _model_with(self, change: dict):
        """The session's model with ``change``, its outputs and task following the data where they must."""
        old = self.session.setup.model
        model = replace(old, **change)
        data = self.session.data
        if model.output_activation == "softmax" and old.output_activation != "softmax":
            model = replace(model, classes=max(2, data.classes))  # one unit per class, two for binary data
        # A linear output with mse on real targets is a regression; anything else is a classifier (and
        # the session refuses it on real targets, saying why).
        regression = data.regression and (model.output_activation, model.loss) == ("linear", "mse")
        return replace(model, task="regression" if regression else "classification")

    def _data_spec_edited(self, change: dict) -> None:
        old = self.session.setup.data
        # Points from a file have no generator knobs: another preset starts from its own defaults.
        spec = DataSpec(change["name"]) if old.name == "custom" and "name" in change else replace(old, **change)
        if spec.name not in datasets.MULTICLASS:
            spec = replace(spec, classes=2)  # only spiral and gaussians take a number of classes
        self.attempt("Cannot make this data set", self.session.change_data_spec, spec)

    # -- data edits -------------------------------------------------------------------
    def _edit(self, edit, *args, text: str) -> None:
        try:
            after = edit(self.session.data, *args)
        except NnvizError as exc:
            self.statusBar().showMessage(str(exc), 5000)
            return
        self.undo_stack.push(DataEdit(self, self.session.data, after, text))

    def _cancel_drag(self) -> None:
        """The points were replaced under a drag: it ends here, and its later moves are ignored."""
        self._drag_before = None
        self.boundary.cancel_drag()

    def _point_moved(self, index: int, x: float, y: float, finished: bool) -> None:
        if self._drag_before is None:
            self._drag_before = self.session.data
        try:
            moved = edits.move_point(self.session.data, index, (x, y))
            if finished:
                before, self._drag_before = self._drag_before, None
                self.undo_stack.push(DataEdit(self, before, moved, "Move point"))
            else:
                self.session.edit_data(moved, "drag")
        except NnvizError as exc:
            self._cancel_drag()
            self.statusBar().showMessage(f"The point cannot go there: {exc}", 5000)

    def _point_added(self, x: float, y: float, label: int) -> None:
        if self.session.data.regression:
            # A new point's target is what the network says there now: it adds no error until it is
            # dragged, and the learner sees where the fit goes when it is.
            network = self.session.shown().network
            with np.errstate(all="ignore"):
                target = float(network.predict(np.array([[x, y]]))[0, 0])
            if not (math.isfinite(target) and abs(target) <= COORDINATE_LIMIT):
                self.statusBar().showMessage(f"The network predicts {target:g} there: too far off to be a "
                                             "point's target (it diverged). Reset it first", 5000)
                return
            self._edit(edits.add_point, (x, y), target, text="Add point")
            return
        self._edit(edits.add_point, (x, y), label, text=f"Add class-{label} point")

    def set_current_class(self, label: int) -> None:
        """The number keys: the class a click adds from now on."""
        self.boundary.set_current_class(label)
        network = self.session.shown().network
        self._show_click(network)
        if network.regression:
            message = "Regression: a click adds a point whose target is the network's prediction there"
        elif label >= network.classes:
            message = (f"Click adds class {label}: the first such point gives the network {label + 1} "
                       "softmax outputs (the weights are reset)")
        else:
            message = f"Click adds class {label} (Shift+click: class 1)"
        self.statusBar().showMessage(message, 5000)

    def _flip(self, index: int) -> None:
        network = self.session.shown().network
        self._edit(edits.flip_point, index, network.classes or None, text="Change class")

    def _selection_changed(self, index) -> None:
        for name in ("delete_point", "flip_point"):
            self.actions[name].setEnabled(index is not None)

    def delete_selected(self) -> None:
        if self.boundary.selected is not None:
            self._edit(edits.delete_point, self.boundary.selected, text="Delete point")

    def flip_selected(self) -> None:
        if self.boundary.selected is not None:
            self._flip(self.boundary.selected)

    def _edit_parameter(self, layer: int, row: int, col: int, value: float, what: str) -> None:
        new = self.dialogs.get_number(self, "Edit weight", f"{what}\nNew value:", value)
        if new is None:
            return
        if self.attempt("Cannot set this weight", self.session.set_parameter, layer, row, col, new):
            self.statusBar().showMessage(f"{what} set to {new:g}; training continues from there", 5000)

    # -- waiting (saving, tests) -------------------------------------------------------------
    def wait_for_sync(self, timeout: float = 2.0) -> bool:
        """Process events until a snapshot reflects every command sent (for saving, and tests)."""
        return self.model.wait_for_sync(timeout)

    # -- misc ------------------------------------------------------------------------
    def set_modified(self, modified: bool) -> None:
        self.session.set_modified(modified)

    def _update_title(self, state: FileState) -> None:
        name = state.path.rsplit("/", 1)[-1] if state.path else "untitled"
        self.setWindowTitle(f"{name}[*] — nnviz")
        self.setWindowModified(state.modified)

    def _show_help(self) -> None:
        panels = "".join(f"  {dock.toggleViewAction().shortcut().toString()}  {dock.windowTitle()}\n"
                         for dock in self.learning.docks.values())
        self.dialogs.info(self, "Keyboard and mouse", (
            "Training\n  Space  play / pause\n  S or Right  one epoch\n  R  reset to the initial weights\n"
            "  N  new seed\n  [ and ]  slower / faster\n\n"
            "Views\n  L  log-scale loss axis\n  U  unit output maps in the diagram\n" + DIAGRAM_HELP +
            "  Ctrl+0  fit the decision boundary view to the data\n" + panels
            + "  Ctrl+Shift+L  Lessons\n\n"
            "Files\n  Ctrl+N  new   Ctrl+O  open   Ctrl+S  save   Ctrl+Shift+S  save as   Ctrl+Q  quit\n\n"
            "On the decision boundary\n  drag a point to move it\n  click: add a point of the current class "
            "(class 0 at first), Shift+click: class 1\n"
            "  1 2 3 4 5 6 7 8: the class a click adds (1: class 0, 2: class 1, ...)\n"
            "  regression: a click adds a point whose target is the prediction there\n"
            "  right-click a point: delete it\n  double-click a point (or select it "
            "and press F): give it the next class\n  Delete: delete the selected point\n  Ctrl+Z / Ctrl+Shift+Z "
            "(or Ctrl+Y): undo / redo\n\n"
            "In the diagram\n  hover a line or unit to see its value; click it to type a new one.\n\n"
            "In the Hidden space panel\n  P / Shift+P: the next / previous pair of units"))

    def _show_about(self) -> None:
        self.dialogs.info(self, "About nnviz", (
            f"nnviz {__version__}\n\nWatch a small neural network learn: its weights, its loss and its "
            "decision boundary, live.\nBuilt on the tutorial \"Code a Neural Network from Scratch in NumPy\"."))

    # -- quitting ---------------------------------------------------------------------
    def closeEvent(self, event) -> None:
        """Ask about unsaved work and running exports, then stop every thread; close once they have ended.

        The GUI thread never waits for a thread: it asks each to stop, and the
        window closes for real when the last one has finished (within a
        second: training checks for stop between mini-batches; "Finish" waits
        for the export).  It stays visible meanwhile, disabled, because Qt
        quits the application only when a visible window closes.
        """
        if not self._closing:
            if not self.files.maybe_save("Save the network before quitting?"):
                event.ignore()
                return
            keep_going = jobs.registry().descriptions(ask_before_quit_only=True)
            finish = False
            if keep_going:
                answer = self.dialogs.ask_running(self, "Still working:\n  " + "\n  ".join(keep_going)
                                                  + "\n\nFinish it first, or stop it and discard what it made?")
                if answer == "cancel":
                    event.ignore()
                    return
                finish = answer == "finish"
            self._closing = True
            self._remember()
            self.learning.shutdown()
            self.model.request_stop()
            for job in jobs.registry().running():
                if not (finish and job.ask_before_quit):
                    job.cancel()
        if not self.threads_stopped():
            event.ignore()
            self.setEnabled(False)
            waiting = jobs.registry().descriptions(ask_before_quit_only=True)
            self.statusBar().showMessage(f"Finishing: {waiting[0]}…" if waiting else "Stopping…")
            QTimer.singleShot(20, self.close)
            return
        event.accept()

    def threads_stopped(self) -> bool:
        return self.model.stopped and not jobs.registry().running()

    def close_without_asking(self) -> None:
        """Close without asking to save (scripts and tests); a running export is still asked about."""
        self.session.set_modified(False)
        self.close()

    def _remember(self) -> None:
        self.lessons.leave()  # a lesson's hidden controls must not be saved hidden in the window's layout
        self.store.save_window(self.saveGeometry(), self.saveState())
        self.store.save_setup(self.session.setup)
        self.store.set_value("view/log_scale", self.loss_view.log_scale)
        self.store.set_value("view/unit_maps", self.diagram.show_unit_maps)
        self.store.set_value("view/diagram_mode", self.diagram.mode)
        self.store.set_value("view/animate_steps", self.diagram.animate_steps)
        self.store.sync()

    def shutdown(self, timeout: float = 1.0) -> None:
        """After the event loop has ended: stop every thread and wait for it (never on a live window)."""
        self.learning.shutdown()
        self.model.request_stop()
        registry = jobs.registry()
        registry.cancel_all()
        self.worker.wait(int(timeout * 1000))
        registry.wait_all(timeout)
