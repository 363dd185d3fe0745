"""The decision boundary: the network's output over the input plane, with the data on top.

The plane is an ``ImageItem`` on its fast path, in one of three looks:

* one sigmoid output: P(class 1) as a float32 image through a lookup table,
  with a colour bar from 0 to 1 (orange: class 0, blue: class 1);
* K softmax outputs: each pixel in the colour of its most likely class, as
  strong as that class is likely (an RGB image made with one table lookup),
  and a legend entry per class;
* regression: the predicted value through a diverging colour map, with a
  colour bar in the targets' units; the points are drawn in the same map by
  their target, with a dark ring, so a well-fit point melts into the plane.

Training points can be dragged, added (click: a point of the current class,
Shift+click: class 1; a regression point gets the network's prediction as
its target), deleted (right-click, or select and Delete) and given the next
class (double-click, or select and F).  The view only *reports* edits
through its signals; the main window turns them into new data sets, undo
steps and worker commands.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import renderSymbol
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsItem

from nnviz.core.datasets import MAX_CLASSES, Dataset
from nnviz.core.plane import Bounds, grow_bounds
from nnviz.gui import theme
from nnviz.gui.class_colours import value_levels

POINT_SIZE = 11
VALUE_STYLES = 64  # colours a regression's points are drawn in: finer than the eye tells apart


LEFT_AXIS_WIDTH = 58  # pixels: room for "-0.025" or "1e+04" and the axis label

class PlaneImage(pg.ImageItem):
    """An ``ImageItem`` that colours a one-channel float image straight into 32-bit pixels.

    pyqtgraph turns a float image with a lookup table into an 8-bit indexed
    image, and Qt converts that to 32 bits at every paint: about 0.9 ms a
    frame for the 160 x 160 plane, the most expensive thing in the view (the
    training thread stands aside while the GUI draws).  Here the table is
    applied once per new image, and a paint is a plain scaled copy.  Pixels
    that are not a number are left clear, as pyqtgraph leaves them.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._table_key: tuple | None = None
        self._table = np.empty(0, np.uint32)
        self._lut_kept: np.ndarray | None = None  # the table the key's id belongs to
        self._pixels: np.ndarray | None = None  # the memory self.qimage reads

    def render(self) -> None:
        image, lut, levels = self.image, self.lut, self.levels
        if (image is None or image.ndim != 2 or image.dtype.kind != "f" or levels is None
                or lut is None or callable(lut) or self.autoDownsample or self.axisOrder != "row-major"):
            super().render()
            return
        lo, hi = (float(v) for v in np.ravel(levels)[:2])
        table = self._colour_table(lut)
        n = len(table)
        with np.errstate(invalid="ignore", over="ignore"):
            scaled = (image - np.float32(lo)) * np.float32(n / (hi - lo) if hi > lo else 0.0)
        nan = np.isnan(scaled)
        # Like pyqtgraph: level ``lo`` is the table's first colour, ``hi`` its last.
        np.clip(scaled, 0, n - 1, out=scaled)
        scaled[nan] = 0
        pixels = table[scaled.astype(np.intp)]
        fmt = QImage.Format.Format_RGB32
        if nan.any():
            pixels[nan] = 0  # clear, in the premultiplied format below
            fmt = QImage.Format.Format_ARGB32_Premultiplied
        h, w = pixels.shape
        # The image reads the array in place: keep the array for as long as the image.
        self.qimage, self._pixels = QImage(pixels.data, w, h, 4 * w, fmt), pixels
        self._renderRequired = False
        self._unrenderable = False

    def _colour_table(self, lut: np.ndarray) -> np.ndarray:
        """The lookup table as opaque 32-bit pixels (0xAARRGGBB), made once per table."""
        key = (id(lut), lut.shape)
        if key != self._table_key:
            rgb = np.asarray(lut, np.uint32)
            self._table = (0xFF000000 | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).astype(np.uint32)
            self._table_key = key
            self._lut_kept = lut  # kept, so that its id cannot be reused by another table
        return self._table


