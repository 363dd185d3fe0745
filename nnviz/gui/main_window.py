"""The main window: the views, the controls, the menus, and the one training worker.

Who owns what:

* the worker thread owns the trainer (network weights, optimizer, history);
  the window learns the weights only from snapshots;
* the window owns the data set as the user edits it (``self.data``: a new
  ``Dataset`` per edit) and the set-up shown in the controls (``self.setup``),
  and sends both to the worker as commands.

Each accepted snapshot is one frame: the loss curve, the boundary, the
diagram, the status bar and every visible extra panel are updated from it.
Extra panels (issue 4) join with ``add_panel``; each is a widget with
``set_state(network, data, settings, epoch)``.
"""

from __future__ import annotations

import math
import random
import time

from PySide6.QtCore import QCoreApplication, QElapsedTimer, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStyle,
    QToolBar,
    QWidget,
)

from nnviz import __version__
from nnviz.core import edits
from nnviz.core.datasets import Dataset
from nnviz.core.errors import DataError, NnvizError
from nnviz.core.network import Network
from nnviz.core.setup import DataSpec, ModelSpec, Setup
from nnviz.core.trainer import TrainSettings
from nnviz.core.weights_file import Loaded
from nnviz.gui import gil, theme
from nnviz.gui.boundary_view import BoundaryView
from nnviz.gui.controls import DEFAULT_SPEED, SPEEDS, ControlsPanel
from nnviz.gui.diagram_view import DiagramView
from nnviz.gui.dialogs import Dialogs
from nnviz.gui.file_actions import FileActions
from nnviz.gui.learning_panels import LearningPanels
from nnviz.gui.loss_view import LossView
from nnviz.gui.settings_store import SettingsStore
from nnviz.gui.worker import Snapshot, TrainingWorker


class DataEdit(QUndoCommand):
    """One undoable change of the training points (a drag, an added, deleted or flipped point)."""

    def __init__(self, window: MainWindow, before: Dataset, after: Dataset, text: str) -> None:
        super().__init__(text)
        self.window, self.before, self.after = window, before, after

    def redo(self) -> None:
        self.window.set_data(self.after)

    def undo(self) -> None:
        self.window.set_data(self.before)


def _fmt_loss(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6f}" if value >= 1e-4 else f"{value:.3e}"


