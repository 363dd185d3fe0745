"""Compare runs: several configurations trained side by side, their loss curves overlaid.

The tutorial's two comparison figures, live and for any data set: a
learning-rate sweep (0.1, 1, 10 by default) on a log-scale loss plot, and a
hidden-size sweep (2, 4, 8, 16) with bars of final loss and accuracy.  The
current settings, or a saved weights file, can be added as runs too, and any
run can be opened as the window's main network.

All training happens in one background job (``jobs.py``, function
``train_runs``) that advances every unfinished run by the same number of
epochs per round, with ``sweeps.Run`` (so with ``Trainer.run``: the same loop
as everywhere else, its passes computed in blocks of rows so that four big
runs fit in memory and a stop is heard within a block).  It publishes at most
``UPDATE_HZ`` batches of *copied* results, and while it trains the
interpreter's switch interval is short (``gil.hold_fast``) so the GUI thread
gets the GIL back quickly after each Qt call: the window keeps its frame rate
while four runs train.  Stopping sets a flag and never waits for the thread.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnviz.core import datasets, sweeps, weights_file
from nnviz.core.datasets import Dataset
from nnviz.core.errors import NnvizError
from nnviz.core.frame_gate import FrameGate
from nnviz.core.history import LossHistory
from nnviz.core.network import INIT_METHODS, Network
from nnviz.core.sweeps import RunConfig
from nnviz.core.trainer import TrainSettings
from nnviz.gui import gil, jobs
from nnviz.gui.panel import MUTED, RUN_COLOURS, Panel, State

UPDATE_HZ = 30.0
SUMMARY_HZ = 4.0  # the table and the bars
ROUND_SECONDS = 0.008  # training time per round, split over the runs
YIELD_SECONDS = 0.001  # pause after each round: the GUI thread's turn at the GIL
GUI_FRAME_WAIT = 0.05  # longest the worker waits for the GUI to finish drawing


@dataclass
class RunUpdate:
    """What the worker publishes about one run: new arrays only, never its own buffers."""

    run_id: int
    losses: np.ndarray  # the losses since the previous update
    epoch: int
    params: np.ndarray
    accuracy: float
    error: str | None
    done: bool


@dataclass
class OpenRun:
    """A run handed to the main window to become its network (``sigOpenRun``)."""

    label: str
    network: Network
    data: Dataset
    settings: TrainSettings
    epoch: int
    losses: np.ndarray  # the run's loss history, for the main loss curve


class RunTraining:
    """One stretch of background training: the runs waiting to start, and the outbox to the GUI.

    Shared by the GUI thread and one job's thread, under ``lock``; it holds no
    Qt object.  A stop cancels the job and marks this object ``stopped``:
    whatever the ending job still posts is dropped.  After the job has found
    nothing left to train (``idle``), or was cancelled, new runs need a new
    ``RunTraining`` and a new job.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: list[tuple[int, RunConfig, Dataset]] = []
        self.idle = False
        # The same mailbox and turn-taking as the main training thread's: updates
        # accumulate until the GUI takes them, and the job waits while the GUI
        # draws them (see core/frame_gate.py).  ``add`` sets ``gate.notify`` when it starts the job.
        self.gate: FrameGate[list[RunUpdate]] = FrameGate()
        self.stopped = False  # set by the GUI thread: what the job still posts is dropped

    def offer(self, run_id: int, config: RunConfig, data: Dataset) -> bool:
        """Queue a run; False if the job has already decided to end (start a new training)."""
        with self.lock:
            if self.idle:
                return False
            self.pending.append((run_id, config, data))
            return True

    def take(self) -> list[RunUpdate]:
        """The updates published since the last call (GUI thread)."""
        return self.gate.take() or []


