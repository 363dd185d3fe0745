"""The loss curve: training (and test) loss against epochs, log-scale by default.

The full per-epoch history is kept in the core's growing ``LossHistory``
(for CSV export and zooming in); what is drawn comes from a ``PeakEnvelope``
of at most a few thousand min/max pairs, so a frame costs the same after ten
epochs or ten million.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QGraphicsItem

from nnviz.core.envelope import PeakEnvelope, visible_series
from nnviz.core.history import LossHistory
from nnviz.gui import theme

# log10 of a loss of exactly 0 would be -inf; draw it as this instead.
FLOOR = 1e-300


def _nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 3, 4, 5, 6 or 8 times a power of ten) at least ``value`` > 0.

    Steps this size keep the empty part of the loss plot under a third while
    the range (and so the axes) changes only a few times per decade of epochs.
    """
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if m * magnitude >= value * (1 - 1e-12))


def _nice_linear_ticks(lo: float, hi: float, count: int = 4) -> np.ndarray:
    """About ``count`` round numbers (steps of 1, 2 or 5 times a power of ten) between lo and hi."""
    raw = (hi - lo) / count
    if not raw > 0:
        return np.array([])
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = magnitude * next(m for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return np.arange(math.ceil(lo / step) * step, hi + step * 1e-9, step)


_LABELLED = 0.1  # any spacing but None: logTickStrings labels the level


class LogAxis(pg.AxisItem):
    """Log-scale ticks labelled with plain numbers (0.2, 1e-05) that also work within a decade.

    pyqtgraph labels only powers of ten, so a loss creeping from 0.25 to 0.2
    would show an axis without a single number.
    """

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        lo, hi = math.floor(minVal), math.ceil(maxVal)

        def inside(v: float) -> bool:
            return minVal <= v <= maxVal

        stride = max(1, math.ceil((hi - lo) / 8))
        decades = [float(v) for v in range(lo, hi + 1) if inside(v) and v % stride == 0]
        mid = [v + math.log10(m) for v in range(lo, hi) for m in (2, 5) if inside(v + math.log10(m))]
        if len(decades) + (len(mid) if stride == 1 else 0) >= 3:
            minor = [v + math.log10(m) for v in range(lo, hi) for m in (3, 4, 6, 7, 8, 9)
                     if inside(v + math.log10(m))] if hi - lo <= 4 else []
            return [(1.0, decades), (0.5, mid if stride == 1 else []), (None, minor)]
        # Less than a decade in view: round numbers on the linear scale, placed logarithmically.
        linear = _nice_linear_ticks(10.0 ** minVal, 10.0 ** maxVal)
        return [(_LABELLED, [math.log10(v) for v in linear if v > 0])]

    def logTickStrings(self, values, scale, spacing):
        if spacing is None:  # the 3, 4, 6, 7, 8, 9 ticks: marks without numbers
            return ["" for _ in values]
        return [f"{10.0 ** v:.3g}" for v in values]


def epoch_text(value: float) -> str:
    """Tick text for an epoch count: 900, 25k, 1.5M."""
    v = abs(value)
    if v >= 1e6:
        return f"{value / 1e6:g}M"
    if v >= 1e4:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


class EpochAxis(pg.AxisItem):
    """Epochs as 25k and 1.5M; pyqtgraph's own SI prefix would relabel the axis title on every
    frame of a growing run (a text layout each time)."""

    def tickStrings(self, values, scale, spacing):
        return [epoch_text(v * scale) for v in values]


class LossView(pg.PlotWidget):
    sigLogScaleChanged = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent, axisItems={"left": LogAxis("left"), "bottom": EpochAxis("bottom")})
        self.setObjectName("lossView")
        plot = self.getPlotItem()
        plot.setTitle("Loss", color=theme.INK, size="11pt")
        plot.setLabel("bottom", "epoch")
        plot.setLabel("left", "loss")
        # Horizontal grid lines only: they help read a log axis; vertical ones
        # were clutter (and every grid line is redrawn with each frame).
        plot.showGrid(x=False, y=True, alpha=0.25)
        # SI prefixes turn a log axis into nonsense ("10² (x0.001)").
        for name in ("left", "bottom"):
            plot.getAxis(name).enableAutoSIPrefix(False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        self.legend = plot.addLegend(offset=(-8, 8), brush=pg.mkBrush(255, 255, 255, 210),
                                     pen=pg.mkPen(theme.GRID_PEN))
        # Width-1 pens and no symbols: the cheap path of PlotCurveItem.
        self.train_curve = plot.plot(pen=pg.mkPen(theme.TRAIN_LOSS, width=1), name="training loss")
        self.test_curve = plot.plot(pen=pg.mkPen(theme.TEST_LOSS, width=1), name="test loss")
        self.setToolTip("Training loss (and test loss, when the data set has a test split) of every "
                        "epoch.\nScroll to zoom, drag to pan; double-click to show the whole run again.")
        for name in ("left", "bottom"):
            # Redrawn by Qt whenever the curve changes beneath them; cached, that
            # is a pixmap copy, and their own Python paint runs only when the
            # range really changes (see _follow).
            plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._redraw_timer = QTimer(self, singleShot=True, interval=0)
        self._redraw_timer.timeout.connect(self.redraw)
        vb = plot.getViewBox()
        vb.disableAutoRange()
        vb.sigRangeChangedManually.connect(self._user_range_changed)
        self.following = True  # the range tracks the whole run until the user zooms or pans
        self._range: tuple | None = None
        self.set_log_scale(True)
        self.reset(0)

    # -- data -------------------------------------------------------------------
    def reset(self, first_epoch: int) -> None:
        """Start a new run whose first loss will be that of ``first_epoch``."""
        self.offset = first_epoch
        self.history = LossHistory()
        self._train_env = PeakEnvelope()
        self._test_env = PeakEnvelope()
        self._has_test = False
        self.follow()

    @property
    def end_epoch(self) -> int:
        """One past the last epoch with a loss."""
        return self.offset + len(self.history)

    def add(self, first_epoch: int, losses: np.ndarray, test_losses: np.ndarray | None) -> None:
        """Append the losses of epochs ``first_epoch, first_epoch + 1, ...``.

        After a rewind the run's later epochs are dropped first; a gap (a run
        started elsewhere) starts the curve afresh.
        """
        if first_epoch != self.end_epoch:
            if self.offset <= first_epoch < self.end_epoch:
                self._truncate(first_epoch - self.offset)
            else:
                self.reset(first_epoch)
        if len(losses) == 0:
            return
        self.history.append(losses, test_losses)
        self._train_env.append(losses)
        if test_losses is not None:
            self._has_test = True
            self._test_env.append(test_losses)
        else:
            self._test_env.append(np.full(len(losses), np.nan))

    def _truncate(self, size: int) -> None:
        train, test = self.history.train[:size].copy(), self.history.test[:size].copy()
        offset = self.offset
        self.reset(offset)
        self.add(offset, train, test if not np.all(np.isnan(test)) else None)

    # -- drawing ------------------------------------------------------------------
    def set_log_scale(self, on: bool) -> None:
        self.log_scale = on
        self.getPlotItem().setLogMode(x=False, y=on)
        self.getPlotItem().setLabel("left", "loss (log scale)" if on else "loss")
        self._range = None
        if hasattr(self, "history"):
            self.redraw()
        self.sigLogScaleChanged.emit(on)

    def follow(self) -> None:
        """Show the whole run again, and keep showing it as it grows."""
        self.following = True
        self._range = None
        self.redraw()

    def _user_range_changed(self, *_args) -> None:
        self.following = False
        self._redraw_timer.start()  # draw the zoomed-in part in full detail

    def mouseDoubleClickEvent(self, event) -> None:
        super().mouseDoubleClickEvent(event)
        self.follow()

    def _follow(self, ys: list[np.ndarray]) -> None:
        """Fit the range to the run in coarse steps, so it (and the axes) change only now and then."""
        xmax = self.offset + _nice_ceiling(max(len(self.history), 10))
        finite = [y[np.isfinite(y)] for y in ys]
        finite = [y for y in finite if len(y)]
        if finite:
            lo = min(float(y.min()) for y in finite)
            hi = max(float(y.max()) for y in finite)
        else:
            lo, hi = 0.1, 1.0
        if self.log_scale:
            # Quarter decades, with a little room above and below.
            ymin = math.floor(math.log10(max(lo, FLOOR)) * 4 - 0.2) / 4
            ymax = math.ceil(math.log10(max(hi, FLOOR)) * 4 + 0.2) / 4
        else:
            ymin, ymax = 0.0, _nice_ceiling(hi * 1.05) if hi > 0 else 1.0
        new = (self.offset, xmax, ymin, ymax)
        if new != self._range:
            self._range = new
            self.getPlotItem().getViewBox().setRange(xRange=(self.offset, xmax), yRange=(ymin, ymax),
                                                     padding=0)

    def redraw(self) -> None:
        n = len(self.history)
        vb = self.getPlotItem().getViewBox()
        if self.following:
            start, stop = 0, n
        else:
            (x0, x1), _ = vb.viewRange()
            start, stop = x0 - self.offset, x1 - self.offset
        drawn = []
        for curve, raw, env, shown in ((self.train_curve, self.history.train, self._train_env, True),
                                       (self.test_curve, self.history.test, self._test_env, self._has_test)):
            if not shown or n == 0:
                curve.setData([], [])
                continue
            x, y = visible_series(raw, env, start, stop)
            np.maximum(y, FLOOR, out=y, where=~np.isnan(y))
            curve.setData(x + self.offset, y, connect="finite")
            drawn.append(y)
        if self.following:
            self._follow(drawn)
        self.legend.setVisible(n > 0)
        # The test entry only when there is a test curve to explain.
        for sample, label in self.legend.items:
            if label.text == "test loss":
                sample.setVisible(self._has_test)
                label.setVisible(self._has_test)

    def to_csv(self) -> str:
        """``epoch,loss`` (and ``test_loss`` when there is a test split) for every epoch."""
        epochs = np.arange(self.offset, self.end_epoch)
        lines = ["epoch,loss,test_loss" if self._has_test else "epoch,loss"]
        if self._has_test:
            lines += [f"{e},{tr!r},{te!r}" for e, tr, te in
                      zip(epochs.tolist(), self.history.train.tolist(), self.history.test.tolist())]
        else:
            lines += [f"{e},{tr!r}" for e, tr in zip(epochs.tolist(), self.history.train.tolist())]
        return "\n".join(lines) + "\n"
