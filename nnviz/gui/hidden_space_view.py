"""The hidden space: where a chosen layer puts every data point, and how it bends the input plane.

The work (a forward pass of the points and of the plane's grid, a PCA) runs
in a background job (``jobs.py``) on the copy of the network the panel was
given.  At most one job is in flight: a state that arrives meanwhile waits,
and only the newest waiting one runs next, so a fast run never queues up
frames.  The panel draws each finished frame; ``frame`` is the last one drawn.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from nnviz.core import hidden_space
from nnviz.core.hidden_space import HiddenSpace, Projection
from nnviz.gui import class_colours, jobs, theme
from nnviz.gui.panel import MUTED, Panel, RichText, State, fix_size, refill_combo

CAPTION = (
    "Each dot is a data point, placed where this layer sends it. "
    "The grey grid is the input plane, bent by the layers. "
    "On the last hidden layer, the black line is where the output decides (the shading shows its answer): "
    "once the line separates the colours, the task is solved.")
CAPTION_CLASSES = (
    "Each dot is a data point, placed where this layer sends it. "
    "The grey grid is the input plane, bent by the layers. "
    "On the last hidden layer, the shading is the class the output gives each place (pale: unsure), "
    "and the black lines are where two classes tie. Once they part the colours, the task is solved.")
CAPTION_VALUES = (
    "Each dot is a data point, placed where this layer sends it and coloured by its target. "
    "The grey grid is the input plane, bent by the layers. "
    "On the last hidden layer, the shading is the network's prediction there, in the same colours: "
    "a dot that melts into its shading is fit well.")
# Said for a last hidden layer of more than two units, where the plane shown cuts through a bigger space.
NOT_EXACT = " The shading is only exact for 2 units, so it is drawn only then."
NOT_EXACT_LINE = " With more than 2 units the line is dashed: it is only exact for 2 units."
MODES = (("units", "two units"), ("pca", "PCA (main directions)"))
# More points than this are thinned evenly: the shape of the cloud is what matters.
MAX_DRAWN = 5000
# The view's range is kept while the picture fills at least this share of it (no jitter while training).
KEEP_RANGE_FILL = 0.4


def range_for(points: np.ndarray, current: tuple[float, float, float, float] | None):
    """(xmin, xmax, ymin, ymax) around the finite points, or ``current`` when they still fit well in it."""
    needed = hidden_space.padded_bounds(points, 0.0)
    if current is not None:
        cx0, cx1, cy0, cy1 = current
        x0, x1, y0, y1 = needed
        inside = x0 >= cx0 and x1 <= cx1 and y0 >= cy0 and y1 <= cy1
        if inside and x1 - x0 >= KEEP_RANGE_FILL * (cx1 - cx0) and y1 - y0 >= KEEP_RANGE_FILL * (cy1 - cy0):
            return current
    return hidden_space.padded_bounds(points, 0.08)


# A regression's points take one of this many colours of the value map (finer than the eye tells
# apart; a few shared brushes keep pyqtgraph's symbol cache small).
VALUE_STEPS = 256


def caption_for(kind: str, last_hidden: bool, units: int) -> str:
    """The caption's words for an output of ``kind``, and whether the shading shown is exact."""
    text = {"classes": CAPTION_CLASSES, "values": CAPTION_VALUES}.get(kind, CAPTION)
    if last_hidden and units > 2:
        text += NOT_EXACT_LINE if kind == "binary" else NOT_EXACT
    return text