class _PlaneViewBox(pg.ViewBox):
    """A fixed view of the plane: clicks on empty space add points instead of panning."""

    sigClicked = Signal(object, object)  # (QPointF in data coordinates, modifiers)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            if ev.double():  # the first click of the pair already added a point
                return
            self.sigClicked.emit(self.mapSceneToView(ev.scenePos()), ev.modifiers())
        else:
            ev.ignore()

    def mouseDragEvent(self, ev, axis=None) -> None:
        ev.ignore()

    def wheelEvent(self, ev, axis=None) -> None:
        ev.ignore()


class _InertPoints(pg.ScatterPlotItem):
    """Points that are only drawn: clicks and drags pass through to what lies below."""

    def mouseClickEvent(self, ev) -> None:
        ev.ignore()

    def mouseDragEvent(self, ev) -> None:
        ev.ignore()


class _Spots(pg.GraphicsObject):
    """Many points, each drawn as one of a few pre-rendered symbols, in one call and index order.

    pyqtgraph's ``ScatterPlotItem`` keeps a record with Python objects per point and
    builds a ``SpotItem`` per point for a hit test: at 80,000 points every change
    cost 0.5-0.95 s of the GUI thread.  Here the points are the data set's own
    arrays (never modified, so nothing is copied), a change of a few points repaints
    only where they were and are, and a hit test is one vectorised comparison.
    Points draw in index order, so a later point lies on top of an earlier one.
    Clicks, drags and hovers pass through unless a subclass handles them.
    """

    def __init__(self, styles: list[tuple[float, object, object]]) -> None:
        """``styles``: (size in pixels, pen, brush) per style number."""
        super().__init__()
        self._styles: list = []
        self._set_style_list(styles)
        self.pos = np.empty((0, 2))
        self.style = np.empty(0, dtype=np.intp)
        self._bounds = QRectF()
        self._atlas: QPixmap | None = None
        self._source = np.empty((0, 4), dtype=int)  # (x, y, w, h) of each style's symbol in the atlas
        self._dpr = 0.0
        self._fragments = PrimitiveArray(QPainter.PixmapFragment, 10)
        # Exact exposed rectangles in paint(): a moved point repaints only its surroundings.
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def _set_style_list(self, styles) -> None:
        self._styles = [(size, pg.mkPen(pen), pg.mkBrush(brush)) for size, pen, brush in styles]
        self._atlas = None  # drawn again at the next paint
        self._half_spots: dict[float, tuple[float, float]] = {}

    def set_styles(self, styles: list[tuple[float, object, object]]) -> None:
        """Draw with other styles from now on (the points' style numbers must be within them)."""
        self.prepareGeometryChange()  # the largest symbol may have changed
        self._set_style_list(styles)
        self.update()

    def set_points(self, pos: np.ndarray, style: np.ndarray) -> None:
        """Draw ``pos`` (n x 2) with ``style`` (n style numbers); the arrays are kept, never modified."""
        old_pos, old_style = self.pos, self.style
        self.pos, self.style = pos, style
        bounds = self._data_bounds()
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
            self.update()
            return
        if len(pos) == len(old_pos) and np.array_equal(style, old_style):
            # Column by column: NumPy's reductions across the short axis of an n x 2
            # array are 20-40 times slower (4.7 ms for a min at 80,000 points).
            changed = np.flatnonzero((pos[:, 0] != old_pos[:, 0]) | (pos[:, 1] != old_pos[:, 1]))
            if len(changed) <= 8:  # a dragged point: repaint where it was and where it is
                for i in changed:
                    for x, y in (old_pos[i], pos[i]):
                        self.update(self._spot_rect(x, y))
                return
        self.update()

    def _data_bounds(self) -> QRectF:
        if len(self.pos) == 0:
            return QRectF()
        x, y = self.pos[:, 0], self.pos[:, 1]
        xmin, xmax, ymin, ymax = x.min(), x.max(), y.min(), y.max()
        return QRectF(xmin, ymin, xmax - xmin, ymax - ymin)

    def _half_spot(self, margin: float = 1.0) -> tuple[float, float]:
        """Half the largest symbol's width and height plus ``margin`` pixels, in data units."""
        # Asked several times per frame (bounds, exposed area); the answer changes only with
        # the view's transform or the styles, which clear this.
        cached = self._half_spots.get(margin)
        if cached is not None:
            return cached
        px, py = self.pixelVectors()
        if px is None or py is None:
            return 0.0, 0.0  # not shown yet
        half = self._hit_sizes().max() + margin
        self._half_spots[margin] = half * px.length(), half * py.length()
        return self._half_spots[margin]

    def _hit_sizes(self) -> np.ndarray:
        """Half each style's symbol square in pixels: what a click or a hover hits."""
        return np.array([(size + math.ceil(pen.widthF())) / 2 for size, pen, _ in self._styles])

    def _spot_rect(self, x: float, y: float) -> QRectF:
        hx, hy = self._half_spot()
        return QRectF(x - hx, y - hy, 2 * hx, 2 * hy)

    def boundingRect(self) -> QRectF:
        if self._bounds.isNull() and len(self.pos) == 0:
            return QRectF()
        hx, hy = self._half_spot()
        return self._bounds.adjusted(-hx, -hy, hx, hy)

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()  # the symbols' margin, in data units, changed
        self._half_spots = {}
        super().viewTransformChanged()

    def index_at(self, pos: QPointF) -> int | None:
        """The index of the point drawn on top at ``pos`` (within its symbol's square), or None."""
        if len(self.pos) == 0:
            return None
        hx, hy = self._half_spot(margin=0.0)
        sizes = self._hit_sizes()
        scale = sizes[self.style] / sizes.max()
        hit = ((np.abs(self.pos[:, 0] - pos.x()) < hx * scale)
               & (np.abs(self.pos[:, 1] - pos.y()) < hy * scale))
        hits = np.flatnonzero(hit)
        return int(hits[-1]) if len(hits) else None

    def _render_atlas(self, dpr: float) -> None:
        images = [renderSymbol("o", size, pen, brush, dpr=dpr) for size, pen, brush in self._styles]
        width, height = sum(im.width() for im in images), max(im.height() for im in images)
        atlas = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        atlas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(atlas)
        source, x = [], 0
        for image in images:
            painter.drawImage(x, 0, image)
            source.append((x, 0, image.width(), image.height()))
            x += image.width()
        painter.end()
        self._atlas, self._source, self._dpr = QPixmap.fromImage(atlas), np.array(source), dpr

    def paint(self, painter, option, widget=None) -> None:
        if len(self.pos) == 0:
            return
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        if self._atlas is None or dpr != self._dpr:
            self._render_atlas(dpr)
        hx, hy = self._half_spot()
        exposed = option.exposedRect.adjusted(-hx, -hy, hx, hy)
        x, y = self.pos[:, 0], self.pos[:, 1]
        # An empty exposed rectangle: a painter that does not say (an export), so all of it.
        if option.exposedRect.isEmpty() or exposed.contains(self._bounds):
            shown, count = slice(None), len(x)
        else:  # a moved point's surroundings: only the points there are drawn
            shown = np.flatnonzero((x >= exposed.left()) & (x <= exposed.right())
                                   & (y >= exposed.top()) & (y <= exposed.bottom()))
            count = len(shown)
        if count == 0:
            return
        t = painter.transform()
        px = t.m11() * x[shown] + t.m21() * y[shown] + t.dx()
        py = t.m12() * x[shown] + t.m22() * y[shown] + t.dy()
        painter.resetTransform()
        self._fragments.resize(count)
        frags = self._fragments.ndarray()
        frags[:, 0] = px
        frags[:, 1] = py
        frags[:, 2:6] = self._source[self.style[shown]]
        frags[:, 6:10] = [1 / dpr, 1 / dpr, 0.0, 1.0]  # scale x, scale y, rotation, opacity
        painter.drawPixmapFragments(*self._fragments.drawargs(), self._atlas)
        painter.setTransform(t)