class MainWindow(QMainWindow):
    sigFrame = Signal(object)  # every accepted Snapshot, visible panels or not
    sigRunStarted = Signal(int)  # the generation of a new run (reset, load, new architecture)

    def __init__(self, store: SettingsStore | None = None, dialogs: Dialogs | None = None) -> None:
        super().__init__()
        theme.configure_pyqtgraph()
        # Python's cycle collector runs in whichever thread crosses its
        # allocation threshold.  When that is a training thread and the garbage
        # holds Qt objects (a closed dialog, a replaced menu), their destructors
        # run off the GUI thread and Qt deadlocks (seen: the worker stuck in
        # QObject::~QObject waiting for the GIL while the GUI thread waited for
        # Qt's mutex).  pyqtgraph's collector turns automatic collection off and
        # collects on a timer in this thread instead.
        self._garbage_collector = GarbageCollector(interval=0.5)
        self.path: str | None = None
        self._update_title()
        self.store = store if store is not None else SettingsStore()
        self.dialogs = dialogs if dialogs is not None else Dialogs()
        self.setup = self.store.setup()
        self.latest: Snapshot | None = None
        self.generation = 0
        self.playing = False
        self.data: Dataset | None = None
        self.data_version = 0
        self.modified = False
        self._saved_epoch = 0
        self.path: str | None = None
        self.panels: list[tuple[QDockWidget, QWidget]] = []
        self._start: tuple[Network, int] | None = None  # what Reset returns to
        self._drag_before: Dataset | None = None
        self._last_message: str | None = None
        self._frame_clock = QElapsedTimer()
        self._frame_clock.start()

        self.worker = TrainingWorker(parent=self)
        self.worker.sigSnapshotReady.connect(self._on_snapshot)
        self._frame_done = gil.AfterPaint(self.worker.frame_done, self)
        self.undo_stack = QUndoStack(self)

        self.boundary = BoundaryView()
        self.diagram = DiagramView()
        self.loss_view = LossView()
        self.files = FileActions(self)
        self._build_actions()
        self.controls = ControlsPanel(self.actions)
        self._build_layout()
        self._build_menus()
        self._build_status_bar()
        self._connect_views()

        self.worker.start()
        self.controls.set_setup(self.setup)
        self.controls.set_speed_index(self.store.int_value("view/speed", DEFAULT_SPEED))
        self.loss_view.set_log_scale(self.store.bool_value("view/log_scale", True))
        self.diagram.set_show_unit_maps(self.store.bool_value("view/unit_maps", True))
        self.unit_maps_action.setChecked(self.diagram.show_unit_maps)
        self._new_data_and_run(self._build_data(self.setup.data), "Ready: press Play (Space) to train")
        self.learning = LearningPanels(self)  # issue 4's panels; docked before the saved layout is restored
        self._restore_window()

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
          "Give the selected data point the other class")

        a("play", "&Play", self.toggle_play, ["Space"], "Start or pause training", icon=sp.SP_MediaPlay)
        a("step", "&Step", self.step, ["S", "Right"], "Train exactly one epoch and show it",
          icon=sp.SP_MediaSkipForward)
        a("reset", "&Reset", self.reset_weights, ["R"],
          "Back to the same initial weights, epoch 0", icon=sp.SP_BrowserReload)
        a("new_seed", "New See&d", self.new_seed, ["N"], "Draw new initial weights (a new seed) and reset")
        self.actions["new_seed"].setIcon(theme.dice_icon())
        a("slower", "S&lower", lambda: self._nudge_speed(-1), ["["], "Train more slowly")
        a("faster", "&Faster", lambda: self._nudge_speed(+1), ["]"], "Train faster")

        self.log_scale_action = a("log_scale", "&Logarithmic Loss Axis", self.loss_view.set_log_scale, ["L"],
                                  "Show the loss on a logarithmic scale", checkable=True)
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
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.boundary)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([620, 470])
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
        self.recent_menu.aboutToShow.connect(self.files.fill_recent_menu)
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

        train_menu = bar.addMenu("&Training")
        for name in ("play", "step", "reset", "new_seed"):
            train_menu.addAction(acts[name])
        train_menu.addSeparator()
        train_menu.addAction(acts["slower"])
        train_menu.addAction(acts["faster"])

        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.log_scale_action)
        self.view_menu.addAction(self.unit_maps_action)
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
            "accuracy": "Share of points the network classifies right (prediction rounded at 0.5)",
            "speed": "Epochs trained per second",
        }
        for key, tip in tips.items():
            label = QLabel()
            label.setToolTip(tip)
            label.setMinimumWidth({"epoch": 110, "loss": 140, "accuracy": 190, "speed": 130}[key])
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            bar.addPermanentWidget(label)
            self.status_labels[key] = label

    def _connect_views(self) -> None:
        self.boundary.sigPointMoved.connect(self._point_moved)
        self.boundary.sigPointAdded.connect(self._point_added)
        self.boundary.sigPointDeleted.connect(lambda i: self._edit(edits.delete_point, i, text="Delete point"))
        self.boundary.sigPointFlipped.connect(lambda i: self._edit(edits.flip_point, i, text="Flip class"))
        self.boundary.sigSelectionChanged.connect(self._selection_changed)
        self.boundary.sigPlaneChanged.connect(self.worker.set_plane)
        self.diagram.sigEditRequested.connect(self._edit_parameter)
        self.loss_view.sigLogScaleChanged.connect(self.log_scale_action.setChecked)
        self.controls.sigTrain.connect(self._train_settings_changed)
        self.controls.sigModel.connect(self._model_changed)
        self.controls.sigData.connect(self._data_spec_changed)
        self.controls.sigSpeed.connect(self._speed_changed)
        self._selection_changed(None)

    def _restore_window(self) -> None:
        geometry, state = self.store.geometry(), self.store.window_state()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1360, 840)
        if state is not None:
            self.restoreState(state)

    # -- extra panels (issue 4) ---------------------------------------------------------
    def add_panel(self, title: str, widget: QWidget, area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
                  visible: bool = True, shortcut: str | None = None) -> QDockWidget:
        """Dock ``widget`` with a View-menu toggle; while visible it gets ``set_state`` every frame.

        ``widget.set_state(network, data, settings, epoch)`` receives copies
        that no one else writes to.  Panels that need every frame even while
        hidden (a history recorder) can connect to ``sigFrame`` instead.
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
        self.view_menu.addAction(toggle)
        self.panels.append((dock, widget))
        dock.visibilityChanged.connect(lambda shown, w=widget: shown and self._feed_panel(w))
        dock.setVisible(visible)
        return dock

    def _feed_panel(self, widget: QWidget) -> None:
        snap = self.latest
        if snap is not None and hasattr(widget, "set_state"):
            widget.set_state(snap.network, snap.data, snap.settings, snap.epoch)

    # -- runs -------------------------------------------------------------------------
    def start_run(self, network: Network, data: Dataset, settings: TrainSettings, epoch: int = 0,
                  keep_bounds: bool = False, message: str | None = None) -> int:
        """Train ``network`` (a copy is taken) on ``data`` from ``epoch``; the loss curve starts afresh."""
        self._start = (network.copy(), epoch)
        self.generation = self.worker.load(network.copy(), data, settings, epoch)
        self.latest = None
        self.loss_view.reset(epoch)
        self.data = data
        self.data_version += 1
        self.boundary.set_data(data)
        self.boundary.fit(data, keep=keep_bounds)
        self.diagram.set_network(network.copy())
        self._show_epoch(epoch, math.nan, math.nan, math.nan, 0.0)
        self._last_message = None
        self.message_label.clear()
        if message:
            self.statusBar().showMessage(message, 8000)
        if self.playing:
            self.worker.play()
        self.sigRunStarted.emit(self.generation)
        return self.generation

    def _build_data(self, spec: DataSpec) -> Dataset:
        if spec.name == "custom" and self.data is not None:
            return self.data
        return spec.build() if spec.name != "custom" else DataSpec().build()

    def _new_data_and_run(self, data: Dataset, message: str) -> None:
        self.undo_stack.clear()
        self.start_run(self.setup.model.build(), data, self.setup.settings, message=message)

    def reset_weights(self) -> None:
        """Back to the weights this run started from (the same seed gives the same weights)."""
        network, epoch = self._start if self._start is not None else (self.setup.model.build(), 0)
        self.start_run(network, self.data, self.setup.settings, epoch, keep_bounds=True,
                       message=f"Reset: back to the initial weights at epoch {epoch}")
        self.set_modified(True)

    def new_seed(self) -> None:
        seed = random.randrange(1, 100_000)
        self.setup = Setup(ModelSpec(**{**self.setup.model.__dict__, "seed": seed}), self.setup.data,
                           self.setup.train)
        self.controls.set_setup(self.setup)
        self.start_run(self.setup.model.build(), self.data, self.setup.settings, keep_bounds=True,
                       message=f"New seed {seed}: new initial weights")
        self.set_modified(True)

    def new_session(self) -> None:
        """Forget everything: the tutorial's set-up at epoch 0, no file."""
        self.set_playing(False)
        self.setup = Setup()
        self.controls.set_setup(self.setup)
        self.path = None
        self.data = None
        self._new_data_and_run(self.setup.data.build(), "New: the tutorial's XOR network, ready to train")
        self.set_modified(False)

    def open_loaded(self, loaded: Loaded, source: str) -> None:
        """Continue from a loaded weights file (its data and settings when it has them)."""
        self.set_playing(False)
        network = loaded.network
        settings = loaded.settings or self.setup.settings
        model = ModelSpec.of(network, self.setup.model.init, self.setup.model.seed)
        data_spec = self.setup.data if loaded.data is None else DataSpec("custom", len(loaded.data.X))
        self.setup = Setup(model, data_spec, settings.to_dict())
        self.controls.set_setup(self.setup)
        self.undo_stack.clear()
        data = loaded.data if loaded.data is not None else self.data
        self.start_run(network, data, settings, loaded.epoch,
                       message=f"Opened {source}: {'-'.join(map(str, network.layers))} network at epoch "
                               f"{loaded.epoch}")

    def use_dataset(self, data: Dataset, spec: DataSpec | None = None, source: str = "") -> None:
        """Train on a whole new data set (a preset or imported points); the weights are reset."""
        spec = spec or DataSpec("custom", len(data.X))
        self.setup = Setup(self.setup.model, spec, self.setup.train)
        self.controls.set_setup(self.setup)
        self._new_data_and_run(data, f"Data set {source or spec.name}: {len(data.X)} training points; "
                                     "weights reset")
        self.set_modified(True)

    # -- training commands ---------------------------------------------------------------
    def set_playing(self, playing: bool) -> None:
        self.playing = playing
        (self.worker.play if playing else self.worker.pause)()
        action = self.actions["play"]
        action.setText("&Pause" if playing else "&Play")
        action.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay))
        if playing:
            self.set_modified(True)
            self.message_label.clear()
            self.statusBar().clearMessage()

    def toggle_play(self) -> None:
        self.set_playing(not self.playing)

    def step(self) -> None:
        if self.playing:
            self.set_playing(False)
        self.worker.step(1)
        self.set_modified(True)

    def _nudge_speed(self, delta: int) -> None:
        self.controls.set_speed_index(self.controls.speed.value() + delta)

    def _speed_changed(self, rate: float | None) -> None:
        self.worker.set_speed(rate)
        self.store.set_value("view/speed", SPEEDS.index(rate))

    def _train_settings_changed(self, settings: TrainSettings) -> None:
        self.setup = self.setup.with_settings(settings)
        self.worker.set_settings(settings)
        self.statusBar().showMessage("Training settings changed; training continues from the current weights",
                                     5000)
        self.set_modified(True)

    def _model_changed(self, model: ModelSpec) -> None:
        try:
            model.check()
        except NnvizError as exc:
            self.dialogs.error(self, "Cannot use this network", str(exc))
            self.controls.set_setup(self.setup)
            return
        old = self.setup.model
        self.setup = Setup(model, self.setup.data, self.setup.train)
        what = "Seed changed" if old.layers == model.layers and old.seed != model.seed else "Network changed"
        self.start_run(model.build(), self.data, self.setup.settings, keep_bounds=True,
                       message=f"{what}: weights reset to new initial values")
        self.set_modified(True)

    def _data_spec_changed(self, spec: DataSpec) -> None:
        old = self.setup.data
        try:
            data = spec.build()
        except NnvizError as exc:
            self.dialogs.error(self, "Cannot make this data set", str(exc))
            self.controls.set_setup(self.setup)
            return
        self.setup = Setup(self.setup.model, spec, self.setup.train)
        same_shape = (old.name, old.n, old.test_fraction) == (spec.name, spec.n, spec.test_fraction)
        self.undo_stack.clear()
        if same_shape:
            # New noise or data seed: the same problem, redrawn; keep learning on it.
            self.set_data(data)
            self.statusBar().showMessage("Data redrawn; training continues from the current weights", 5000)
        else:
            self._new_data_and_run(data, f"Data set changed to {spec.name}: weights reset")
        self.set_modified(True)

    # -- data edits -------------------------------------------------------------------
    def set_data(self, data: Dataset) -> None:
        """Train on ``data`` from the next epoch on (the weights are kept) and draw it."""
        self.data = data
        self.data_version += 1
        self.boundary.set_data(data)
        self.boundary.fit(data, keep=True)
        self.worker.set_data(data, self.data_version)
        self.set_modified(True)

    def _edit(self, edit, *args, text: str) -> None:
        try:
            after = edit(self.data, *args)
        except DataError as exc:
            self.statusBar().showMessage(str(exc), 5000)
            return
        self.undo_stack.push(DataEdit(self, self.data, after, text))

    def _point_moved(self, index: int, x: float, y: float, finished: bool) -> None:
        if self._drag_before is None:
            self._drag_before = self.data
        moved = edits.move_point(self.data, index, (x, y))
        if finished:
            before, self._drag_before = self._drag_before, None
            self.undo_stack.push(DataEdit(self, before, moved, "Move point"))
        else:
            self.set_data(moved)

    def _point_added(self, x: float, y: float, label: int) -> None:
        self._edit(edits.add_point, (x, y), label, text=f"Add class-{label} point")

    def _selection_changed(self, index) -> None:
        for name in ("delete_point", "flip_point"):
            self.actions[name].setEnabled(index is not None)

    def delete_selected(self) -> None:
        if self.boundary.selected is not None:
            self._edit(edits.delete_point, self.boundary.selected, text="Delete point")

    def flip_selected(self) -> None:
        if self.boundary.selected is not None:
            self._edit(edits.flip_point, self.boundary.selected, text="Flip class")

    def _edit_parameter(self, layer: int, row: int, col: int, value: float, what: str) -> None:
        new = self.dialogs.get_number(self, "Edit weight", f"{what}\nNew value:", value)
        if new is None:
            return
        self.worker.set_param(layer, row, col, new)
        self.statusBar().showMessage(f"{what} set to {new:g}; training continues from there", 5000)
        self.set_modified(True)

    # -- frames -------------------------------------------------------------------------
    def _on_snapshot(self) -> None:
        snap = self.worker.take()
        if snap is None or snap.generation != self.generation:
            return  # a run that has since been replaced
        # The worker stands aside until this frame is drawn (see worker.py).
        self.worker.frame_started()
        self._frame_done.post()
        self.latest = snap
        if snap.epoch != self._saved_epoch:
            self.set_modified(True)  # trained since the last save or open
        self.loss_view.add(snap.first_epoch, snap.losses, snap.test_losses)
        self.loss_view.redraw()
        self.boundary.set_image(snap.image, snap.bounds)
        self.diagram.set_plane(snap.bounds)
        self.diagram.set_network(snap.network)
        self._show_epoch(snap.epoch, snap.loss, snap.accuracy, snap.test_accuracy, snap.epochs_per_s)
        if self.worker.in_sync(snap) and self.playing and not snap.running:
            self.set_playing(False)  # it stopped by itself (the loss diverged)
        if snap.message != self._last_message:
            self._last_message = snap.message
            self.message_label.setText(snap.message or "")
        for dock, widget in self.panels:
            if dock.isVisible() and hasattr(widget, "set_state"):
                widget.set_state(snap.network, snap.data, snap.settings, snap.epoch)
        self.sigFrame.emit(snap)

    def _show_epoch(self, epoch: int, loss: float, accuracy: float, test_accuracy: float,
                    epochs_per_s: float) -> None:
        labels = self.status_labels
        labels["epoch"].setText(f"epoch {epoch:,}")
        labels["loss"].setText(f"loss {_fmt_loss(loss)}" if math.isfinite(loss) else "loss –")
        if math.isfinite(accuracy):
            text = f"accuracy {accuracy:.0%}"
            if math.isfinite(test_accuracy):
                text += f" · test {test_accuracy:.0%}"
        else:
            text = "accuracy –"
        labels["accuracy"].setText(text)
        labels["speed"].setText(f"{epochs_per_s:,.0f} epochs/s" if self.playing else "paused")

    def wait_for_sync(self, timeout: float = 2.0) -> bool:
        """Process events until a snapshot reflects every command sent (for saving, and tests)."""
        clock = QElapsedTimer()
        clock.start()
        while clock.elapsed() < timeout * 1000:
            snap = self.latest
            if snap is not None and snap.generation == self.generation and self.worker.in_sync(snap) \
                    and not snap.running:
                return True
            QCoreApplication.processEvents()
            time.sleep(0.002)
        return False

    # -- misc ------------------------------------------------------------------------
    def set_modified(self, modified: bool) -> None:
        if not modified:
            self._saved_epoch = self.latest.epoch if self.latest is not None else self._start[1]
        self.modified = modified
        self.setWindowModified(modified)
        self._update_title()

    def _update_title(self) -> None:
        name = self.path.rsplit("/", 1)[-1] if self.path else "untitled"
        self.setWindowTitle(f"{name}[*] — nnviz")

    def _show_help(self) -> None:
        self.dialogs.info(self, "Keyboard and mouse", (
            "Space  play / pause\nS or →  one epoch\nR  reset to the initial weights\nN  new seed\n"
            "[ and ]  slower / faster\nL  log-scale loss axis\n\n"
            "On the decision boundary:\n  drag a point to move it\n  click: add a class-0 point, "
            "Shift+click: class 1\n  right-click a point: delete it\n  double-click a point (or select it "
            "and press F): flip its class\n  Delete: delete the selected point\n  Ctrl+Z / Ctrl+Shift+Z: "
            "undo / redo\n\nIn the diagram: hover a line or unit to see its value, click it to type a new one."))

    def _show_about(self) -> None:
        self.dialogs.info(self, "About nnviz", (
            f"nnviz {__version__}\n\nWatch a small neural network learn: its weights, its loss and its "
            "decision boundary, live.\nBuilt on the tutorial \"Code a Neural Network from Scratch in NumPy\"."))

    def closeEvent(self, event) -> None:
        if not self.files.maybe_save("Save the network before quitting?"):
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def close_without_asking(self) -> None:
        self.set_modified(False)
        self.close()

    def shutdown(self) -> None:
        """Stop the worker and remember the window; safe to call twice."""
        self.learning.shutdown()
        self.worker.stop()
        self.store.save_window(self.saveGeometry(), self.saveState())
        self.store.save_setup(self.setup)
        self.store.set_value("view/log_scale", self.loss_view.log_scale)
        self.store.set_value("view/unit_maps", self.diagram.show_unit_maps)
        self.store.sync()

