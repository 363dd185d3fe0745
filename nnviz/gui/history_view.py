"""Scrub back through training: a slider over the weight snapshots, and resume from any of them.

The panel keeps a ``SnapshotHistory`` (bounded: see ``core/snapshots.py``)
fed with every snapshot of the run, visible or not (``record``).  Moving the
slider off its right end emits ``sigScrubbed`` with the network as it was at
that epoch (a ``PastEpoch``), which the session then shows in every view;
the Live button emits ``sigScrubbed(None)``.  Whether a past epoch is shown
is the session's state, not the panel's: ``show_live`` is how the panel
hears that the window went back to the present (Play, Step, Reset...).
"Resume from here" emits ``sigResume`` so training continues from the past
weights (the same weights, the same epoch count).

While training runs the curve grows every frame, but the axes keep their
ranges (epochs up to a round number, whole decades of loss) until the curve
leaves them, and the texts sit at fixed sizes: a frame repaints the curve,
not the axes, and never lays the window out again.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QGraphicsItem, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from nnviz.core.datasets import Dataset
from nnviz.core.network import Network
from nnviz.core.session import PastEpoch
from nnviz.core.snapshots import SnapshotHistory
from nnviz.core.trainer import TrainSettings
from nnviz.gui import theme
from nnviz.gui.loss_view import LogAxis
from nnviz.gui.panel import MUTED, Panel, RichText, State, fix_size


# Round numbers a range is widened to: each at most a quarter more than the one before,
# so the curve always fills most of the plot, and the range changes rarely as it grows.
ROUND_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
# Axes widened again this soon after the last time are widened to twice what the curve needs.
WIDEN_AGAIN_SECONDS = 3.0


def round_up(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 15... at or above ``value``."""
    if value <= 1:
        return 1.0
    decade = 10.0 ** math.floor(math.log10(value))
    return next(step * decade for step in ROUND_STEPS if step * decade >= value)