class _DraggablePoints(_Spots):
    """Training points that report drags, clicks and double-clicks by index."""

    sigDragged = Signal(int, float, float, bool)  # index, x, y, finished
    sigPointClicked = Signal(int, object, bool)  # index, button, double-click

    def __init__(self, styles) -> None:
        super().__init__(styles)
        self._drag_index: int | None = None
        self._drag_offset = QPointF()
        self.setAcceptHoverEvents(True)

    def mouseDragEvent(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            index = self.index_at(ev.buttonDownPos())
            if index is None:
                ev.ignore()
                return
            self._drag_index = index
            x, y = self.pos[index]
            self._drag_offset = QPointF(x, y) - ev.buttonDownPos()
        elif self._drag_index is None:
            ev.ignore()
            return
        ev.accept()
        pos = ev.pos() + self._drag_offset
        index = self._drag_index
        if ev.isFinish():
            self._drag_index = None
        self.sigDragged.emit(index, pos.x(), pos.y(), ev.isFinish())

    def mouseClickEvent(self, ev) -> None:
        index = self.index_at(ev.pos())
        if index is None:
            ev.ignore()
            return
        ev.accept()
        self.sigPointClicked.emit(index, ev.button(), ev.double())

    def hoverEvent(self, ev) -> None:
        if ev.isExit() or self.index_at(ev.pos()) is None:
            self.unsetCursor()
        else:
            self.setCursor(Qt.CursorShape.OpenHandCursor)

    @property
    def dragging(self) -> bool:
        return self._drag_index is not None

    def cancel_drag(self) -> None:
        """Forget the drag under way: its later moves and its release are ignored."""
        self._drag_index = None


class BoundaryView(pg.PlotWidget):
    sigPointMoved = Signal(int, float, float, bool)  # index, x, y, finished (mouse released)
    sigPointAdded = Signal(float, float, int)  # x, y, class (ignored for regression)
    sigPointDeleted = Signal(int)
    sigPointFlipped = Signal(int)
    sigSelectionChanged = Signal(object)  # index or None
    sigPlaneChanged = Signal(tuple)  # (xmin, xmax, ymin, ymax) now shown: compute the image over it

    def __init__(self, parent=None) -> None:
        self._vb = _PlaneViewBox(enableMenu=False)
        super().__init__(parent, viewBox=self._vb)
        self.setObjectName("boundaryView")
        # Room for the axes and a plane where a click lands where it is meant: docked
        # panels take what is left over, never this (on a 1366x768 screen too).
        self.setMinimumSize(300, 240)
        plot = self.getPlotItem()
        plot.setTitle("Decision boundary", color=theme.INK, size="11pt")
        plot.setLabel("bottom", "x₁")
        plot.setLabel("left", "x₂")
        plot.hideButtons()
        plot.setMenuEnabled(False)
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setStyle(tickLength=5)
            # Qt repaints every item that touches the new image's rectangle; a
            # cached axis is then a pixmap copy instead of a Python paint() call
            # (about 1 ms per axis per frame, measured).
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # A fixed width: the plane is fitted to the view's shape, and an axis as wide as its
        # tick labels would let a new plane relabel the ticks, resize the view and ask for
        # another plane, back and forth, for ever.
        plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        # The aspect ratio is kept by ``_fit_view`` (one data unit is as many
        # pixels across as up), not by the ViewBox, so the image can fill the view.
        self._vb.setMouseEnabled(False, False)
        self._vb.disableAutoRange()
        self.image = PlaneImage(axisOrder="row-major")
        self.image.setZValue(-10)
        plot.addItem(self.image)
        cmap = theme.probability_colormap()
        self.colour_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=cmap, interactive=False,
                                          width=14, label="network output  P(class 1)",
                                          colorMapMenu=False)
        self.colour_bar.setImageItem(self.image, insert_in=plot)
        self._value_colormap = theme.value_colormap()
        self._class_lookup = theme.class_lookup(MAX_CLASSES)
        self.value_levels: tuple[float, float] | None = None  # a regression's colour scale, in target units
        self.look = "binary"  # of the image: "binary", "classes" (softmax) or "values" (regression)
        self.classes = 2  # named in the legend; 0 for regression
        self.current_class = 0  # what a plain click adds
        self.test_points = _Spots(self._test_styles(regression=False))
        plot.addItem(self.test_points)
        self.points = _DraggablePoints(self._train_styles(regression=False))
        plot.addItem(self.points)
        self._points_regression = False
        self._targets_drawn: tuple[np.ndarray, np.ndarray] | None = None  # whose colours the points have
        self._train_value_styles = np.empty(0, dtype=np.intp)
        self.selection_ring = _InertPoints(size=POINT_SIZE + 9, pxMode=True, brush=None,
                                           pen=pg.mkPen(theme.INK, width=2))
        plot.addItem(self.selection_ring)
        self._add_legend(plot)
        for item in (self.points, self.test_points, self.selection_ring):
            # They change only when the data do; cached, the image's update beneath
            # them costs a pixmap copy instead of their Python paint.
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

        self.points.sigDragged.connect(self.sigPointMoved)
        self.points.sigPointClicked.connect(self._point_clicked)
        self._vb.sigClicked.connect(self._plane_clicked)
        self.data: Dataset | None = None
        self.selected: int | None = None
        self.bounds: Bounds | None = None  # of the image now shown
        self._square: Bounds | None = None  # the square the data need
        self.plane: Bounds | None = None  # the square widened to the view's shape
        self._vb.sigResized.connect(self._fit_view)
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        if self.classes == 0:
            self.setToolTip("The network's prediction over the input plane, in the colours of the bar.\n"
                            "Each point has its target's colour: a well-fit point melts into the plane.\n"
                            "Drag a point to move it · click: add a point whose target is the network's "
                            "prediction there\n"
                            "Right-click a point: delete it\n"
                            "Hollow points are the test split (not used for training).")
            return
        if self.classes == 2 and self.look == "binary":
            what = "The network's output over the input plane (orange: class 0, blue: class 1)."
        else:
            what = ("Each place takes the colour of its most likely class;\n"
                    "pale where the network is unsure.")
        self.setToolTip(f"{what}\n"
                        f"Drag a point to move it · click: add a class-{self.current_class} point "
                        "(keys 1-8 choose the class) · Shift+click: class 1\n"
                        "Right-click a point: delete it · double-click: give it the next class\n"
                        "Hollow points are the test split (not used for training).")

    @staticmethod
    def _train_styles(regression: bool) -> list:
        if regression:
            # A dark ring: a point the size of its own colour would vanish where the fit is good.
            colours = theme.value_colormap().map(np.linspace(0.0, 1.0, VALUE_STYLES), mode="byte")
            ring = pg.mkPen(theme.INK, width=1.5)
            return [(POINT_SIZE, ring, pg.mkBrush(*c[:3])) for c in colours]
        white = pg.mkPen("w", width=1.5)
        return [(POINT_SIZE, white, theme.CLASS_COLOURS[k]) for k in range(MAX_CLASSES)]

    @staticmethod
    def _test_styles(regression: bool) -> list:
        if regression:
            # The target's colour like a training point, smaller and with a dotted ring: still found
            # where it melts into the plane, and told apart from the points trained on.
            colours = theme.value_colormap().map(np.linspace(0.0, 1.0, VALUE_STYLES), mode="byte")
            ring = pg.mkPen(theme.INK, width=1.3, style=Qt.PenStyle.DotLine)
            return [(POINT_SIZE - 2, ring, pg.mkBrush(*c[:3])) for c in colours]
        # Hollow test points: a white fill and a ring of the class's colour.
        return [(POINT_SIZE - 2, pg.mkPen(theme.CLASS_COLOURS[k], width=2), pg.mkBrush(255, 255, 255, 150))
                for k in range(MAX_CLASSES)]

    def _add_legend(self, plot: pg.PlotItem) -> None:
        legend = plot.addLegend(offset=(6, 6), brush=pg.mkBrush(255, 255, 255, 200),
                                pen=pg.mkPen(theme.GRID_PEN), labelTextSize="8pt",
                                verSpacing=-6)
        self._class_samples = [
            pg.ScatterPlotItem(size=POINT_SIZE, brush=pg.mkBrush(theme.CLASS_COLOURS[k]),
                               pen=pg.mkPen("w", width=1.5))
            for k in range(MAX_CLASSES)]
        self._value_sample = pg.ScatterPlotItem(size=POINT_SIZE, brush=pg.mkBrush(theme.value_colormap().map(
            0.8, mode="qcolor")), pen=pg.mkPen(theme.INK, width=1.5))
        self._test_sample = pg.ScatterPlotItem(size=POINT_SIZE - 2, brush=pg.mkBrush(255, 255, 255, 160),
                                               pen=pg.mkPen(theme.INK, width=1.5))
        self._value_test_sample = pg.ScatterPlotItem(
            size=POINT_SIZE - 2, brush=pg.mkBrush(theme.value_colormap().map(0.8, mode="qcolor")),
            pen=pg.mkPen(theme.INK, width=1.3, style=Qt.PenStyle.DotLine))
        legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.legend = legend
        self._legend_key: tuple[int, bool] | None = None
        self._fill_legend(2, False)

    def _fill_legend(self, classes: int, has_test: bool) -> None:
        """A legend entry per class (or one for a regression's points), then the test split's."""
        if self._legend_key == (classes, has_test):
            return
        self._legend_key = (classes, has_test)
        self.legend.clear()
        if classes:
            for k in range(classes):
                self.legend.addItem(self._class_samples[k], f"class {k}")
        else:
            self.legend.addItem(self._value_sample, "point: colour = its target")
        if has_test:
            self.legend.addItem(self._test_sample if classes else self._value_test_sample, "test split")
        # The legend lies on the plane, so each new image exposes it: cached, Qt copies it instead
        # of calling a Python paint() for its box and for each of its entries at every frame.
        items = [self.legend]
        while items:
            item = items.pop()
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            items.extend(item.childItems())

    @property
    def legend_names(self) -> list[str]:
        return [label.text for _sample, label in self.legend.items]

    # -- updates ---------------------------------------------------------------------
    def set_image(self, image: np.ndarray, bounds: Bounds, regression: bool = False) -> None:
        """Show the network's output over ``bounds``; ``image`` is handed over and never modified.

        (r, r) P(class 1) for one sigmoid output, (r, r, K) class probabilities
        for softmax, or (r, r) predicted values with ``regression``.
        """
        if regression:
            self._set_look("values", 0)
            lo, hi = self.value_levels if self.value_levels is not None else (0.0, 1.0)
            # Within the scale's ends, as a new array: pyqtgraph scales the image by 256 / (hi - lo) in
            # float32, which a diverged network's huge values (or a narrow scale) would overflow.
            self.image.setImage(np.clip(image, lo, hi, dtype=np.float32), autoLevels=False, levels=(lo, hi))
        elif image.ndim == 3:
            # Colours made here, per frame: one argmax and a lookup over the pixels, none per class.
            self._set_look("classes", image.shape[2])
            self.image.setImage(theme.class_image(image, self._class_lookup), autoLevels=False, levels=None)
        else:
            self._set_look("binary", 2)
            self.image.setImage(image, autoLevels=False, levels=(0.0, 1.0))
        if bounds != self.bounds:
            self.bounds = bounds
            xmin, xmax, ymin, ymax = bounds
            self.image.setRect(QRectF(xmin, ymin, xmax - xmin, ymax - ymin))

    def _set_look(self, look: str, classes: int) -> None:
        """Switch the colour bar, the legend and the tooltip to another kind of output."""
        if (look, classes) == (self.look, self.classes):
            return
        self.look, self.classes = look, classes
        bar = self.colour_bar
        if look == "binary":
            bar.setColorMap(theme.probability_colormap())
            bar.setLevels((0.0, 1.0))
            bar.getAxis("left").setLabel("network output  P(class 1)")
        elif look == "values":
            bar.setColorMap(self._value_colormap)
            bar.setLevels(self.value_levels or (0.0, 1.0))
            bar.getAxis("left").setLabel("prediction and target")
        # K classes have no scale to read: the legend names their colours.
        bar.setVisible(look != "classes")
        # A regression has no boundary between classes: the plane shows the predicted value.
        self.getPlotItem().setTitle("Prediction" if look == "values" else "Decision boundary",
                                    color=theme.INK, size="11pt")
        self._fill_legend(classes, self._legend_key[1])
        self._update_tooltip()

    def set_current_class(self, label: int) -> None:
        """The class a plain click adds (the number keys choose it)."""
        self.current_class = int(label)
        self._update_tooltip()

    def _update_value_levels(self, data: Dataset, reset: bool) -> None:
        """The regression colour scale: the targets' range, fixed for a data set (edits only widen it)."""
        lo, hi = value_levels(np.concatenate([data.y.ravel(), data.y_test.ravel()]))
        if not reset and self.value_levels is not None:
            lo, hi = min(lo, self.value_levels[0]), max(hi, self.value_levels[1])
        if (lo, hi) != self.value_levels:
            self.value_levels = (lo, hi)
            if self.look == "values":
                self.colour_bar.setLevels((lo, hi))

    def _value_styles(self, y: np.ndarray) -> np.ndarray:
        lo, hi = self.value_levels
        scaled = (y.ravel() - lo) * ((VALUE_STYLES - 1) / (hi - lo)) + 0.5
        return np.clip(scaled, 0, VALUE_STYLES - 1).astype(np.intp)

    def fit(self, data: Dataset, keep: bool) -> None:
        """Frame ``data`` with a margin; with ``keep`` only ever widen (a drag never makes the view jump)."""
        self._square = grow_bounds(self._square if keep else None, data)
        self._fit_view()

    def _fit_view(self) -> None:
        """Show the data's square, widened to the view's shape so one unit is as long across as up."""
        if self._square is None:
            return
        xmin, xmax, ymin, ymax = self._square
        rect = self._vb.boundingRect()
        w, h = max(rect.width(), 1.0), max(rect.height(), 1.0)
        if w >= h:
            grow = (xmax - xmin) * (w / h - 1) / 2
            plane = (xmin - grow, xmax + grow, ymin, ymax)
        else:
            grow = (ymax - ymin) * (h / w - 1) / 2
            plane = (xmin, xmax, ymin - grow, ymax + grow)
        self._vb.setRange(xRange=plane[:2], yRange=plane[2:], padding=0)
        if plane != self.plane:
            self.plane = plane
            self.sigPlaneChanged.emit(plane)

    def set_data(self, data: Dataset, new: bool = True) -> None:
        """Draw ``data``'s points (train filled, test hollow); ``new``: another data set, not an edit.

        A regression's colour scale is set from a new data set's targets and
        only widens with edits, so it never jumps while the points are worked on.
        """
        self.data = data
        if data.regression != self._points_regression:
            self._points_regression = data.regression
            self.points.set_styles(self._train_styles(data.regression))
            self.test_points.set_styles(self._test_styles(data.regression))
        if data.regression:
            # A dragged point keeps every target (the same arrays): its colours are already right.
            old = self._targets_drawn
            if new or old is None or old[0] is not data.y or old[1] is not data.y_test:
                self._targets_drawn = (data.y, data.y_test)
                self._update_value_levels(data, reset=new)
                self._train_value_styles = self._value_styles(data.y)
                self.test_points.set_points(data.X_test, self._value_styles(data.y_test))
            self.points.set_points(data.X, self._train_value_styles)
        else:
            # A data set's arrays are never modified, so the items draw from them directly.
            self.points.set_points(data.X, data.y.ravel().astype(np.intp))
            self.test_points.set_points(data.X_test, data.y_test.ravel().astype(np.intp))
        self._fill_legend(self._legend_key[0], data.has_test)
        if self.selected is not None and self.selected >= len(data.X):
            self.select(None)
        else:
            self._draw_selection()

    def select(self, index: int | None) -> None:
        self.selected = index
        self._draw_selection()
        self.sigSelectionChanged.emit(index)

    def _draw_selection(self) -> None:
        if self.selected is None or self.data is None:
            self.selection_ring.setData([], [])
        else:
            x, y = self.data.X[self.selected]
            self.selection_ring.setData([x], [y])

    @property
    def dragging(self) -> bool:
        return self.points.dragging

    def cancel_drag(self) -> None:
        """The points changed under a drag: it ends here (the mouse may still be down)."""
        self.points.cancel_drag()

    # -- mouse -----------------------------------------------------------------------
    def _point_clicked(self, index: int, button, double: bool) -> None:
        if button == Qt.MouseButton.RightButton:
            self.sigPointDeleted.emit(index)
        elif button == Qt.MouseButton.LeftButton:
            if double:
                self.sigPointFlipped.emit(index)
            self.select(index)

    def _plane_clicked(self, pos: QPointF, modifiers) -> None:
        label = 1 if modifiers & Qt.KeyboardModifier.ShiftModifier else self.current_class
        self.select(None)
        self.sigPointAdded.emit(pos.x(), pos.y(), label)

    def view_to_widget(self, x: float, y: float) -> QPointF:
        """Where the plane point (x, y) is in this widget's pixel coordinates (for tests)."""
        scene = self._vb.mapViewToScene(QPointF(x, y))
        return QPointF(self.mapFromScene(scene))
