"""The network diagram: one circle per unit, one line per weight.

A line's width follows |w| and its colour the sign of w (blue positive,
orange negative); a unit's fill shows its bias the same way.  Inside each
hidden and output unit, when there is room, a small heatmap shows what that
unit computes over the input plane (as TensorFlow Playground does), so the
learner sees the boundary being assembled from the hidden units' pieces.  Hovering a line
or unit shows its current value (refreshed on every update while the mouse
stays); clicking one asks for a new value, which training continues from.

The inputs are the network's features (x₁, x₂, x₁², sin(x₁)...), each an
input unit with a small map of its own value over the plane.  Above the
units a row of every feature name says which are on: clicking a name, an
input unit or its label turns that input on or off (the window resets the
weights; at least one input stays on).  K softmax outputs are named ŷ₁ … ŷ_K,
and each output's map shows its class's probability in that class's colour.

Drawing cost must not grow with Python calls per edge: the lines are built
once per layout, and each frame groups them by (sign, width step) into a few
dozen ``drawLines`` calls, whatever the size of the network.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from nnviz.core import features
from nnviz.core.inspect import unit_name
from nnviz.core.network import Network
from nnviz.core.plane import Bounds, plane_points
from nnviz.core.unit_maps import unit_maps
from nnviz.gui import theme

LEGEND = "line width ∝ |weight| · blue: positive, orange: negative · unit fill: its bias"
LEGEND_MAPS = ("line width ∝ |weight| · blue: positive, orange: negative · unit ring: its bias, "
               "inside: its output over the input plane")
UNIT_MAP_RESOLUTION = 20
MIN_RADIUS_FOR_MAPS = 9.0  # below this a map is a few pixels of mush: show the bias alone
XOR_PLANE: Bounds = (-0.5, 1.5, -0.5, 1.5)
WIDTH_STEPS = 12
MAX_EDGE_WIDTH = 9.0


def edge_width(w: np.ndarray) -> np.ndarray:
    """Pixel width of the line for weight(s) ``w``: thin but visible at 0, capped for huge weights.

    A NaN weight (left by a diverged run) is drawn as wide as the largest: it is not small.
    """
    return np.minimum(0.4 + 1.6 * np.nan_to_num(np.abs(w), nan=np.inf, posinf=np.inf), MAX_EDGE_WIDTH)


CHIPS_HEIGHT = 22.0  # the row of feature names under the title
LABEL_SPACING = 20.0  # pixels between named units (inputs and outputs), room permitting


def _bgra(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) RGB as the bytes of a 32-bit RGB QImage on a little-endian machine: blue, green, red, 255."""
    bgra = np.empty(rgb.shape[:-1] + (4,), np.uint8)
    bgra[..., 0], bgra[..., 1], bgra[..., 2], bgra[..., 3] = rgb[..., 2], rgb[..., 1], rgb[..., 0], 255
    return bgra


def _images(bgra: np.ndarray) -> list[QImage]:
    """One QImage per unit of (units, r, r, 4) pixels, each owning its pixels."""
    row = []
    for unit in bgra:
        buf = np.ascontiguousarray(unit)
        img = QImage(buf.data, buf.shape[1], buf.shape[0], buf.shape[1] * 4, QImage.Format.Format_RGB32)
        row.append(img.copy())  # own its pixels: buf is gone after this loop
    return row


def _class_images(grid: np.ndarray) -> list[QImage]:
    """Softmax outputs (K, r, r): unit k's probability from white (0) to class k's colour (1)."""
    k = len(grid)
    p = np.clip(np.nan_to_num(grid, nan=1.0 / k), 0.0, 1.0).astype(np.float64)
    rgb = theme.class_shade(theme.class_tints(k)[:, None, None, :], p)
    return _images(_bgra(np.round(rgb[:, ::-1, :, :]).astype(np.uint8)))