def value_steps(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """Each value's step of the value colour map: 0 at the scale's low end, ``VALUE_STEPS`` − 1 at its high."""
    lo, hi = levels
    scaled = np.nan_to_num((np.asarray(values, dtype=np.float64).ravel() - lo) / (hi - lo), nan=0.5)
    return np.clip(np.round(scaled * (VALUE_STEPS - 1)), 0, VALUE_STEPS - 1).astype(np.intp)


def class_boundaries(frame: HiddenSpace) -> tuple[np.ndarray, np.ndarray] | None:
    """x and y of the segments where two classes tie (in pairs), over the frame's class shading.

    The zero contour of each class's margin over the best other class;
    computed in the frame's job, never on the GUI thread.
    """
    if frame.output_kind != "classes" or frame.output_image is None:
        return None
    xmin, xmax, ymin, ymax = frame.output_rect
    rows, cols = frame.output_image.shape[:2]
    segments = []
    for margin in hidden_space.class_margins(frame.output_image):
        segments.extend(pg.isocurve(margin, 0.0))
    if not segments:
        return np.empty(0), np.empty(0)
    # isocurve's coordinates are (row, column) + 0.5; pixel centres lie on the plane's linspace.
    points = np.asarray(segments, dtype=np.float64).reshape(-1, 2) - 0.5
    x = xmin + points[:, 1] * (xmax - xmin) / (cols - 1)
    y = ymin + points[:, 0] * (ymax - ymin) / (rows - 1)
    return x, y


def class_labels(y: np.ndarray, classes: int) -> np.ndarray:
    """Each point's class for its colour: the label (one output: 1 from 0.5 up); all 0 for regression."""
    if classes == 0:
        return np.zeros(len(y), dtype=np.intp)
    if classes == 2:
        return (y[:, 0] >= 0.5).astype(np.intp)
    return y[:, 0].astype(np.intp)


def thinning(data) -> int:
    """Map and draw every n-th point: at most about ``MAX_DRAWN`` of them."""
    return max(1, math.ceil((len(data.X) + len(data.X_test)) / MAX_DRAWN))


def with_breaks(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of several polylines (lines, samples, 2) as one curve, NaN between lines."""
    gap = np.full((len(lines), 1, 2), np.nan)
    joined = np.concatenate([lines, gap], axis=1).reshape(-1, 2)
    return joined[:, 0].copy(), joined[:, 1].copy()


class HiddenSpaceView(Panel):
    """A chosen layer's space: the data's points, the warped input grid, and the output's decision line.

    Signals
    -------
    sigDrawn(HiddenSpace)
        A frame was drawn (tests wait for it).
    """

    sigDrawn = Signal(object)
    # Each frame is a job that shares the interpreter with training: fewer while epochs are skipped.
    busy_hz = 15.0

    def sizeHint(self) -> QSize:
        return QSize(380, 520)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer = 1
        self.mode = "units"
        self.pair = (0, 1)
        self.frame: HiddenSpace | None = None
        self._job: jobs.Job | None = None
        # The frame being computed: its data set (whose labels colour the points), classes and layer count.
        self._job_data = None
        self._waiting: State | None = None
        self._range: tuple | None = None

        self.caption = RichText(lines=6)
        self.caption.setText(f"<span style='color:{MUTED}'>{CAPTION}</span>")
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("The layer whose space is shown: the input, a hidden layer, or the output")
        self.layer_combo.activated.connect(self.select_layer)
        self.mode_combo = QComboBox()
        for _, text in MODES:
            self.mode_combo.addItem(text)
        self.mode_combo.setToolTip("A layer of more than two units: show two of its units, "
                                   "or the two directions along which the points spread most (PCA)")
        self.mode_combo.activated.connect(lambda index: self.select_mode(MODES[index][0]))
        self.next_button = QPushButton("Next pair")
        self.next_button.setToolTip("Show the next pair of units (P; Shift+P goes back)")
        self.next_button.clicked.connect(lambda: self.cycle_pair(1))
        for keys, step in (("P", 1), ("Shift+P", -1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda step=step: self.cycle_pair(step))
        self.status = QLabel("")
        fix_size(self.status, "epoch 100,000,000 · computing…")
        self.status.setStyleSheet(f"color: {MUTED}")

        self.plot = pg.PlotWidget(background="w")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.disableAutoRange()
        for name in ("left", "bottom"):
            self.plot.getAxis(name).enableAutoSIPrefix(False)  # activations read as they are, not in thousandths
        # Behind everything, on the last hidden layer: what the output says at each place, in the
        # decision boundary view's colours.
        # One sigmoid output: P(class 1); a regression: the prediction; softmax: RGBA made from the classes.
        self.output_image = pg.ImageItem(axisOrder="row-major")
        self.output_image.setColorMap(theme.probability_colormap())
        self.output_image.setOpacity(0.6)
        self.values_image = pg.ImageItem(axisOrder="row-major")
        self.values_image.setColorMap(class_colours.value_colormap())
        self.values_image.setOpacity(0.6)
        self.classes_image = pg.ImageItem(axisOrder="row-major")
        self.classes_image.setOpacity(0.75)
        self.images = {"binary": self.output_image, "values": self.values_image, "classes": self.classes_image}
        for image in self.images.values():
            image.setVisible(False)
            self.plot.addItem(image)
        self.value_levels: tuple[float, float] = (0.0, 1.0)  # a regression's colour scale: the targets' range
        self.grid_curve = pg.PlotCurveItem(pen=pg.mkPen("#b8b8b8", width=1), connect="finite")
        self.decision = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(theme.INK, width=2))
        self.decision.setVisible(False)
        # Where two classes tie, over the class shading: segments in pairs.
        self.boundaries = pg.PlotCurveItem(pen=pg.mkPen(theme.INK, width=2), connect="pairs")
        for item in (self.grid_curve, self.decision, self.boundaries):
            self.plot.addItem(item)
        # A regression's colours, made once: one brush and one pen per step of the value map.
        steps = class_colours.value_colormap().map(np.linspace(0.0, 1.0, VALUE_STEPS), mode="byte")
        self._value_brushes = [pg.mkBrush(*c[:3]) for c in steps]
        self._value_pens = [pg.mkPen(tuple(c[:3]), width=2) for c in steps]
        # One scatter per class and split: one brush each, not one per point (fast at many points).
        # Training points are filled, test points hollow, as in the decision boundary view.
        self.points: list[pg.ScatterPlotItem] = []
        self.test_points: list[pg.ScatterPlotItem] = []
        self._scatters_for(2)

        top = QHBoxLayout()
        top.addWidget(QLabel("Layer:"))
        top.addWidget(self.layer_combo, 1)
        # Shown only for layers of more than two units.
        view = QHBoxLayout()
        view.addWidget(self.mode_combo, 1)
        view.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(view)
        layout.addWidget(self.plot, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.caption, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.status)
        self._update_controls(None)

    # -- what the user picks ------------------------------------------------------------
    def select_layer(self, layer: int) -> None:
        self.layer = int(layer)
        self.pair = (0, 1)
        self._redo()

    def select_mode(self, mode: str) -> None:
        self.mode = mode
        self._redo()

    def cycle_pair(self, step: int = 1) -> None:
        """Show the next (or previous) pair of units, as ConvNetJS's button does."""
        units = self._units()
        if units is None or units <= 2:
            return
        self.mode = "units"
        self.pair = hidden_space.next_pair(self.pair, units, step)
        self._redo()

    def _units(self) -> int | None:
        if self.state is None:
            return None
        layers = self.state.network.layers
        return layers[min(self.layer, len(layers) - 1)]

    def _redo(self) -> None:
        if self.state is not None:
            self._dirty = True
            self.flush()

    # -- computing ------------------------------------------------------------------------
    def refresh(self, state: State) -> None:
        names = hidden_space.layer_names(state.network)
        if refill_combo(self.layer_combo, names):
            self.layer = min(self.layer, len(names) - 1)
        self.layer_combo.setCurrentIndex(self.layer)
        self._update_controls(state)
        self._waiting = state
        if self._job is None:
            self._start_next()

    def _start_next(self) -> None:
        state, self._waiting = self._waiting, None
        if state is None:
            return
        network, data, epoch = state.network, state.data, state.epoch
        layer, mode, pair = self.layer, self.mode, self.pair
        previous = self.frame.projection if self.frame is not None and self.frame.layer == layer else None
        self.status.setText(f"epoch {epoch:,} · computing…")
        self._job_data = (data, network.classes, len(network.layers))

        every = thinning(data)

        def work(job: jobs.Job) -> tuple[HiddenSpace, tuple[np.ndarray, np.ndarray] | None]:
            frame = hidden_space.compute(network, data, layer, epoch, mode, pair, previous, every=every)
            return frame, class_boundaries(frame)

        job = jobs.Job(work, "Mapping the data into a layer's space")
        job.sigDone.connect(self._draw)
        job.sigFailed.connect(lambda message: self.status.setText(f"Could not map the layer: {message}"))
        job.finished.connect(self._job_ended)
        self._job = job
        job.start()

    def _job_ended(self) -> None:
        self._job = None
        self._start_next()

    @property
    def busy(self) -> bool:
        """A frame is being computed or waits to be."""
        return self._job is not None or self._waiting is not None

    # -- drawing ---------------------------------------------------------------------------
    def _scatters_for(self, classes: int) -> None:
        """Enough scatter items for ``classes`` classes (made once, kept)."""
        while len(self.points) < classes:
            colour = class_colours.class_colour(len(self.points))
            train = pg.ScatterPlotItem(size=9, pen=pg.mkPen(theme.INK, width=0.6),
                                       brush=pg.mkBrush(theme.qcolor(colour, 230)))
            test = pg.ScatterPlotItem(size=9, pen=pg.mkPen(colour, width=2), brush=pg.mkBrush(0, 0, 0, 0))
            self.plot.addItem(test)
            self.plot.addItem(train)
            self.points.append(train)
            self.test_points.append(test)

    def _draw(self, result: tuple[HiddenSpace, tuple[np.ndarray, np.ndarray] | None]) -> None:
        frame, boundaries = result
        self.frame = frame
        data, classes, layer_count = self._job_data
        line_mode = frame.projection.mode == "line"
        every = thinning(data)
        if classes == 0:
            self._draw_values(frame, data, every)
        else:
            train_labels = class_labels(data.y[::every], classes)
            test_labels = class_labels(data.y_test[::every], classes)
            self._scatters_for(max(classes, 1))
            for label, (train, test) in enumerate(zip(self.points, self.test_points)):
                train.setData(pos=frame.points[train_labels == label])
                test.setData(pos=frame.test_points[test_labels == label])
        if line_mode:
            self.grid_curve.setData([], [])
        else:
            self.grid_curve.setData(*with_breaks(frame.grid))
        self._draw_line(frame)
        self._draw_output(frame, boundaries)
        shown = [frame.points, frame.test_points] + ([] if line_mode else [frame.grid.reshape(-1, 2)])
        bounds = range_for(np.concatenate(shown), self._range)
        if line_mode:
            bounds = (bounds[0], bounds[1], -1.0, 1.0)
        if bounds != self._range:
            self._range = bounds
            self.plot.setRange(xRange=bounds[:2], yRange=bounds[2:], padding=0)
        self._label_axes(frame)
        text = caption_for(frame.output_kind, frame.layer == layer_count - 2, frame.units)
        self.caption.setText(f"<span style='color:{MUTED}'>{text}</span>")
        self.status.setText(f"epoch {frame.epoch:,}")
        self.sigDrawn.emit(frame)

    def _draw_values(self, frame: HiddenSpace, data, every: int) -> None:
        """A regression's points in one scatter each (train, test), each point in its target's colour."""
        self._scatters_for(1)
        for scatter in self.points[1:] + self.test_points[1:]:
            scatter.setData(pos=np.empty((0, 2)))
        self.value_levels = class_colours.value_levels(np.concatenate([data.y.ravel(), data.y_test.ravel()]))
        train_steps = value_steps(data.y[::every], self.value_levels)
        test_steps = value_steps(data.y_test[::every], self.value_levels)
        self.points[0].setData(pos=frame.points, brush=[self._value_brushes[k] for k in train_steps])
        # Test points stay hollow: a ring in the target's colour.
        self.test_points[0].setData(pos=frame.test_points, pen=[self._value_pens[k] for k in test_steps],
                                    brush=pg.mkBrush(0, 0, 0, 0))

    def _draw_output(self, frame: HiddenSpace, boundaries: tuple[np.ndarray, np.ndarray] | None) -> None:
        """The output's answer over the last hidden layer's plane, and the class boundaries on it."""
        for kind, image in self.images.items():
            image.setVisible(kind == frame.output_kind and frame.output_image is not None)
        if boundaries is None:
            self.boundaries.setData([], [])
        else:
            self.boundaries.setData(*boundaries)
        if frame.output_image is None:
            return
        image = self.images[frame.output_kind]
        if frame.output_kind == "classes":
            image.setImage(class_colours.class_image(frame.output_image), autoLevels=False, levels=None)
        elif frame.output_kind == "values":
            lo, hi = self.value_levels
            image.setImage(np.clip(frame.output_image, lo, hi), autoLevels=False, levels=(lo, hi))
        else:
            image.setImage(frame.output_image, autoLevels=False, levels=(0.0, 1.0))
        # Pixel centres on the plane's sample points (``hidden_space.plane_points``).
        xmin, xmax, ymin, ymax = frame.output_rect
        rows, cols = frame.output_image.shape[:2]
        dx, dy = (xmax - xmin) / (cols - 1), (ymax - ymin) / (rows - 1)
        image.setRect(xmin - dx / 2, ymin - dy / 2, xmax - xmin + dx, ymax - ymin + dy)

    def _draw_line(self, frame: HiddenSpace) -> None:
        if frame.line is None:
            self.decision.setVisible(False)
            return
        normal, offset = frame.line
        # The points p with normal·p = offset: through offset·normal/|normal|², perpendicular to the normal.
        anchor = normal * offset / float(normal @ normal)
        angle = math.degrees(math.atan2(normal[1], normal[0])) + 90.0
        exact = frame.units <= 2
        self.decision.setPen(pg.mkPen(theme.INK, width=2, style=Qt.PenStyle.SolidLine if exact
                                      else Qt.PenStyle.DashLine))
        self.decision.setPos(pg.Point(float(anchor[0]), float(anchor[1])))
        self.decision.setAngle(angle)
        self.decision.setVisible(True)

    def _label_axes(self, frame: HiddenSpace) -> None:
        p: Projection = frame.projection
        features = self.state.network.features if self.state is not None else ()
        if frame.layer == 0 and p.mode in ("direct", "units") and max(p.units) < len(features):
            x, y = (f"input {features[u]}" for u in p.units)
        elif p.mode == "pca":
            x, y = (f"main direction {i + 1} ({share:.0%} of the spread)" for i, share in enumerate(p.explained))
        elif p.mode == "line":
            x, y = "unit 1", ""
        else:
            x, y = (f"unit {u + 1}" for u in p.units)
        self.plot.setLabel("bottom", x)
        self.plot.setLabel("left", y)
        self.plot.getAxis("left").setStyle(showValues=p.mode != "line")
        self.plot.setAspectLocked(p.mode != "line")

    def _update_controls(self, state: State | None) -> None:
        units = None if state is None else state.network.layers[min(self.layer, len(state.network.layers) - 1)]
        many = units is not None and units > 2
        self.mode_combo.setVisible(many)
        self.mode_combo.setCurrentIndex([m for m, _ in MODES].index(self.mode))
        self.next_button.setVisible(many)
        self.next_button.setEnabled(self.mode == "units")

    def shutdown(self) -> None:
        """Stop the frame being computed (the window closes); returns at once."""
        self._waiting = None
        if self._job is not None:
            self._job.cancel()

