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

from nnviz.core.envelope import PeakEnvelope, visible_series
from nnviz.core.history import LossHistory
from nnviz.gui import theme

# log10 of a loss of exactly 0 would be -inf; draw it as this instead.
FLOOR = 1e-300


def _nice_linear_ticks(lo: float, hi: float, count: int = 4) -> np.ndarray:
    """About ``count`` round numbers (steps of 1, 2 or 5 times a power of ten) between lo and hi."""
    raw = (hi - lo) / count
    if not raw > 0:
        return np.array([])
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = magnitude * next(m for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return np.arange(math.ceil(lo / step) * step, hi + step * 1e-9, step)


class LogAxis(pg.AxisItem):
    """Log-scale ticks labelled with plain numbers (0.2, 1e-05) that also work within a decade.

    pyqtgraph labels only powers of ten, so a loss creeping from 0.25 to 0.2
    would show an axis without a single number.
    """

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        lo, hi = math.floor(minVal), math.ceil(maxVal)
        inside = lambda v: minVal <= v <= maxVal  # noqa: E731
        stride = max(1, math.ceil((hi - lo) / 8))
        decades = [float(v) for v in range(lo, hi + 1) if inside(v) and v % stride == 0]
        mid = [v + math.log10(m) for v in range(lo, hi) for m in (2, 5) if inside(v + math.log10(m))]
        if len(decades) + (len(mid) if stride == 1 else 0) >= 3:
            minor = [v + math.log10(m) for v in range(lo, hi) for m in (3, 4, 6, 7, 8, 9)
                     if inside(v + math.log10(m))] if hi - lo <= 4 else []
            return [(1.0, decades), (0.5, mid if stride == 1 else []), (None, minor)]
        # Less than a decade in view: round numbers on the linear scale, placed logarithmically.
        linear = _nice_linear_ticks(10.0 ** minVal, 10.0 ** maxVal)
        return [(None, [math.log10(v) for v in linear if v > 0])]

    def logTickStrings(self, values, scale, spacing):
        return [f"{10.0 ** v:.3g}" for v in values]


class LossView(pg.PlotWidget):
    sigLogScaleChanged = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent, axisItems={"left": LogAxis("left")})
        self.setObjectName("lossView")
        plot = self.getPlotItem()
        plot.setTitle("Loss", color=theme.INK, size="11pt")
        plot.setLabel("bottom", "epoch")
        plot.setLabel("left", "loss")
        plot.showGrid(x=True, y=True, alpha=0.25)
        # SI prefixes turn a log axis into nonsense ("10² (x0.001)").
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        self.legend = plot.addLegend(offset=(-8, 8), brush=pg.mkBrush(255, 255, 255, 210),
                                     pen=pg.mkPen(theme.GRID_PEN))
        # Width-1 pens and no symbols: the cheap path of PlotCurveItem.
        self.train_curve = plot.plot(pen=pg.mkPen(theme.TRAIN_LOSS, width=1), name="training loss")
        self.test_curve = plot.plot(pen=pg.mkPen(theme.TEST_LOSS, width=1), name="test loss")
        self.setToolTip("Training loss (and test loss, when the data set has a test split) of every "
                        "epoch.\nScroll to zoom, drag to pan; double-click to follow the whole run again.")
        self._redraw_timer = QTimer(self, singleShot=True, interval=0)
        self._redraw_timer.timeout.connect(self.redraw)
        plot.getViewBox().sigXRangeChanged.connect(self._user_range_changed)
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
        self.getPlotItem().getViewBox().enableAutoRange()
        self.redraw()

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
        self.sigLogScaleChanged.emit(on)

    def _user_range_changed(self) -> None:
        # Only a zoom or pan needs a redraw of its own; while following the run
        # the range changes because the data did, and the data were just drawn.
        if not self.getPlotItem().getViewBox().autoRangeEnabled()[0]:
            self._redraw_timer.start()

    def redraw(self) -> None:
        n = len(self.history)
        vb = self.getPlotItem().getViewBox()
        if vb.autoRangeEnabled()[0]:
            start, stop = 0, n
        else:
            (x0, x1), _ = vb.viewRange()
            start, stop = x0 - self.offset, x1 - self.offset
        for curve, raw, env, shown in ((self.train_curve, self.history.train, self._train_env, True),
                                       (self.test_curve, self.history.test, self._test_env, self._has_test)):
            if not shown or n == 0:
                curve.setData([], [])
                continue
            x, y = visible_series(raw, env, start, stop)
            np.maximum(y, FLOOR, out=y, where=~np.isnan(y))
            curve.setData(x + self.offset, y, connect="finite")
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