def _feature_tip(name: str, on: bool, inputs: int) -> str:
    label = features.label(name)
    if not on:
        return f"input {label} is off\nclick to feed it to the network (resets the weights)"
    if inputs == 1:
        return f"input {label}: the network's only input (one must stay on)"
    return f"input {label}: inside, its value over the plane\nclick to turn it off (resets the weights)"


def _mix(hex_colour: str, amount: float) -> QColor:
    """``hex_colour`` faded towards white: 0 is white, 1 the colour itself (NaN: the colour, it is not small)."""
    c = QColor(hex_colour)
    a = 1.0 if math.isnan(amount) else min(max(amount, 0.0), 1.0)
    return QColor(*(round(255 + (v - 255) * a) for v in (c.red(), c.green(), c.blue())))


class DiagramView(QWidget):
    sigEditRequested = Signal(int, int, int, float, str)  # layer, row, col, current value, what
    sigFeatureToggled = Signal(str)  # a feature's name (features.NAMES): turn that input on or off

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("diagramView")
        self.setMouseTracking(True)
        self.setMinimumSize(260, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("")  # tooltips here are live values, shown by hand
        self.network: Network | None = None
        self.hovered: tuple | None = None
        self._hover_global = None
        self._layout_key = None
        self._paths: list[tuple[QPen, object]] = []
        self.show_unit_maps = True
        self.plane: Bounds = XOR_PLANE
        self._maps: list[list[QImage]] | None = None  # per layer (hidden and output), per unit
        self._input_maps: list[QImage] | None = None  # per input feature
        self._chips: list[tuple[str, QRectF]] = []  # every feature's name above the units, and where
        self._input_labels: list[QRectF] = []  # where each input unit's name is written
        self._lut = np.asarray(theme.probability_colormap().getLookupTable(nPts=256, alpha=False), np.uint8)

    # -- data ----------------------------------------------------------------------
    def set_network(self, network: Network) -> None:
        """Draw ``network`` (a snapshot's copy; only read)."""
        self.network = network
        self._paths = []
        self._maps = self._input_maps = None
        if self.hovered is not None and not self._exists(self.hovered):
            # The mouse rests where a unit or line of the previous network was.
            self.hovered = None
            QToolTip.hideText()
        self.update()
        if self.hovered is not None and self._hover_global is not None:
            QToolTip.showText(self._hover_global, self._describe(self.hovered), self)

    def set_plane(self, bounds: Bounds) -> None:
        """The part of the input plane the unit maps cover (the boundary view's)."""
        bounds = tuple(float(v) for v in bounds)
        if bounds != self.plane:
            self.plane = bounds
            self._maps = self._input_maps = None
            self.update()

    def set_show_unit_maps(self, show: bool) -> None:
        self.show_unit_maps = bool(show)
        self._layout_key = None  # the key's text, and so the layout, changes
        self.update()

    def _maps_visible(self) -> bool:
        return self.show_unit_maps and self.radius >= MIN_RADIUS_FOR_MAPS

    def _unit_images(self) -> list[list[QImage]]:
        """One small image per hidden and output unit, made once per network and plane.

        Colours follow the boundary's: orange low, white middle, blue high.
        Levels are fixed per activation where its range is (sigmoid 0..1,
        tanh -1..1) and symmetric about 0 otherwise, so 0 is white for ReLU and
        linear units and a unit's colour can be compared across frames.
        """
        if self._maps is not None:
            return self._maps
        net = self.network
        with np.errstate(all="ignore"):
            grids = unit_maps(net, self.plane, UNIT_MAP_RESOLUTION)
        images = []
        last = len(grids) - 1
        for k, grid in enumerate(grids):
            activation = net.output_activation if k == last else net.activation
            if activation == "softmax":
                images.append(_class_images(grid))
                continue
            if activation == "sigmoid":
                lo, hi = 0.0, 1.0
            elif activation == "tanh":
                lo, hi = -1.0, 1.0
            else:
                finite = np.abs(grid[np.isfinite(grid)])  # a diverged network's maps may be all NaN
                m = float(finite.max()) if finite.size else 1.0
                m = m if m > 0 else 1.0
                lo, hi = -m, m
            with np.errstate(all="ignore"):  # a diverging network's outputs overflow float32 here
                scaled = (np.nan_to_num(grid).astype(np.float64) - lo) / (hi - lo) * 255
            index = np.clip(np.nan_to_num(scaled), 0, 255).astype(np.uint8)
            # Row 0 of a grid is the bottom of the plane; row 0 of an image is its top.
            rgb = self._lut[index[:, ::-1, :]]
            images.append(_images(_bgra(rgb)))
        self._maps = images
        return images

    def _input_images(self) -> list[QImage]:
        """Each input feature's value over the plane: orange negative, white 0, blue positive."""
        if self._input_maps is not None:
            return self._input_maps
        r = UNIT_MAP_RESOLUTION
        values = features.expand(plane_points(self.plane, r), self.network.features)
        grids = values.T.reshape(-1, r, r)
        scale = np.maximum(np.abs(grids).reshape(len(grids), -1).max(axis=1), 1e-12)[:, None, None]
        index = np.clip((grids / scale + 1.0) * 127.5, 0, 255).astype(np.uint8)
        self._input_maps = _images(_bgra(self._lut[index[:, ::-1, :]]))
        return self._input_maps

    # -- geometry -------------------------------------------------------------------
    def _layout(self) -> None:
        """Node positions and radius for the current size and architecture (cached)."""
        net = self.network
        key = (tuple(net.layers), self.width(), self.height())
        if key == self._layout_key:
            return
        self._layout_key = key
        self._layout_chips()
        left, right, top = (64.0, 50.0, 40.0) if self.show_unit_maps else (46.0, 40.0, 34.0)
        top += CHIPS_HEIGHT
        bottom = 40.0 + self._legend_height()
        w, h = max(self.width() - left - right, 10), max(self.height() - top - bottom, 10)
        biggest = max(net.layers)
        # Units grow with the room, more so when they carry a map worth reading.
        cap = 24.0 if self.show_unit_maps else 15.0
        self.radius = float(min(cap, max(2.5, h / (biggest * 2.6))))
        gap = min(h / biggest, self.radius * 3.4)
        xs = np.linspace(left, left + w, len(net.layers))
        self.nodes = []
        last = len(net.layers) - 1
        for k, (x, n) in enumerate(zip(xs, net.layers)):
            # The inputs and outputs carry names beside them: spread them apart enough to read
            # (x₁² over x₂², ŷ₁ over ŷ₂) even when a wide hidden layer packs its units tight.
            spacing = max(gap, min(h / n, LABEL_SPACING)) if k in (0, last) else gap
            ys = top + h / 2 + (np.arange(n) - (n - 1) / 2) * spacing
            self.nodes.append(np.column_stack([np.full(n, x), ys]))
        # Every edge as a segment, in the order of the flat weight matrices.
        segs, index = [], []
        for k in range(len(net.layers) - 1):
            a, b = self.nodes[k], self.nodes[k + 1]
            ii, jj = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
            segs.append(np.column_stack([a[ii.ravel()], b[jj.ravel()]]))
            index.append(np.column_stack([np.full(ii.size, k), ii.ravel(), jj.ravel()]))
        self.segments = np.vstack(segs)
        self.edge_index = np.vstack(index)
        self._lines = [QLineF(*seg) for seg in self.segments.tolist()]
        self._paths = []

    def _layout_chips(self) -> None:
        """A row of every feature's name under the title, centred; narrower gaps when room is short."""
        metrics = QFontMetricsF(self._small_font())
        widths = [metrics.horizontalAdvance(features.label(name)) + 10 for name in features.NAMES]
        gap = max(2.0, min(6.0, (self.width() - 16 - sum(widths)) / (len(widths) - 1)))
        x = max(4.0, (self.width() - sum(widths) - gap * (len(widths) - 1)) / 2)
        self._chips = []
        for name, w in zip(features.NAMES, widths):
            self._chips.append((name, QRectF(x, 30, w, CHIPS_HEIGHT - 6)))
            x += w + gap

    def _weights(self) -> np.ndarray:
        return np.concatenate([W.ravel() for W in self.network.W])

    def _build_paths(self) -> None:
        """One group of lines per (sign, width step): a few dozen draw calls whatever the size.

        ``drawLines`` strokes each line on its own; one ``QPainterPath`` of
        crossing wide lines was ten times slower to fill (measured, 2-8-8-1).
        """
        w = self._weights()
        widths = edge_width(w)
        steps = np.minimum((widths / MAX_EDGE_WIDTH * WIDTH_STEPS).astype(int), WIDTH_STEPS - 1)
        self._paths = []
        for positive, colour in ((False, theme.ORANGE), (True, theme.BLUE)):
            sign_mask = (w > 0) == positive
            for step in range(WIDTH_STEPS):
                sel = np.flatnonzero(sign_mask & (steps == step))
                if len(sel) == 0:
                    continue
                lines = [self._lines[i] for i in sel.tolist()]
                width = (step + 0.5) / WIDTH_STEPS * MAX_EDGE_WIDTH
                # Thin lines paler: opaque tints rather than alpha, and flat caps
                # (the units cover the ends): translucent or round-capped wide
                # lines cost Qt's rasteriser 20 times more (measured).
                pen = QPen(_mix(colour, 0.35 + 0.65 * (step + 1) / WIDTH_STEPS), width)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                self._paths.append((pen, lines))

    # -- painting ------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        try:
            self._paint(p)
        finally:
            p.end()  # even if drawing failed: an open painter breaks every later repaint

    def _paint(self, p: QPainter) -> None:
        p.fillRect(self.rect(), QColor("white"))
        if self.network is None:
            return
        self._layout()
        if not self._paths:
            self._build_paths()
        many = len(self.segments) > 3000
        p.setRenderHint(QPainter.RenderHint.Antialiasing, not many)
        for pen, lines in self._paths:
            p.setPen(pen)
            p.drawLines(lines)
        if self.hovered and self.hovered[0] == "edge":
            _, k, i, j = self.hovered
            a, b = self.nodes[k][i], self.nodes[k + 1][j]
            p.setPen(QPen(QColor(theme.INK), float(edge_width(self.network.W[k][i, j])) + 2.5))
            p.drawLine(QPointF(*a), QPointF(*b))
        self._paint_nodes(p)
        self._paint_labels(p)
        self._paint_chips(p)

    def _paint_chips(self, p: QPainter) -> None:
        """Every feature's name: filled when the network has it as an input, faint when not."""
        p.setFont(self._small_font())
        on = set(self.network.features)
        for name, rect in self._chips:
            hovered = self.hovered == ("feature", name)
            if name in on:
                p.setPen(QPen(QColor(theme.INK), 1.6 if hovered else 0.8))
                p.setBrush(QColor("#dbe9f4"))
            else:
                p.setPen(QPen(QColor(theme.INK if hovered else theme.GRID_PEN), 1.0))
                p.setBrush(QColor("white"))
            p.drawRoundedRect(rect, 4, 4)
            p.setPen(QColor(theme.INK if name in on else theme.MUTED))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, features.label(name))

    def _paint_nodes(self, p: QPainter) -> None:
        net, r = self.network, self.radius
        n_layers = len(net.layers)
        outline = QPen(QColor(theme.INK), 1.2 if r > 4 else 0.6)
        for k, pts in enumerate(self.nodes):
            biases = net.b[k - 1].ravel() if k else None
            for u, (x, y) in enumerate(pts):
                if biases is None:
                    brush = QBrush(QColor("#e8e8e8"))
                else:
                    b = float(biases[u])
                    brush = QBrush(_mix(theme.BLUE if b > 0 else theme.ORANGE, math.tanh(abs(b) / 2)))
                hovered = self.hovered and self.hovered[0] == "node" and self.hovered[1:] == (k, u)
                p.setPen(QPen(QColor(theme.INK), 2.6) if hovered else outline)
                p.setBrush(brush)
                p.drawEllipse(QPointF(x, y), r, r)
        if self._maps_visible():
            # The map fills the square inscribed in the unit; the bias stays visible as a ring.
            half = r * 0.62
            p.setPen(QPen(QColor(theme.MUTED), 0.6))
            p.setBrush(Qt.BrushStyle.NoBrush)
            for k, row in enumerate([self._input_images(), *self._unit_images()]):
                for (x, y), img in zip(self.nodes[k], row):
                    target = QRectF(x - half, y - half, 2 * half, 2 * half)
                    p.drawImage(target, img)
                    p.drawRect(target)
        # Names of the inputs and the output beside their units.
        p.setPen(QColor(theme.INK))
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, min(11.0, r * 0.9)))
        p.setFont(font)
        self._input_labels = []
        for u, (x, y) in enumerate(self.nodes[0]):
            rect = QRectF(x - r - 58, y - 10, 52, 20)
            self._input_labels.append(rect)
            hovered = self.hovered == ("feature", net.features[u])
            font.setUnderline(bool(hovered))
            p.setFont(font)
            p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       unit_name(0, u, n_layers, net))
        font.setUnderline(False)
        p.setFont(font)
        for u, (x, y) in enumerate(self.nodes[-1]):
            p.drawText(QRectF(x + r + 5, y - 10, 34, 20),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, unit_name(n_layers - 1, u, n_layers, net))

    def _small_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(8.5)
        return font

    def _legend_height(self) -> float:
        """Height of the key at the bottom, wrapped to the widget's width (one or two lines)."""
        metrics = QFontMetricsF(self._small_font())
        rect = metrics.boundingRect(QRectF(0, 0, max(self.width() - 16, 50), 200),
                                    int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap), self._legend())
        return rect.height() + 2

    def _paint_labels(self, p: QPainter) -> None:
        net = self.network
        small = self._small_font()
        title = QFont(self.font())
        title.setPointSizeF(11)
        p.setFont(title)
        p.setPen(QColor(theme.INK))
        p.drawText(QRectF(8, 6, self.width() - 16, 22), Qt.AlignmentFlag.AlignHCenter,
                   f"Network {'-'.join(map(str, net.layers))}")
        p.setFont(small)
        p.setPen(QColor(theme.MUTED))
        n_layers = len(net.layers)
        legend_h = self._legend_height()
        base = self.height() - legend_h - 36
        for k, pts in enumerate(self.nodes):
            if k == 0:
                text = "input"
            elif k == n_layers - 1:
                text = f"output\n{net.output_activation}"
            else:
                text = f"hidden {k}\n{net.activation}"
            x = pts[0][0]
            p.drawText(QRectF(x - 60, base, 120, 30), Qt.AlignmentFlag.AlignHCenter, text)
        p.drawText(QRectF(8, self.height() - legend_h - 4, self.width() - 16, legend_h),
                   Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap, self._legend())

    def _legend(self) -> str:
        # Before the first layout there is no radius yet: assume the maps fit.
        fits = getattr(self, "radius", MIN_RADIUS_FOR_MAPS) >= MIN_RADIUS_FOR_MAPS
        return LEGEND_MAPS if self.show_unit_maps and fits else LEGEND

    # -- hover and click ---------------------------------------------------------------
    def item_at(self, pos: QPointF) -> tuple | None:
        """('node', layer, unit) or ('edge', layer, row, col) under widget position ``pos``."""
        if self.network is None:
            return None
        self._layout()
        x, y = pos.x(), pos.y()
        for name, rect in self._chips:
            if rect.contains(pos):
                return ("feature", name)
        for u, rect in enumerate(self._input_labels[:len(self.nodes[0])]):
            if rect.contains(pos):
                return ("feature", self.network.features[u])
        for k, pts in enumerate(self.nodes):
            d = np.hypot(pts[:, 0] - x, pts[:, 1] - y)
            u = int(np.argmin(d))
            if d[u] <= self.radius + 2:
                return ("node", k, u)
        seg = self.segments
        ax, ay, bx, by = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
        dx, dy = bx - ax, by - ay
        t = np.clip(((x - ax) * dx + (y - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-9), 0, 1)
        dist = np.hypot(ax + t * dx - x, ay + t * dy - y)
        reach = np.maximum(edge_width(self._weights()) / 2, 3.0)
        close = np.flatnonzero(dist <= reach)
        if len(close) == 0:
            return None
        e = close[np.argmin(dist[close])]
        k, i, j = (int(v) for v in self.edge_index[e])
        return ("edge", k, i, j)

    def _exists(self, item: tuple) -> bool:
        """Whether ``item`` (from ``item_at``) names a unit or line of the current network."""
        layers = self.network.layers
        if item[0] == "feature":
            return True
        if item[0] == "node":
            _, k, u = item
            return k < len(layers) and u < layers[k]
        _, k, i, j = item
        return k + 1 < len(layers) and i < layers[k] and j < layers[k + 1]

    def _describe(self, item: tuple) -> str:
        net = self.network
        n_layers = len(net.layers)
        if item[0] == "feature":
            return _feature_tip(item[1], item[1] in net.features, len(net.features))
        if item[0] == "edge":
            _, k, i, j = item
            value = float(net.W[k][i, j])
            return (f"weight W{k + 1}[{i}, {j}]: {unit_name(k, i, n_layers, net)} → "
                    f"{unit_name(k + 1, j, n_layers, net)}\nvalue {value:+.6f}\nclick to type a new value")
        _, k, u = item
        if k == 0:
            return _feature_tip(net.features[u], True, len(net.features))
        value = float(net.b[k - 1][0, u])
        what = unit_name(k, u, n_layers, net)
        if k == n_layers - 1 and net.output_activation == "softmax":
            what += f": the probability of class {u}"
        return (f"unit {what} ({net.output_activation if k == n_layers - 1 else net.activation})\n"
                f"bias b{k}[0, {u}]: {value:+.6f}\nclick to type a new bias")

    def mouseMoveEvent(self, event) -> None:
        item = self.item_at(event.position())
        if item != self.hovered:
            self.hovered = item
            self.update()
        self._hover_global = event.globalPosition().toPoint()
        if item is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(self._hover_global, self._describe(item), self)
        self.setCursor(Qt.CursorShape.PointingHandCursor if item else Qt.CursorShape.ArrowCursor)

    def leaveEvent(self, event) -> None:
        self.hovered = None
        self._hover_global = None
        QToolTip.hideText()
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.network is None:
            return
        item = self.item_at(event.position())
        if item is None:
            return
        net = self.network
        if item[0] == "feature":
            self.sigFeatureToggled.emit(item[1])
        elif item[0] == "node" and item[1] == 0:
            self.sigFeatureToggled.emit(net.features[item[2]])
        elif item[0] == "edge":
            _, k, i, j = item
            self.sigEditRequested.emit(k, i, j, float(net.W[k][i, j]), self._describe(item).split("\n")[0])
        elif item[1] > 0:
            _, k, u = item
            # The bias is the last row of the layer's augmented matrix.
            self.sigEditRequested.emit(k - 1, net.layers[k - 1], u, float(net.b[k - 1][0, u]),
                                       self._describe(item).split("\n")[1])

    def resizeEvent(self, event) -> None:
        self._layout_key = None
        super().resizeEvent(event)