def train_runs(job: jobs.Job, training: RunTraining) -> None:
    """The job: train every run round-robin until each reaches its epochs or the job is cancelled.

    Runs are made here, each asking ``job.cancelled`` between blocks of rows
    and between mini-batches, so a cancel ends even an epoch of seconds
    within a fraction of a second.
    """
    runs: dict[int, sweeps.Run] = {}
    published = _Published()
    gil.hold_fast(training)
    try:
        chunk = 1  # grows within a few rounds for small networks; big ones report their first epoch soon
        while not job.cancelled:
            with training.lock:
                new, training.pending = training.pending, []
                if not new and all(run.done for run in runs.values()):
                    training.idle = True
                    break
            for run_id, config, data in new:
                runs[run_id] = sweeps.Run(config, data, stop=lambda: job.cancelled)
                published.sent[run_id] = 0
            training.gate.wait_gui_free(GUI_FRAME_WAIT)  # bounded: a GUI that never says so cannot stall training
            started = time.perf_counter()
            for run in [r for r in runs.values() if not r.done]:
                run.advance(chunk)
                if job.cancelled:
                    break  # nothing more to publish: the GUI has dropped these runs
                if time.perf_counter() - published.time >= 1.0 / UPDATE_HZ and training.gate.is_free():
                    published.publish(job, training, runs)
            elapsed = time.perf_counter() - started
            # Aim every round at ROUND_SECONDS whatever the networks' sizes.
            chunk = int(np.clip(chunk * ROUND_SECONDS / max(elapsed, 1e-6), 1, 20_000))
            time.sleep(YIELD_SECONDS)
        if not job.cancelled:
            published.publish(job, training, runs)
    finally:
        gil.release_fast(training)


class _Published:
    """What the job has sent of each run, and when each run's accuracy is due again."""

    def __init__(self) -> None:
        self.time = 0.0
        self.sent: dict[int, int] = {}  # losses sent so far; -1 once the run's end was sent
        self.accuracy: dict[int, float] = {}
        self.accuracy_due: dict[int, float] = {}

    def publish(self, job: jobs.Job, training: RunTraining, runs: dict[int, sweeps.Run]) -> None:
        """Send what is new: losses not sent yet, and each run's end exactly once."""
        self.time = time.perf_counter()
        updates = []
        for run_id, run in runs.items():
            losses = run.losses
            sent = self.sent[run_id]
            if sent < 0 or (sent == len(losses) and not run.done):
                continue
            self.sent[run_id] = -1 if run.done else len(losses)
            updates.append(RunUpdate(run_id, losses[sent:].copy(), run.trainer.epoch,
                                     run.trainer.network.params.copy(), self._accuracy(run_id, run),
                                     run.error, run.done))
        training.gate.add(updates)

    def _accuracy(self, run_id: int, run: sweeps.Run) -> float:
        # On 100,000 points a forward pass is a third of an epoch: measure it
        # seldom enough that it never takes more than a tenth of the training.
        now = time.perf_counter()
        if run.done or now >= self.accuracy_due.get(run_id, 0.0):
            with np.errstate(all="ignore"):
                self.accuracy[run_id] = run.accuracy()
            cost = time.perf_counter() - now
            self.accuracy_due[run_id] = now + max(1.0 / SUMMARY_HZ, 10 * cost)
        return self.accuracy[run_id]


class CompareWorker(QObject):
    """Starts the job that trains the runs, and stops it without ever waiting for it.

    Signals
    -------
    sigUpdates(list of RunUpdate)
        New results of the runs being trained (never of runs stopped before).
    sigFailed(str)
        The training ended with an unexpected error (one line).
    """

    sigUpdates = Signal(object)
    sigFailed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Usually one job; a new one starts when runs are added just after the
        # last one found nothing left to train, and its results still count.
        self._jobs: list[tuple[jobs.Job, RunTraining]] = []

    @property
    def training(self) -> bool:
        return any(job.running for job, _ in self._jobs)

    def add(self, run_id: int, config: RunConfig, data: Dataset) -> None:
        """Train a run in the background: in the running job, or in a new one."""
        if self._jobs:
            job, training = self._jobs[-1]
            # A job cancelled from elsewhere (the window's quit) takes no more runs.
            if not job.cancelled and training.offer(run_id, config, data):
                return
        training = RunTraining()
        training.offer(run_id, config, data)
        job = jobs.Job(lambda job: train_runs(job, training), "Training compared runs")
        training.gate.notify = lambda: job.partial_result(training)
        job.sigPartialResult.connect(self._published)
        job.sigFailed.connect(self.sigFailed)
        self._jobs = [(j, t) for j, t in self._jobs if j.running] + [(job, training)]
        job.start()

    def stop(self) -> None:
        """Stop training; returns at once (the job's thread ends within a fraction of a second)."""
        for job, training in self._jobs:
            job.cancel()
            training.stopped = True
            training.gate.release()
        self._jobs = []

    def frame_drawn(self) -> None:
        """The GUI has drawn the last updates: the job may go on."""
        if self._jobs:
            self._jobs[-1][1].gate.frame_done()

    def _published(self, training: RunTraining) -> None:
        if training.stopped:
            return  # posted before a stop; those runs are gone
        training.gate.frame_started()
        self.sigUpdates.emit(training.take())


