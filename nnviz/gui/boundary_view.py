"""The decision boundary: the network's output over the input plane, with the data on top.

The plane is an ``ImageItem`` on its fast path (a float32 row-major image
computed by the worker, fixed levels, a lookup table), with a colour bar.
Training points can be dragged, added (click: class 0, Shift+click: class 1),
deleted (right-click, or select and Delete) and flipped (double-click, or
select and F).  The view only *reports* edits through its signals; the main
window turns them into new data sets, undo steps and worker commands.
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

from nnviz.core.datasets import Dataset
from nnviz.core.plane import Bounds, grow_bounds
from nnviz.gui import theme

POINT_SIZE = 11


LEFT_AXIS_WIDTH = 58  # pixels: room for "-0.025" or "1e+04" and the axis label

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
        self._styles = [(size, pg.mkPen(pen), pg.mkBrush(brush)) for size, pen, brush in styles]
        self.pos = np.empty((0, 2))
        self.style = np.empty(0, dtype=np.intp)
        self._bounds = QRectF()
        self._atlas: QPixmap | None = None
        self._source = np.empty((0, 4), dtype=int)  # (x, y, w, h) of each style's symbol in the atlas
        self._dpr = 0.0
        self._fragments = PrimitiveArray(QPainter.PixmapFragment, 10)
        # Exact exposed rectangles in paint(): a moved point repaints only its surroundings.
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

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
        px, py = self.pixelVectors()
        if px is None or py is None:
            return 0.0, 0.0  # not shown yet
        half = self._hit_sizes().max() + margin
        return half * px.length(), half * py.length()

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
    sigPointAdded = Signal(float, float, int)  # x, y, label
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
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        plot.addItem(self.image)
        cmap = theme.probability_colormap()
        self.colour_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=cmap, interactive=False,
                                          width=14, label="network output  P(class 1)",
                                          colorMapMenu=False)
        self.colour_bar.setImageItem(self.image, insert_in=plot)
        white = pg.mkPen("w", width=1.5)
        # Hollow test points: a white fill and a ring of the class's colour.
        self.test_points = _Spots([(POINT_SIZE - 2, pg.mkPen(theme.CLASS_COLOURS[k], width=2),
                                    pg.mkBrush(255, 255, 255, 150)) for k in (0, 1)])
        plot.addItem(self.test_points)
        self.points = _DraggablePoints([(POINT_SIZE, white, theme.CLASS_COLOURS[k]) for k in (0, 1)])
        plot.addItem(self.points)
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
        self.setToolTip("The network's output over the input plane (orange: class 0, blue: class 1).\n"
                        "Drag a point to move it · click: add a class-0 point · Shift+click: class 1\n"
                        "Right-click a point: delete it · double-click: flip its class\n"
                        "Hollow points are the test split (not used for training).")

    def _add_legend(self, plot: pg.PlotItem) -> None:
        legend = plot.addLegend(offset=(6, 6), brush=pg.mkBrush(255, 255, 255, 200),
                                pen=pg.mkPen(theme.GRID_PEN), labelTextSize="8pt",
                                verSpacing=-6)
        for label, name in ((0, "class 0"), (1, "class 1")):
            sample = pg.ScatterPlotItem(size=POINT_SIZE, brush=pg.mkBrush(theme.CLASS_COLOURS[label]),
                                        pen=pg.mkPen("w", width=1.5))
            legend.addItem(sample, name)
        self._test_sample = pg.ScatterPlotItem(size=POINT_SIZE - 2, brush=pg.mkBrush(255, 255, 255, 160),
                                               pen=pg.mkPen(theme.INK, width=1.5))
        legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.legend = legend
        self._legend_has_test = False

    # -- updates ---------------------------------------------------------------------
    def set_image(self, image: np.ndarray, bounds: Bounds) -> None:
        """Show P(class 1) over ``bounds``; ``image`` is handed over and never modified."""
        if image.ndim == 3 or image.size and not 0.0 <= image.min() <= image.max() <= 1.0:
            # K class probabilities, or a regression's values: until this view draws them, it shows
            # a new image in 0..1 (pyqtgraph's lookup table must never see a value beyond its levels).
            image = 1.0 - image[..., 0] if image.ndim == 3 else np.clip(image, 0.0, 1.0)
        self.image.setImage(image, autoLevels=False, levels=(0.0, 1.0))
        if bounds != self.bounds:
            self.bounds = bounds
            xmin, xmax, ymin, ymax = bounds
            self.image.setRect(QRectF(xmin, ymin, xmax - xmin, ymax - ymin))

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

    def set_data(self, data: Dataset) -> None:
        """Draw ``data``'s points (train filled, test hollow)."""
        self.data = data
        # A data set's arrays are never modified, so the items draw from them directly.
        # Two styles, class 0 and class 1: until this view has one per class, a class beyond 1 (or a
        # regression target) is drawn in the nearer of the two (a style beyond them would fail to paint).
        self.points.set_points(data.X, np.clip(data.y.ravel(), 0, 1).astype(np.intp))
        self.test_points.set_points(data.X_test, np.clip(data.y_test.ravel(), 0, 1).astype(np.intp))
        if data.has_test != self._legend_has_test:
            self._legend_has_test = data.has_test
            if data.has_test:
                self.legend.addItem(self._test_sample, "test split")
            else:
                self.legend.removeItem(self._test_sample)
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
        label = 1 if modifiers & Qt.KeyboardModifier.ShiftModifier else 0
        self.select(None)
        self.sigPointAdded.emit(pos.x(), pos.y(), label)

    def view_to_widget(self, x: float, y: float) -> QPointF:
        """Where the plane point (x, y) is in this widget's pixel coordinates (for tests)."""
        scene = self._vb.mapViewToScene(QPointF(x, y))
        return QPointF(self.mapFromScene(scene))
