"""The loss landscape: the loss on a slice of weight space around the weights shown, and along the way from the start.

Nothing is computed while the panel only watches: a slice costs thousands
of forward passes, so it is made when the user presses Compute, or every few
seconds while training runs if the checkbox asks for it.  The work runs in a
background job (``jobs.py``) with its progress shown and a Cancel button;
``result`` is the last landscape drawn.

The training path comes from the History panel's snapshots, read through
the ``history`` function the panel is given (copied on the GUI thread when a
computation starts, so the job never reads what the GUI thread writes).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nnviz.core import landscape
from nnviz.core.errors import Interrupted, NnvizError
from nnviz.core.landscape import Landscape
from nnviz.core.snapshots import SnapshotHistory
from nnviz.gui import jobs, theme
from nnviz.gui.loss_view import LogAxis
from nnviz.gui.panel import MUTED, Panel, RichText, State

CAPTION = (
    "Colours: the loss around the weights shown (the star). Dark is low, bright is high. "
    "Each direction moves all the weights at once. "
    "The white line is the way training came, from the square (training-path directions only). "
    "The curve: the loss on the straight line from the first weights (0) to now (1). "
    "The loss is the one training minimises: with an L1 or L2 penalty set, it is included.")
DIRECTIONS = (("pca", "training path (PCA)"), ("random", "random (filter-normalised)"))
RESOLUTIONS = (21, 41, 61, 81, 101)
AUTO_SECONDS = 5
CONTOURS = 8
# Snapshots the path's PCA uses at most (evenly chosen); every snapshot is still drawn on the path.
PCA_MAX_SNAPSHOTS = 512


def format_loss(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6f}" if 1e-4 <= value < 1e4 else f"{value:.3e}"


def penalty_words(penalty: landscape.Penalty) -> str:
    """What the loss drawn is: the data's loss alone, or with the settings' penalty added."""
    parts = [f"L1 {penalty.l1:g}" if penalty.l1 else "", f"L2 {penalty.l2:g}" if penalty.l2 else ""]
    named = " and ".join(p for p in parts if p)
    return f"loss + {named} penalty" if named else "loss"


class LandscapeView(Panel):
    """A heatmap of the loss over two directions in weight space, with contours and the training path.

    Signals
    -------
    sigDrawn(Landscape)
        A landscape was computed and drawn.
    """

    sigDrawn = Signal(object)

    def sizeHint(self) -> QSize:
        return QSize(380, 560)

    def __init__(self, history: Callable[[], SnapshotHistory | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history = history
        self.result: Landscape | None = None
        self._job: jobs.Job | None = None
        self.message = ""

        self.directions_combo = QComboBox()
        for _, text in DIRECTIONS:
            self.directions_combo.addItem(text)
        self.directions_combo.setToolTip(
            "Training path: the two directions in which the weights moved most during training (from the "
            "History panel's snapshots).\nRandom: two random directions, each unit's part as long as that "
            "unit's own weights.")
        self.directions_combo.currentIndexChanged.connect(self._update_controls)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 1_000_000)
        self.seed_spin.setPrefix("seed ")
        self.seed_spin.setToolTip("The seed of the random directions")
        self.resolution_combo = QComboBox()
        for n in RESOLUTIONS:
            self.resolution_combo.addItem(f"{n} × {n}", n)
        self.resolution_combo.setCurrentIndex(RESOLUTIONS.index(landscape.DEFAULT_RESOLUTION))
        self.resolution_combo.setToolTip("Grid points per side: more is sharper and slower")
        self.compute_button = QPushButton("Compute")
        self.compute_button.setToolTip("Compute the landscape around the weights shown now")
        self.compute_button.clicked.connect(self.compute)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.auto_check = QCheckBox(f"Compute every {AUTO_SECONDS} s while training")
        self.auto_check.setToolTip("Compute again every few seconds while the weights change")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(120)
        self.info = RichText(lines=2)
        self.caption = RichText(lines=6)
        self.caption.setText(f"<span style='color:{MUTED}'>{CAPTION}</span>")

        self.plot = pg.PlotWidget(background="w")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setAspectLocked(True)
        self.plot.setLabel("bottom", "direction 1")
        self.plot.setLabel("left", "direction 2")
        self.plot.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0.02)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colour_map = pg.colormap.get("viridis")
        self.image.setColorMap(self.colour_map)
        self.colour_bar = pg.ColorBarItem(values=(0, 1), colorMap=self.colour_map, label="log₁₀ loss",
                                          interactive=False, width=12)
        self.colour_bar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        self.contours: list[pg.IsocurveItem] = []
        for _ in range(CONTOURS):
            contour = pg.IsocurveItem(pen=pg.mkPen(255, 255, 255, 110, width=1), axisOrder="row-major")
            self.plot.addItem(contour)
            self.contours.append(contour)
        self.path = pg.PlotDataItem([], [], pen=pg.mkPen("w", width=1.5), symbol="o", symbolSize=3,
                                    symbolPen=None, symbolBrush=pg.mkBrush("w"))
        self.start_marker = pg.ScatterPlotItem(size=10, symbol="s", pen=pg.mkPen("w", width=1.5),
                                               brush=pg.mkBrush(0, 0, 0, 0))
        self.current_marker = pg.ScatterPlotItem([0.0], [0.0], size=16, symbol="star",
                                                 pen=pg.mkPen("w", width=1), brush=pg.mkBrush(theme.VERMILLION))
        for item in (self.path, self.start_marker, self.current_marker):
            self.plot.addItem(item)

        # The loss curve's own log axis: minor ticks unlabelled (pyqtgraph's pile up in a short plot).
        self.line_plot = pg.PlotWidget(background="w", axisItems={"left": LogAxis(orientation="left")})
        self.line_plot.setMouseEnabled(x=False, y=False)
        self.line_plot.hideButtons()
        self.line_plot.setLogMode(y=True)
        self.line_plot.setLabel("bottom", "from the first weights (0) to now (1)")
        self.line_plot.setLabel("left", "loss")
        self.line_plot.showGrid(x=True, y=True, alpha=0.2)
        self.line_curve = self.line_plot.plot([], [], pen=pg.mkPen(theme.INK, width=2))
        for alpha, colour in ((0.0, theme.MUTED), (1.0, theme.VERMILLION)):
            self.line_plot.addItem(pg.InfiniteLine(alpha, angle=90, pen=pg.mkPen(colour, style=Qt.PenStyle.DashLine)))

        choose = QHBoxLayout()
        choose.addWidget(QLabel("Directions:"))
        choose.addWidget(self.directions_combo, 1)
        choose.addWidget(self.seed_spin)
        run = QHBoxLayout()
        run.addWidget(self.resolution_combo)
        run.addWidget(self.compute_button)
        run.addWidget(self.cancel_button)
        run.addStretch(1)
        again = QHBoxLayout()
        again.addWidget(self.auto_check)
        again.addWidget(self.progress)
        again.addStretch(1)
        # Side by side in a wide panel, the line below the slice in a tall one (a dock at the side).
        self.plots = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.plots.addWidget(self.plot, 3)
        self.plots.addWidget(self.line_plot, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addLayout(run)
        layout.addLayout(again)
        layout.addWidget(self.info)
        layout.addLayout(self.plots, 1)
        layout.addWidget(self.caption)

        self.auto_timer = QTimer(self)
        self.auto_timer.setInterval(AUTO_SECONDS * 1000)
        self.auto_timer.timeout.connect(self._auto_compute)
        self.auto_check.toggled.connect(lambda on: self.auto_timer.start() if on else self.auto_timer.stop())
        self._update_controls()
        self._say("Press Compute to map the loss around the weights shown.")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        wide = event.size().width() > 1.4 * event.size().height()
        self.plots.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)

    # -- what the panel shows --------------------------------------------------------------
    def refresh(self, state: State) -> None:
        # Only words change with each state: the picture is made on demand.
        if self._job is None:
            self._say(self._describe_result(state))

    def _describe_result(self, state: State | None) -> str:
        r = self.result
        if r is None:
            return self.message or "Press Compute to map the loss around the weights shown."
        text = (f"Epoch {r.epoch:,}: {penalty_words(r.penalty)} at the centre "
                f"<b>{format_loss(r.slice.centre)}</b> · "
                f"{len(r.slice.axis)} × {len(r.slice.axis)} in {r.seconds * 1000:,.0f} ms")
        if r.slice.directions.kind == "pca" and r.slice.directions.explained is not None:
            e1, e2 = r.slice.directions.explained
            text += f" · the plane holds {e1 + e2:.0%} of the path's movement"
        if state is not None and state.epoch != r.epoch:
            text += f" <span style='color:{theme.VERMILLION}'>(now epoch {state.epoch:,}: Compute again)</span>"
        return text

    def _say(self, text: str) -> None:
        self.info.setText(text)

    # -- computing -------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return DIRECTIONS[self.directions_combo.currentIndex()][0]

    @property
    def resolution(self) -> int:
        return int(self.resolution_combo.currentData())

    def set_resolution(self, n: int) -> None:
        self.resolution_combo.setCurrentIndex(RESOLUTIONS.index(n))

    def set_directions(self, kind: str) -> None:
        self.directions_combo.setCurrentIndex([k for k, _ in DIRECTIONS].index(kind))

    @property
    def busy(self) -> bool:
        return self._job is not None

    def compute(self) -> jobs.Job | None:
        """Start computing the landscape of the weights shown; None (with a message) when it cannot."""
        state = self.state
        if state is None or self._job is not None:
            return None
        network, data, epoch = state.network, state.data, state.epoch
        # The loss the optimizer minimises: the data's loss plus the settings' weight penalty.
        penalty = landscape.Penalty(state.settings.l1, state.settings.l2)
        history = self._history()
        initial, trajectory, epochs = self._trajectory(history, network, epoch)
        kind, seed, resolution = self.kind, self.seed_spin.value(), self.resolution
        if kind == "pca" and (trajectory is None or len(trajectory) < 2):
            self._say("The training path needs a few snapshots in the history: train a little first, "
                      "or choose random directions.")
            return None

        def work(job: jobs.Job) -> Landscape | str | None:
            try:
                directions = (landscape.pca_directions(network, trajectory, epochs, PCA_MAX_SNAPSHOTS)
                              if kind == "pca" else landscape.random_directions(network, seed))
                return landscape.compute(network, data.X, data.y, directions, epoch, initial, resolution,
                                         progress=job.progress, stop=lambda: job.cancelled, penalty=penalty)
            except Interrupted:
                return None
            except NnvizError as exc:
                return str(exc)

        job = jobs.Job(work, "Computing the loss landscape", unit="grid point")
        job.sigProgress.connect(self._progressed)
        job.sigDone.connect(self._done)
        job.sigFailed.connect(lambda message: self._say(f"The landscape could not be computed: {message}"))
        job.finished.connect(self._job_ended)
        self._job = job
        self.progress.setRange(0, resolution ** 2)
        self.progress.setValue(0)
        self._update_controls()
        self._say(f"Computing {resolution} × {resolution} losses around epoch {epoch:,}…")
        job.start()
        return job

    @staticmethod
    def _trajectory(history: SnapshotHistory | None, network, epoch: int):
        """Copies of the initial weights, the snapshots up to ``epoch`` and their epochs (Nones without a history)."""
        if history is None or len(history) == 0 or not history.accepts(network):
            return None, None, None
        last = int(np.searchsorted(history.epochs, epoch, side="right"))
        if last == 0:
            return None, None, None
        trajectory = np.array([history.params(i) for i in range(last)])
        return trajectory[0].copy(), trajectory, history.epochs[:last].copy()

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._say("Stopping…")

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _done(self, result: Landscape | str | None) -> None:
        if result is None:
            self.message = "Stopped: the picture is the last one computed."
            self._say(self.message)
            return
        if isinstance(result, str):
            self.message = result
            self._say(result)
            return
        self.result = result
        self.message = ""
        self._draw(result)
        self._say(self._describe_result(self.state))
        self.sigDrawn.emit(result)

    def _job_ended(self) -> None:
        self._job = None
        self.progress.setValue(self.progress.maximum() if self.result is not None else 0)
        self._update_controls()

    def _auto_compute(self) -> None:
        if not self.isVisible() or self._job is not None or self.state is None:
            return
        if self.result is None or self.result.epoch != self.state.epoch:
            self.compute()

    def _update_controls(self) -> None:
        running = self._job is not None
        self.compute_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.seed_spin.setEnabled(self.kind == "random")
        self.progress.setVisible(running)

    # -- drawing ---------------------------------------------------------------------------
    def _draw(self, result: Landscape) -> None:
        s = result.slice
        logs = landscape.log_loss(s.losses)
        low, high = float(logs.min()), float(logs.max())
        if high - low < 1e-9:
            high = low + 1e-9
        step = float(s.axis[1] - s.axis[0])
        n = len(s.axis)
        # Row i is b = axis[i], column j is a = axis[j]: pixel centres on the grid's nodes.
        self.image.setImage(logs.astype(np.float32), autoLevels=False, levels=(low, high))
        self.image.setRect(-1 - step / 2, -1 - step / 2, n * step, n * step)
        self.colour_bar.setLevels((low, high))
        to_plane = QTransform()
        to_plane.translate(-1.0, -1.0)
        to_plane.scale(step, step)
        levels = landscape.log_levels(logs, CONTOURS)
        for k, contour in enumerate(self.contours):
            if k < len(levels):
                contour.setData(logs, float(levels[k]))
                contour.setTransform(to_plane)
                contour.setVisible(True)
            else:
                contour.setVisible(False)
        d = s.directions
        if d.kind == "pca" and d.path is not None:
            self.path.setData(d.path[:, 0].copy(), d.path[:, 1].copy())
            self.start_marker.setData([float(d.path[0, 0])], [float(d.path[0, 1])])
            self.plot.setLabel("bottom", "path direction 1")
            self.plot.setLabel("left", "path direction 2")
        else:
            self.path.setData([], [])
            self.start_marker.setData([], [])
            self.plot.setLabel("bottom", "random direction 1")
            self.plot.setLabel("left", "random direction 2")
        if result.line is not None:
            losses = np.clip(result.line.losses, 1e-300, None)
            self.line_curve.setData(result.line.alphas.copy(), losses)
        else:
            self.line_curve.setData([], [])

    def shutdown(self) -> None:
        """Stop a computation under way (the window closes); returns at once."""
        self.auto_timer.stop()
        if self._job is not None:
            self._job.cancel()