def axis_ranges(epochs: np.ndarray, losses: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """The plot's x range (epochs) and y range (log10 of the loss), both rounded outwards."""
    x = (float(epochs[0]), float(epochs[0]) + round_up(float(epochs[-1] - epochs[0])))
    finite = losses[np.isfinite(losses) & (losses > 0)]
    if not len(finite):
        return x, (-1.0, 0.0)
    low, high = math.floor(math.log10(finite.min())), math.ceil(math.log10(finite.max()))
    return x, (float(low), float(max(high, low + 1)))


class HistoryView(Panel):
    """A slider over the recorded snapshots, a loss overview, and resume / export buttons.

    Signals
    -------
    sigScrubbed(PastEpoch or None)
        The user looks at a past epoch (None: back to live training).
    sigResume(PastEpoch)
        The user wants training to continue from that past epoch.
    """

    sigScrubbed = Signal(object)
    sigResume = Signal(object)

    def sizeHint(self) -> QSize:
        # A docked panel starts at its size hint: modest, so the main views keep the room.
        return QSize(640, 260)

    def __init__(self, parent: QWidget | None = None, budget_bytes: int | None = None) -> None:
        super().__init__(parent)
        self.history: SnapshotHistory | None = None
        self._budget = budget_bytes
        self.data: Dataset | None = None
        self.settings: TrainSettings | None = None
        self.live = True
        self._scrub_epoch = 0

        self.info = RichText(lines=2)
        # The loss curve's own axis: labels within a decade, unlabelled minor ticks (pyqtgraph's
        # default labels every minor tick, and they pile up in a short plot).
        self.plot = pg.PlotWidget(background="w", axisItems={"left": LogAxis(orientation="left")})
        self.plot.setLogMode(y=True)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "loss")
        # No grid: an overview reads well without one, and the grid lines across
        # the whole width made a change of range cost a frame (20 ms against 2, measured).
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(120)
        self.plot.disableAutoRange()  # ranges set by ``axis_ranges``, which change rarely
        for name in ("left", "bottom"):
            # Cached: the growing curve's repaint copies them instead of redrawing them.
            self.plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._ranges: tuple | None = None
        self._widened = -math.inf  # when the axes last had to be widened
        self.curve = self.plot.plot([], [], pen=pg.mkPen(theme.INK, width=1))
        self.marker = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(theme.VERMILLION, width=2))
        self.plot.addItem(self.marker)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Drag back through training; the window shows the network as it was")
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._slid)
        self.epoch_label = QLabel("no snapshots yet")
        fix_size(self.epoch_label, "epoch 100,000,000  (live)")
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Back to the network being trained now")
        self.live_button.clicked.connect(self.go_live)
        self.resume_button = QPushButton("Resume from here")
        self.resume_button.setToolTip("Continue training from the weights of the epoch shown; "
                                      "later snapshots are dropped")
        self.resume_button.clicked.connect(self.resume)
        self.export_button = QPushButton("Export animation…")
        self.export_button.setToolTip("Save the training as a GIF or MP4: boundary, diagram and loss curve")
        self.export_button.clicked.connect(self.open_export_dialog)

        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.epoch_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.live_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.info)
        layout.addWidget(self.plot, 1)
        layout.addLayout(row)
        layout.addLayout(buttons)
        self._update_controls()

    # -- recording (every frame, visible or not) --------------------------------
    def record(self, network: Network, data: Dataset, settings: TrainSettings, epoch: int,
               loss: float = float("nan")) -> None:
        """Offer the weights of ``epoch``; the history keeps or thins them within its budget."""
        if self.history is None or not self.history.accepts(network):
            kwargs = {} if self._budget is None else {"budget_bytes": self._budget}
            self.history = SnapshotHistory(network, **kwargs)
        if not np.isfinite(loss):
            with np.errstate(all="ignore"):
                loss = network.loss_value(data.X, data.y)
        self.history.record(epoch, network.params, loss)
        self.data, self.settings = data, settings
        self._dirty = True
        self._schedule()

    def set_state(self, network: Network, data: Dataset, settings: TrainSettings, epoch: int,
                  optimizer=None, rng_state=None) -> None:
        """What the window shows: only noted (``record`` is what keeps snapshots, live or not)."""
        self.state = State(network, data, settings, int(epoch), optimizer, rng_state)

    # -- display ------------------------------------------------------------------
    def refresh(self, state: State | None = None) -> None:
        h = self.history
        if h is None or len(h) == 0:
            self.slider.blockSignals(True)
            self.slider.setRange(0, 0)
            self.slider.blockSignals(False)
            self.curve.setData([], [])
            self._update_controls()
            return
        epochs, losses = h.epochs.copy(), np.clip(h.losses, 1e-300, None)
        self.curve.setData(epochs, losses)
        self._fit_axes(epochs, losses)
        # Thinning renumbers snapshots: a scrubbed slider stays on its epoch, not its index.
        index = len(h) - 1 if self.live else h.index_at(self._scrub_epoch)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(h) - 1)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self._update_controls()

    def _fit_axes(self, epochs: np.ndarray, losses: np.ndarray) -> None:
        """Keep the axes while the curve fits in them; widen them (both axes are redrawn) only when it leaves.

        Redrawing the axes takes a good part of a frame, so when the curve
        leaves them again within seconds (a fast run), they are widened to
        twice what the curve needs.
        """
        (x0, x1), y = axis_ranges(epochs, losses)
        now = time.monotonic()
        if self._ranges is not None:
            (old0, old1), old_y = self._ranges
            if old0 == x0 and old_y == y and x1 <= old1 and old1 - old0 <= 4 * (x1 - x0):
                return  # the curve is still inside, and fills a fair part of the plot
            if old0 == x0 and x1 > old1 and now - self._widened < WIDEN_AGAIN_SECONDS:
                x1 = x0 + round_up(2 * float(epochs[-1] - x0))
        self._widened = now
        self._ranges = ((x0, x1), y)
        self.plot.setRange(xRange=(x0, x1), yRange=y, padding=0.02)

    def _drawable(self) -> bool:
        return True  # it draws what it recorded, whatever the window shows

    def _update_controls(self) -> None:
        h = self.history
        n = 0 if h is None else len(h)
        self.resume_button.setEnabled(n > 0 and not self.live)
        self.live_button.setEnabled(not self.live)
        self.export_button.setEnabled(n > 0)
        if n == 0:
            self.info.setText(f"<span style='color:{MUTED}'>Snapshots of the weights appear here as the "
                              "network trains.</span>")
            return
        index = self.slider.value()
        epoch = h.epoch(min(index, n - 1))
        self.marker.setValue(epoch)
        self.epoch_label.setText(f"epoch {epoch:,}" + ("  (live)" if self.live else ""))
        mb = h.nbytes / (1024 * 1024)
        spacing = "every frame so far" if h.stride == 1 else f"at most one per {h.stride:,} epochs"
        first, last = int(h.epochs[0]), int(h.epochs[-1])
        what = f"snapshot, epoch {first:,}" if n == 1 else f"snapshots, epochs {first:,}–{last:,}"
        self.info.setText(
            f"<b>{n:,}</b> {what} "
            f"<span style='color:{MUTED}'>({spacing}; at most {h.capacity:,} kept in {mb:.1f} MB, "
            "thinning evenly as training goes on)</span>")

    # -- scrubbing ------------------------------------------------------------------
    def forget_after(self, epoch: int) -> None:
        """Training went back to ``epoch`` (a reset, a resume): later snapshots describe a lost future."""
        if self.history is None:
            return
        self.history.truncate(epoch)
        self._dirty = True
        self.flush()  # now, not at the next redraw: the slider must not point past the end

    def _slid(self, index: int) -> None:
        h = self.history
        if h is None or len(h) == 0:
            return
        index = min(index, len(h) - 1)
        self.live = index >= len(h) - 1
        self._scrub_epoch = h.epoch(index)
        self._update_controls()
        self.sigScrubbed.emit(None if self.live else self.past(index))

    def past(self, index: int | None = None) -> PastEpoch:
        """The network at snapshot ``index`` (default: where the slider is)."""
        index = self.slider.value() if index is None else index
        h = self.history
        return PastEpoch(h.network(index), h.epoch(index), float(h.losses[index]))

    def scrub_to_epoch(self, epoch: int) -> PastEpoch:
        """Move the slider to the newest snapshot at or before ``epoch``."""
        index = self.history.index_at(epoch)
        self.slider.setValue(index)
        return self.past(index)

    def go_live(self) -> None:
        """The Live button: ask for the present (the session answers with ``show_live``)."""
        self.show_live()
        self.sigScrubbed.emit(None)

    def show_live(self) -> None:
        """The window shows the present again: the slider goes to the newest snapshot."""
        if self.live:
            return
        self.live = True
        if self.history is not None and len(self.history):
            self.slider.blockSignals(True)
            self.slider.setValue(len(self.history) - 1)
            self.slider.blockSignals(False)
        self._dirty = True
        self.flush()

    def resume(self) -> None:
        """Ask the window to train on from the snapshot shown; later snapshots are dropped."""
        if self.history is None or len(self.history) == 0:
            return
        past = self.past()
        self.forget_after(past.epoch)
        self.sigResume.emit(past)
        self.show_live()

    def open_export_dialog(self):
        from nnviz.gui.animation_export import ExportDialog

        if self.history is None or self.data is None:
            return None
        dialog = ExportDialog(self.history, self.data, self)
        dialog.open()
        return dialog