class RunEntry:
    """The GUI's copy of a run: its config and data, and what the worker last said."""

    def __init__(self, run_id: int, config: RunConfig, data: Dataset, colour: str) -> None:
        self.run_id = run_id
        self.config = config
        self.data = data
        self.colour = colour
        self.history = LossHistory()
        self.epoch = config.start_epoch
        self.params: np.ndarray | None = None
        self.accuracy = float("nan")
        self.error: str | None = None
        self.done = False

    @property
    def final_loss(self) -> float:
        return float(self.history.train[-1]) if len(self.history) else float("nan")

    def network(self) -> Network:
        net = self.config.network()
        if self.params is not None:
            net.params[:] = self.params
        return net


def _log_ticks(values: np.ndarray) -> float:
    """A baseline below the smallest value for bars drawn in log10 space."""
    finite = values[np.isfinite(values) & (values > 0)]
    return float(np.floor(np.log10(finite.min()))) - 0.5 if finite.size else -4.0


class CompareView(Panel):
    """Trains several configurations at once and overlays their loss curves.

    ``set_state`` only records the current architecture, settings and data:
    they are the base of the sweeps and of "Add current settings".

    Signals
    -------
    sigOpenRun(OpenRun)
        The user asked for a run to become the main network.
    """

    sigOpenRun = Signal(object)

    def sizeHint(self) -> QSize:
        # A docked panel starts at its size hint: modest, so the main views keep the room.
        return QSize(1000, 460)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: dict[int, RunEntry] = {}
        self._next_id = 0
        self._summary_time = 0.0
        self._bar_key: tuple = ()
        self._bars: tuple | None = None
        self._bar_range: tuple | None = None
        self.worker = CompareWorker(self)
        self.worker.sigUpdates.connect(self._on_updates)
        self.worker.sigFailed.connect(self._training_failed)
        self._frame_done = gil.AfterPaint(self.worker.frame_drawn, self)

        self.loss_plot = pg.PlotWidget(background="w")
        self.loss_plot.setLogMode(y=True)
        self.loss_plot.showGrid(x=True, y=True, alpha=0.25)
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.setLabel("left", "training loss (log scale)")
        self.loss_plot.setTitle("Loss curves")
        self.loss_plot.setDownsampling(auto=True, mode="peak")
        self.loss_plot.setClipToView(True)
        self.loss_plot.getAxis("left").enableAutoSIPrefix(False)
        # Bottom left: loss curves start high on the left and fall to the right.
        self.legend = self.loss_plot.addLegend(offset=(10, -10), labelTextSize="9pt",
                                               labelTextColor="#111827", brush=pg.mkBrush(255, 255, 255, 200))
        self.curves: dict[int, pg.PlotDataItem] = {}

        self.bar_loss = pg.PlotWidget(background="w")
        self.bar_loss.setTitle("Final loss (log scale)")
        self.bar_loss.getAxis("left").setLogMode(True)
        self.bar_loss.showGrid(y=True, alpha=0.25)
        self.bar_acc = pg.PlotWidget(background="w")
        self.bar_acc.setTitle("Accuracy")
        self.bar_acc.setYRange(0, 1.05, padding=0)
        self.bar_acc.showGrid(y=True, alpha=0.25)
        for plot in (self.bar_loss, self.bar_acc):
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()

        self.lr_edit = QLineEdit(", ".join(f"{v:g}" for v in sweeps.DEFAULT_LRS))
        self.lr_edit.setToolTip("Learning rates to compare, separated by commas")
        self.lr_epochs = self._epochs_spin(sweeps.LR_SWEEP_EPOCHS)
        self.hidden_edit = QLineEdit(", ".join(str(v) for v in sweeps.DEFAULT_HIDDEN_SIZES))
        self.hidden_edit.setToolTip("Hidden-layer sizes to compare (every hidden layer gets this many units)")
        self.hidden_epochs = self._epochs_spin(sweeps.HIDDEN_SWEEP_EPOCHS)
        self.other_epochs = self._epochs_spin(1000)
        self.init_combo = QComboBox()
        self.init_combo.addItems(INIT_METHODS)
        self.init_combo.setToolTip("How every new run draws its starting weights")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setValue(42)
        self.seed_spin.setToolTip("Seed of the starting weights: the same seed gives the same start")

        lr_button = QPushButton("Run learning-rate sweep")
        lr_button.setToolTip("Replace the runs with one run per learning rate, all else as now")
        lr_button.clicked.connect(self.run_lr_sweep)
        hidden_button = QPushButton("Run hidden-size sweep")
        hidden_button.setToolTip("Replace the runs with one run per hidden size, all else as now")
        hidden_button.clicked.connect(self.run_hidden_sweep)
        add_current = QPushButton("Add current settings")
        add_current.setToolTip("Add a run with the window's architecture, data and training settings")
        add_current.clicked.connect(self.add_current)
        add_file = QPushButton("Add weights file…")
        add_file.setToolTip("Add a run that continues training a saved network")
        add_file.clicked.connect(self._add_file_dialog)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop training every run (their curves stay)")
        self.stop_button.clicked.connect(self.stop)
        clear_button = QPushButton("Clear")
        clear_button.clicked.connect(self.clear)
        self.open_button = QPushButton("Open as main network")
        self.open_button.setToolTip("Make the selected run the window's network (double-click a run too)")
        self.open_button.clicked.connect(self._open_selected)

        lr_box = QGroupBox("Learning-rate sweep")
        form = QFormLayout(lr_box)
        form.addRow("Rates", self.lr_edit)
        form.addRow("Epochs", self.lr_epochs)
        form.addRow(lr_button)
        hidden_box = QGroupBox("Hidden-size sweep")
        form = QFormLayout(hidden_box)
        form.addRow("Sizes", self.hidden_edit)
        form.addRow("Epochs", self.hidden_epochs)
        form.addRow(hidden_button)
        other_box = QGroupBox("More runs")
        form = QFormLayout(other_box)
        form.addRow("Epochs", self.other_epochs)
        form.addRow(add_current)
        form.addRow(add_file)
        start_box = QGroupBox("Starting weights of new runs")
        form = QFormLayout(start_box)
        form.addRow("Init", self.init_combo)
        form.addRow("Seed", self.seed_spin)

        self.base_label = QLabel()
        self.base_label.setWordWrap(True)
        self.base_label.setStyleSheet(f"color: {MUTED}")
        controls = QWidget()
        column = QVBoxLayout(controls)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.base_label)
        for box in (lr_box, hidden_box, other_box, start_box):
            column.addWidget(box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.stop_button)
        buttons.addWidget(clear_button)
        column.addLayout(buttons)
        column.addStretch(1)
        controls.setMaximumWidth(280)

        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["run", "epoch", "final loss", "accuracy", "status"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.open_run(self._row_ids()[row]))

        bars = QWidget()
        bar_row = QHBoxLayout(bars)
        bar_row.setContentsMargins(0, 0, 0, 0)
        bar_row.addWidget(self.bar_loss)
        bar_row.addWidget(self.bar_acc)
        table_box = QWidget()
        table_column = QVBoxLayout(table_box)
        table_column.setContentsMargins(0, 0, 0, 0)
        table_column.addWidget(self.table)
        table_column.addWidget(self.open_button)
        right = QSplitter()
        right.setOrientation(Qt.Orientation.Vertical)
        right.addWidget(self.loss_plot)
        right.addWidget(bars)
        right.addWidget(table_box)
        right.setSizes([420, 200, 160])

        # In a scroll area: the controls must not set a minimum height on the
        # dock (a tall minimum would make the main window grow to fit it).
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(controls.maximumWidth() + 14)
        layout = QGridLayout(self)
        layout.addWidget(scroll, 0, 0)
        layout.addWidget(right, 0, 1)
        layout.setColumnStretch(1, 1)
        self._update_base_label()

    @staticmethod
    def _epochs_spin(value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(1, 10_000_000)
        spin.setSingleStep(100)
        spin.setValue(value)
        spin.setToolTip("Epochs each run trains")
        return spin

    # -- the base of new runs ------------------------------------------------
    def refresh(self, state: State) -> None:
        self._update_base_label()

    def _base(self, epochs: int) -> tuple[RunConfig, Dataset]:
        """The current architecture and settings (the tutorial's until the window says otherwise)."""
        if self.state is None:
            net, data, settings = Network([2, 4, 1]), datasets.xor(), TrainSettings()
        else:
            net, data, settings = self.state.network, self.state.data, self.state.settings
        config = RunConfig.from_network("current", net, settings, epochs, self.init_combo.currentText(),
                                        self.seed_spin.value())
        return config, data

    def _update_base_label(self) -> None:
        config, data = self._base(0)
        s = config.settings
        self.base_label.setText(
            f"New runs: {'-'.join(map(str, config.layers))} {config.activation}, {config.loss}, "
            f"{s.optimizer} lr {s.lr:g}, {data.name} data ({len(data.X)} points). "
            "Change them in the main window.")

    # -- adding and removing runs ------------------------------------------------
    def add_run(self, config: RunConfig, data: Dataset) -> int:
        """Start training ``config`` on ``data`` in the background; returns the run's id."""
        run_id = self._next_id
        self._next_id += 1
        entry = RunEntry(run_id, config, data, RUN_COLOURS[len(self.entries) % len(RUN_COLOURS)])
        self.entries[run_id] = entry
        pen = pg.mkPen(entry.colour, width=1)  # width-1 pens: wide ones are slow to draw
        self.curves[run_id] = self.loss_plot.plot([], [], pen=pen, name=config.label)
        self._rebuild_table()
        self.worker.add(run_id, config, data)
        return run_id

    def _sweep(self, make) -> list[int]:
        try:
            configs, data = make()
        except NnvizError as exc:
            QMessageBox.warning(self, "Compare runs", str(exc))
            return []
        self.clear()
        return [self.add_run(c, data) for c in configs]

    def run_lr_sweep(self) -> list[int]:
        def make():
            rates = sweeps.parse_numbers(self.lr_edit.text())
            base, data = self._base(self.lr_epochs.value())
            return sweeps.lr_sweep(base, rates), data
        return self._sweep(make)

    def run_hidden_sweep(self) -> list[int]:
        def make():
            sizes = sweeps.parse_numbers(self.hidden_edit.text(), int)
            base, data = self._base(self.hidden_epochs.value())
            return sweeps.hidden_sweep(base, sizes), data
        return self._sweep(make)

    def add_current(self) -> int:
        config, data = self._base(self.other_epochs.value())
        config.label = f"current (lr {config.settings.lr:g}, {'-'.join(map(str, config.layers))})"
        return self.add_run(config, data)

    def _add_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a saved network as a run", "",
                                              "nnviz weights (*.npz)")
        if path:
            try:
                self.add_weights_file(path)
            except NnvizError as exc:
                QMessageBox.warning(self, "Add weights file", str(exc))

    def add_weights_file(self, path: str) -> int:
        """A run that continues a saved network, on its saved data and settings where it has them."""
        loaded = weights_file.load(path)
        base, data = self._base(self.other_epochs.value())
        net = loaded.network
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        config = dataclasses.replace(
            base, label=name, layers=list(net.layers), activation=net.activation,
            output_activation=net.output_activation, loss=net.loss, params=net.params.copy(),
            start_epoch=loaded.epoch, settings=loaded.settings or base.settings)
        return self.add_run(config, loaded.data or data)

    def stop(self) -> None:
        """Stop all training; finished curves and numbers stay."""
        self.worker.stop()
        self._end_unfinished("stopped")

    def _training_failed(self, message: str) -> None:
        self.worker.stop()
        self._end_unfinished(f"failed: {message}")

    def _end_unfinished(self, status: str) -> None:
        for entry in self.entries.values():
            if not entry.done:
                entry.done = True
                entry.error = entry.error or status
        self._rebuild_table()

    def clear(self) -> None:
        self.worker.stop()
        self.entries.clear()
        for curve in self.curves.values():
            self.loss_plot.removeItem(curve)
        self.curves.clear()
        self.legend.clear()
        self._rebuild_table()
        self._draw_bars()

    def shutdown(self) -> None:
        """Stop training without waiting (the main window calls this when it closes).

        The job's thread ends on its own within a fraction of a second;
        ``jobs.registry()`` tells when.
        """
        self.stop()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)

    @property
    def training(self) -> bool:
        return self.worker.training

    # -- results from the worker --------------------------------------------------
    def _on_updates(self, updates: list[RunUpdate]) -> None:
        self._frame_done.post()  # lets the job go on once the repaints this causes are done
        for u in updates:
            entry = self.entries.get(u.run_id)
            if entry is None:
                continue
            entry.history.append(u.losses)
            entry.epoch, entry.params, entry.accuracy = u.epoch, u.params, u.accuracy
            entry.error, entry.done = u.error, u.done
            losses = entry.history.train
            start = entry.config.start_epoch
            # A view of the history is safe to hand to pyqtgraph: appends write past its end.
            self.curves[u.run_id].setData(np.arange(start, start + len(losses)), losses)
        # The curves follow every update; the table and the bars change slowly
        # and each redraw of them costs a few milliseconds of the GUI thread.
        now = time.perf_counter()
        if any(u.done for u in updates) or now - self._summary_time >= 1.0 / SUMMARY_HZ:
            self._summary_time = now
            self._update_table()
            self._draw_bars()

    def _row_ids(self) -> list[int]:
        return list(self.entries)

    def _rebuild_table(self) -> None:
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries.values()):
            item = QTableWidgetItem(entry.config.label)
            item.setForeground(QColor(entry.colour))
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            self.table.setItem(row, 0, item)
            for col in range(1, 5):
                self.table.setItem(row, col, QTableWidgetItem(""))
        self._update_table()

    def _update_table(self) -> None:
        for row, entry in enumerate(self.entries.values()):
            if entry.error and entry.error != "stopped":
                status = entry.error
            elif entry.error == "stopped":
                status = "stopped"
            else:
                status = "done" if entry.done else "training…"
            acc = "" if np.isnan(entry.accuracy) else f"{entry.accuracy:.1%}"
            loss = "" if not len(entry.history) else f"{entry.final_loss:.6f}"
            for col, text in enumerate((str(entry.epoch), loss, acc, status), start=1):
                self.table.item(row, col).setText(text)

    def _draw_bars(self) -> None:
        entries = list(self.entries.values())
        key = tuple(e.run_id for e in entries)
        if key != self._bar_key:
            # New set of runs: new bar items, ticks and x range (the rest of the time only heights change).
            self._bar_key = key
            self.bar_loss.clear()
            self.bar_acc.clear()
            self._bars = None
            if not entries:
                return
            brushes = [pg.mkBrush(e.colour) for e in entries]
            x = np.arange(len(entries))
            self._bars = (pg.BarGraphItem(x=x, y0=0, y1=0, width=0.6, brushes=brushes),
                          pg.BarGraphItem(x=x, y0=0, y1=0, width=0.6, brushes=brushes))
            self.bar_loss.addItem(self._bars[0])
            self.bar_acc.addItem(self._bars[1])
            ticks = [[(i, e.config.label.split(" (")[0]) for i, e in enumerate(entries)]]
            for plot in (self.bar_loss, self.bar_acc):
                plot.getAxis("bottom").setTicks(ticks)
                plot.setXRange(-0.6, len(entries) - 0.4, padding=0)
        if self._bars is None:
            return
        losses = np.array([e.final_loss for e in entries])
        base = _log_ticks(losses)
        with np.errstate(all="ignore"):
            tops = np.where(np.isfinite(losses) & (losses > 0), np.log10(losses), base)
        self._bars[0].setOpts(y0=base, y1=tops)
        y_range = (base, float(np.ceil(max(tops.max(), base + 1) * 2) / 2) + 0.2)
        if y_range != self._bar_range:  # rounded to half decades: the axis does not twitch
            self._bar_range = y_range
            self.bar_loss.setYRange(*y_range, padding=0)
        self._bars[1].setOpts(y1=np.nan_to_num(np.array([e.accuracy for e in entries])))

    # -- opening a run ------------------------------------------------------------
    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_run(self._row_ids()[rows[0].row()])

    def open_run(self, run_id: int) -> OpenRun:
        """Emit ``sigOpenRun`` with the run's latest weights, data and settings."""
        entry = self.entries[run_id]
        opened = OpenRun(entry.config.label, entry.network(), entry.data,
                         dataclasses.replace(entry.config.settings), entry.epoch, entry.history.train.copy())
        self.sigOpenRun.emit(opened)
        return opened
