"""The loss curve: training (and test) loss against epochs, log-scale by default.

The losses are kept in the core's bounded ``LossRecord`` (every epoch up to a
count, then buckets keeping each one's min, max and last loss), which is also
what "Export loss history" writes.  What is drawn is at most a few thousand
min/max pairs taken from it, so a frame costs the same after ten epochs or ten
million, and memory stays the same however long the run.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGraphicsItem

from nnviz.core.history import LossRecord
from nnviz.gui import theme

LARGEST_SHOWN = 1e300
# log10 of a loss of exactly 0 would be -inf; draw it as this instead.
FLOOR = 1e-300
# The x range reaches this many times the run's length (rounded up), leaving room right of the line.
RIGHT_ROOM = 1.12


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


LEFT_AXIS_WIDTH = 66  # pixels


class LossView(pg.PlotWidget):
    sigLogScaleChanged = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent, axisItems={"left": LogAxis("left"), "bottom": EpochAxis("bottom")})
        self.setObjectName("lossView")
        # The title, both axes and a curve that still shows its shape: docked
        # panels take what is left over, never this (on a 1366x768 screen too).
        self.setMinimumSize(240, 150)
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
        # A fixed width, room for "0.0001" or "1e-30": an axis as wide as its labels changes width as
        # the loss falls through the decades, and each change lays the plot out and paints it again.
        plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        # Width-1 pens and no symbols: the cheap path of PlotCurveItem.
        self.train_curve = plot.plot(pen=pg.mkPen(theme.TRAIN_LOSS, width=1), name="training loss")
        self.test_curve = plot.plot(pen=pg.mkPen(theme.TEST_LOSS, width=1), name="test loss")
        # The legend is part of the title row: inside the plot it covered the
        # curve wherever the curve ran.
        self.legend = plot.titleLabel
        self._legend_entries: tuple | None = None
        # The last epoch's loss, written beside the end of the line.
        self.last_label = pg.TextItem(color=theme.TRAIN_LOSS, anchor=(0, 0.5))
        plot.addItem(self.last_label, ignoreBounds=True)
        # Which past epoch the window shows (hidden while it shows the present).
        self.marker = pg.InfiniteLine(angle=90, movable=False,
                                      pen=pg.mkPen(theme.INK, width=1, style=Qt.PenStyle.DashLine))
        self.marker.setZValue(-1)
        self.marker.hide()
        plot.addItem(self.marker, ignoreBounds=True)
        self.setToolTip("Training loss (and test loss, when the data set has a test split) of every "
                        "epoch.\nScroll to zoom, drag to pan; double-click to show the whole run again.")
        for name in ("left", "bottom"):
            # Redrawn by Qt whenever the curve changes beneath them; cached, that
            # is a pixmap copy, and their own Python paint runs only when the
            # range really changes (see _follow).
            plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._redraw_timer = QTimer(self, singleShot=True, interval=0)
        self._redraw_timer.timeout.connect(self.redraw)
        vb = plot.getViewBox()
        vb.disableAutoRange()
        vb.sigRangeChangedManually.connect(self._user_range_changed)
        self.following = True  # the range tracks the whole run until the user zooms or pans
        self._range: tuple | None = None
        self.history = LossRecord()
        self.set_log_scale(True)
        self.reset(0)

    # -- data -------------------------------------------------------------------
    def reset(self, first_epoch: int) -> None:
        """Start a new run whose first loss will be that of ``first_epoch``."""
        self.history = LossRecord()
        self.history.clear(first_epoch)
        self.follow()

    @property
    def offset(self) -> int:
        """The run's first epoch on the curve."""
        return self.history.first_epoch

    @property
    def end_epoch(self) -> int:
        """One past the last epoch with a loss."""
        return self.history.end_epoch

    @property
    def _has_test(self) -> bool:
        return self.history.has_test

    def add(self, first_epoch: int, losses: np.ndarray, test_losses: np.ndarray | None) -> None:
        """Append the losses of epochs ``first_epoch, first_epoch + 1, ...``.

        After a rewind the run's later epochs are dropped first; a gap (a run
        started elsewhere) starts the curve afresh.
        """
        if first_epoch != self.end_epoch:
            if self.offset <= first_epoch < self.end_epoch:
                self.history.truncate(first_epoch - 1)
            else:
                self.reset(first_epoch)
        self.history.add(first_epoch, losses, test_losses)

    def truncate(self, last_epoch: int) -> None:
        """Drop every loss after ``last_epoch`` (to resume from a past epoch), and redraw."""
        self.history.truncate(last_epoch)
        self._range = None
        self.redraw()

    def set_marker(self, epoch: int | None) -> None:
        """Mark the past epoch the window shows with a vertical line; None hides it."""
        if epoch is None:
            self.marker.hide()
        else:
            self.marker.setValue(epoch)
            self.marker.show()

    # -- drawing ------------------------------------------------------------------
    def set_log_scale(self, on: bool) -> None:
        self.log_scale = on
        self.getPlotItem().setLogMode(x=False, y=on)
        self.getPlotItem().setLabel("left", "loss (log scale)" if on else "loss")
        self._range = None
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
        # At least a tenth of the width stays free right of the line's end, for its value.
        xmax = self.offset + _nice_ceiling(max(len(self.history) * RIGHT_ROOM, 10))
        finite = [y[np.isfinite(y)] for y in ys]
        finite = [y for y in finite if len(y)]
        if finite:
            lo = min(float(y.min()) for y in finite)
            # Headroom above a diverging run's ~1e308 would overflow to inf, which no axis can show.
            hi = min(max(float(y.max()) for y in finite), LARGEST_SHOWN)
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
            vb = self.getPlotItem().getViewBox()
            vb.setRange(xRange=(self.offset, xmax), yRange=(ymin, ymax), padding=0)
            # Now, not when the frame is painted: there the new range moves every item, and
            # that asks for a second full repaint of the plot just after the frame.
            vb.updateMatrix()

    def redraw(self) -> None:
        record = self.history
        vb = self.getPlotItem().getViewBox()
        if self.following:
            start, stop = record.first_epoch, record.end_epoch
        else:
            (start, stop), _ = vb.viewRange()
        drawn = []
        # A minimum and a maximum per pixel column: every spike shows, and no point is drawn
        # over another (this is redrawn 30 times a second while training).
        points = max(2 * int(vb.width()), 200)
        curves = ((self.train_curve, "train", True), (self.test_curve, "test", record.has_test))
        for curve, which, shown in curves:
            if not shown or record.empty:
                curve.setData([], [])
                continue
            x, y = record.series(which, start, stop, max_points=points)
            np.maximum(y, FLOOR, out=y, where=~np.isnan(y))
            curve.setData(x, y, connect="finite")
            drawn.append(y)
        if self.following:
            self._follow(drawn)
        self._label_last()
        self._update_legend()

    def _update_legend(self) -> None:
        # The test entry only when there is a test curve to explain.
        entries = () if self.history.empty else (("training", theme.TRAIN_LOSS),) + (
            (("test", theme.TEST_LOSS),) if self.history.has_test else ())
        if entries != self._legend_entries:
            self._legend_entries = entries
            gap = "&nbsp;" * 3
            keys = "".join(f"{gap}<span style='color: {colour}'>&#9473;&#9473;</span>&nbsp;{name}"
                           for name, colour in entries)
            self.getPlotItem().setTitle("Loss" + keys, color=theme.INK, size="11pt")

    def _label_last(self) -> None:
        loss = self.history.last_loss
        if not math.isfinite(loss):
            self.last_label.hide()
            return
        y = math.log10(max(loss, FLOOR)) if self.log_scale else loss
        x = self.history.last_epoch
        self.last_label.setText(f"{loss:.3g}")
        # Right of the line's end when the text fits there, else just above the end.
        vb = self.getPlotItem().getViewBox()
        (x0, x1), _ = vb.viewRange()
        room = (x1 - x) * vb.width() / (x1 - x0) if x1 > x0 else 0.0
        fits = room >= self.last_label.textItem.boundingRect().width()
        self.last_label.setAnchor((0, 0.5) if fits else (1, 1))
        self.last_label.setPos(x, y)
        self.last_label.show()

    def to_csv(self) -> str:
        """What the record keeps, as CSV: every epoch's loss, or, once buckets are merged, a
        ``#`` line saying so and one row per bucket (see ``LossRecord.to_csv``)."""
        return self.history.to_csv()
