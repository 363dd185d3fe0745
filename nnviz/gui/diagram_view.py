"""The network diagram: one circle per unit, one line per weight, in one of three modes.

* **Weights** (the default): a line's width follows |w| and its colour the
  sign of w (blue positive, orange negative); a unit's fill shows its bias
  the same way.
* **Gradients**: a line shows dL/dw, the gradient of the loss for that
  weight over the batch the next update uses; a unit shows dL/dz summed over
  that batch (which is its bias's gradient).
* **Next update**: a line shows the change the optimizer will make to that
  weight at the next step; a unit, the change to its bias.

In the last two, widths are relative to the largest value in the network
(gradients shrink by orders of magnitude as training converges; the caption
gives the largest).  The gradients and updates, and the unit maps below, are
computed by the training thread for each snapshot, and only while they are
shown (``DiagramNeeds``); for a past epoch from the history they are computed
by a background job.  This view only draws.

Inside each hidden and output unit, when there is room, a small heatmap shows
what that unit computes over the input plane (as TensorFlow Playground does),
so the learner sees the boundary being assembled from the hidden units'
pieces.  Hovering a line or unit shows its current value (refreshed on every
update while the mouse stays); clicking one asks for a new value, which
training continues from.

With "Animate Each Step" on, a Step plays the step on the diagram (the
tutorial's Part 3 drawn on the network): the forward pass lights up layer by
layer, the backward pass runs from the output back to the inputs, then the
weights change.  A GUI-thread timer only redraws; any key or click skips it.

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

import functools
import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (QAction, QActionGroup, QBrush, QColor, QFont, QFontMetricsF, QImage, QKeySequence, QPainter,
                           QPen, QPixmap)
from PySide6.QtWidgets import QApplication, QSizePolicy, QToolTip, QWidget

from nnviz.core import features
from nnviz.core.inspect import unit_name
from nnviz.core.network import Network
from nnviz.core.plane import Bounds, plane_points
from nnviz.core.session import Shown
from nnviz.core.unit_maps import (
    MAP_RESOLUTION,
    DiagramExtras,
    DiagramNeeds,
    coloured_unit_maps,
    diagram_extras,
    unit_maps,
    weight_parts,
)
from nnviz.gui import jobs, theme

WEIGHTS, GRADIENTS, UPDATES = "weights", "gradients", "updates"
MODES = (WEIGHTS, GRADIENTS, UPDATES)
MODE_ACTIONS = {  # mode: (menu text, shortcut, tip)
    WEIGHTS: ("Diagram: &Weights", "W", "Lines and units show the weights and biases"),
    GRADIENTS: ("Diagram: &Gradients", "G", "Lines show dL/dw for each weight; units show dL/dz over the batch"),
    UPDATES: ("Diagram: Next &Update", "D", "Lines and units show the change the next step will make"),
}
HELP = ("  W / G / D  diagram: weights / gradients / next update\n"
        "  A  animate each Step on the diagram (any key or click skips it)\n")
MIN_RADIUS_FOR_MAPS = 9.0  # below this a map is a few pixels of mush: show the bias alone
UNIT_MAP_RESOLUTION = MAP_RESOLUTION
XOR_PLANE: Bounds = (-0.5, 1.5, -0.5, 1.5)
WIDTH_STEPS = 12
MAX_EDGE_WIDTH = 9.0
MIN_EDGE_WIDTH = 0.4
PHASE_MS = 333  # one layer of the step animation
FADED = "#ececec"


def edge_width(w: np.ndarray) -> np.ndarray:
    """Pixel width of the line for weight(s) ``w``: thin but visible at 0, capped for huge weights.

    A NaN weight (left by a diverged run) is drawn as wide as the largest: it is not small.
    """
    return np.minimum(MIN_EDGE_WIDTH + 1.6 * np.nan_to_num(np.abs(w), nan=np.inf, posinf=np.inf), MAX_EDGE_WIDTH)


def largest(values: np.ndarray) -> float:
    """The largest finite |value| (1 when there is none or it is 0), the scale of a relative drawing."""
    finite = np.abs(values[np.isfinite(values)])
    m = float(finite.max()) if finite.size else 0.0
    return m if m > 0 else 1.0


def relative_width(values: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Width proportional to |value| / ``scale`` (the largest |value| by default): the largest is the widest."""
    scale = largest(values) if scale is None else scale
    share = np.nan_to_num(np.abs(values) / scale, nan=1.0, posinf=1.0)
    return MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * np.minimum(share, 1.0)


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


@functools.lru_cache(maxsize=1024)
def _tint_brush(hex_colour: str, level: int) -> QBrush:
    return QBrush(_mix(hex_colour, level / 255))


def _unit_brush(hex_colour: str, amount: float) -> QBrush:
    """A unit's fill: ``_mix`` in 256 steps, each made once (units are filled at every frame)."""
    return _tint_brush(hex_colour, 255 if math.isnan(amount) else round(min(max(amount, 0.0), 1.0) * 255))


def _mix(hex_colour: str, amount: float) -> QColor:
    """``hex_colour`` faded towards white: 0 is white, 1 the colour itself (NaN: the colour, it is not small)."""
    c = QColor(hex_colour)
    a = 1.0 if math.isnan(amount) else min(max(amount, 0.0), 1.0)
    return QColor(*(round(255 + (v - 255) * a) for v in (c.red(), c.green(), c.blue())))


def _sci(value: float) -> str:
    return f"{value:.2g}" if 1e-3 <= abs(value) < 1e3 else f"{value:.1e}"


@dataclass(frozen=True)
class Phase:
    """One beat of the step animation: the forward pass reaching weight layer ``layer`` (0-based),
    the backward pass reaching it, or the update."""

    kind: str  # "forward", "backward" or "update"
    layer: int = -1


def step_phases(n_weight_layers: int) -> list[Phase]:
    """Forward through every layer, backward from the output to the inputs, then the update."""
    return ([Phase("forward", k) for k in range(n_weight_layers)]
            + [Phase("backward", k) for k in reversed(range(n_weight_layers))] + [Phase("update")])


class _SkipOnInput(QObject):
    """While installed on the application: any key press or click calls ``skip``."""

    def __init__(self, skip) -> None:
        super().__init__()
        self._skip = skip

    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress):
            self._skip()
        return False


class DiagramView(QWidget):
    sigEditRequested = Signal(int, int, int, float, str)  # layer, row, col, current value, what
    sigModeChanged = Signal(str)
    sigPhase = Signal(object)  # the step animation's Phase, or None when it ends
    sigFeatureToggled = Signal(str)  # a feature's name (features.NAMES): turn that input on or off

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("diagramView")
        self.setMouseTracking(True)
        self.setMinimumSize(260, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("")  # tooltips here are live values, shown by hand
        self.network: Network | None = None
        self.extras: DiagramExtras | None = None  # the gradients and maps of ``network``, when known
        self.epoch: int | None = None
        self.hovered: tuple | None = None
        self._hover_global = None
        self._layout_key = None
        self._paths: list[tuple[QPen, object]] = []
        self.show_unit_maps = True
        self.mode = WEIGHTS
        self.animate_steps = False
        self.plane: Bounds = XOR_PLANE
        self._maps: list[list[QImage]] | None = None  # per layer (hidden and output), per unit
        self._input_maps: list[QImage] | None = None  # per input feature
        self._chips: list[tuple[str, QRectF]] = []  # every feature's name above the units, and where
        self._input_labels: list[QRectF] = []  # where each input unit's name is written
        self._text_key: tuple | None = None  # what the text layer shows
        self._text = QPixmap()
        self._lut = np.asarray(theme.probability_colormap().getLookupTable(nPts=256, alpha=False), np.uint8)
        self._send_needs = None
        self._needs_sent: DiagramNeeds | None = None
        self._shown: Shown | None = None  # what the session last gave to draw
        self._past_job: jobs.Job | None = None
        self._past_wanted: tuple | None = None  # (generation, network, data, settings, rng_state) to compute next
        self._generation = 0
        # The step animation: the network before the step and its extras, the phases, and what follows.
        self.phases: list[Phase] = []
        self.phase_index = -1
        self._after_animation: tuple | None = None  # (network, extras, epoch) shown when it ends
        self._phase_timer = QTimer(self)
        self._phase_timer.setInterval(PHASE_MS)
        self._phase_timer.timeout.connect(self._next_phase)
        self._skipper = _SkipOnInput(self.skip_animation)

    # -- what to draw ----------------------------------------------------------------
    def attach(self, send_needs) -> None:
        """``send_needs(DiagramNeeds)`` tells the training thread what snapshots should carry."""
        self._send_needs = send_needs
        self._update_needs()

    def needs(self) -> DiagramNeeds:
        return DiagramNeeds(maps=self.show_unit_maps, gradients=self.mode != WEIGHTS or self.animate_steps,
                            palette=self._lut)

    def _update_needs(self) -> None:
        needs = self.needs()
        if self._send_needs is not None and needs != self._needs_sent:
            self._needs_sent = needs
            self._send_needs(needs)
        # Live snapshots will carry the new numbers; a past epoch gets them from a job.
        shown = self._shown
        if (needs.gradients and shown is not None and shown.past and shown.network is self.network
                and (self.extras is None or self.extras.gradient is None)):
            self._compute_past(shown)

    def show_state(self, shown: Shown, draw: bool = True) -> None:
        """Draw what the session shows: a live snapshot (with what it carries) or a past epoch.

        With ``draw`` False the state is kept but not painted until the next repaint.
        """
        self._shown = shown
        snap = shown.snapshot
        if snap is not None and snap.diagram is not None and snap.diagram.bounds is not None:
            self.set_plane(snap.diagram.bounds)
        extras = snap.diagram if snap is not None else None
        if self.animating:
            self._finish_animation()
        if (extras is not None and self.animate_steps and not snap.running and self._can_animate(shown)):
            self._start_animation(shown.network, extras, shown.epoch)
        else:
            self.set_network(shown.network, extras, shown.epoch, draw)
        if shown.past and self.needs().gradients:
            self._compute_past(shown)

    def set_network(self, network: Network, extras: DiagramExtras | None = None, epoch: int | None = None,
                    draw: bool = True) -> None:
        """Draw ``network`` (a snapshot's copy; only read), with its gradients and maps if given."""
        if self.network is None or network.features != self.network.features:
            self._input_maps = None  # they depend on the inputs only, not on the weights
        self.network = network
        self.extras = extras
        self.epoch = epoch
        self._paths = []
        self._maps = None
        if self.hovered is not None and not self._exists(self.hovered):
            # The mouse rests where a unit or line of the previous network was.
            self.hovered = None
            QToolTip.hideText()
        if draw:
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
        self._update_needs()
        self.update()

    def set_mode(self, mode: str) -> None:
        """Draw the lines and units by ``mode``: WEIGHTS, GRADIENTS or UPDATES."""
        if mode not in MODES:
            raise ValueError(f"unknown diagram mode {mode!r}")
        if mode == self.mode:
            return
        self.mode = mode
        self._paths = []
        self._layout_key = None  # the caption may take another number of lines
        self._update_needs()
        self.sigModeChanged.emit(mode)
        self.update()

    def set_animate_steps(self, animate: bool) -> None:
        self.animate_steps = bool(animate)
        if not animate:
            self.skip_animation()
        self._update_needs()

    def _maps_visible(self) -> bool:
        return self.show_unit_maps and self.radius >= MIN_RADIUS_FOR_MAPS

    def _unit_images(self) -> list[list[QImage]]:
        """One small image per hidden and output unit, made once per network and plane.

        The pixels come ready from the training thread with a live snapshot;
        for a network without them (a past epoch, a test) they are computed
        here, which for a 20 x 20 grid is a fraction of a millisecond.
        Colours follow the boundary's: orange low, white middle, blue high.
        """
        if self._maps is not None:
            return self._maps
        extras = self.extras
        if extras is not None and extras.maps is not None and extras.bounds == self.plane:
            layers = extras.maps
        else:
            layers = coloured_unit_maps(self.network, self.plane, self._lut, UNIT_MAP_RESOLUTION)
        images = []
        for pixels in layers:
            r = pixels.shape[1]
            # The arrays are never written again and stay referenced by ``layers`` in self._map_pixels,
            # so the images may read them in place.
            images.append([QImage(unit.data, r, r, 4 * r, QImage.Format.Format_RGB32) for unit in pixels])
        self._map_pixels = layers
        if self.network.output_activation == "softmax":
            # Each class's probability in its own colour (white to the class's), as on the plane; a
            # forward pass over the map's few hundred points, here, once per network.
            with np.errstate(all="ignore"):
                images[-1] = _class_images(unit_maps(self.network, self.plane, UNIT_MAP_RESOLUTION)[-1])
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
        bottom = 48.0 + self._legend_height()  # the layer names sit between the units and the caption
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

    # -- what each line and unit shows ----------------------------------------------------
    def shown_mode(self) -> str:
        """The mode drawn now: the chosen one, or weights while its numbers are not there yet."""
        if self.animating:
            phase = self.phases[self.phase_index]
            return {"forward": WEIGHTS, "backward": GRADIENTS, "update": UPDATES}[phase.kind]
        if self.mode == GRADIENTS and (self.extras is None or self.extras.gradient is None):
            return WEIGHTS
        if self.mode == UPDATES and (self.extras is None or self.extras.step is None):
            return WEIGHTS
        return self.mode

    def edge_values(self, mode: str | None = None) -> np.ndarray:
        """One value per line, in the order of ``segments``: the weight, its gradient or its next change."""
        mode = mode or self.shown_mode()
        if mode == GRADIENTS:
            return weight_parts(self.network, self.extras.gradient)
        if mode == UPDATES:
            return weight_parts(self.network, self.extras.step)
        return self._weights()

    def edge_widths(self, mode: str | None = None) -> np.ndarray:
        """Pixel widths of the lines: by |w| for weights, relative to the largest value otherwise."""
        mode = mode or self.shown_mode()
        values = self.edge_values(mode)
        return edge_width(values) if mode == WEIGHTS else relative_width(values)

    def unit_values(self, mode: str | None = None) -> list[np.ndarray]:
        """Per hidden and output layer, what each unit's fill shows: bias, dL/dz summed, or the bias's change."""
        mode = mode or self.shown_mode()
        if mode == GRADIENTS:
            return self.extras.unit_gradients(self.network)
        if mode == UPDATES:
            return self.extras.unit_steps(self.network)
        return [b.ravel() for b in self.network.b]

    def _edge_layers(self) -> np.ndarray:
        return self.edge_index[:, 0]

    def _faded_edges(self) -> np.ndarray:
        """During the step animation, the lines the pass has not reached yet."""
        layer = self._edge_layers()
        if not self.animating:
            return np.zeros(len(layer), bool)
        phase = self.phases[self.phase_index]
        if phase.kind == "forward":
            return layer > phase.layer
        if phase.kind == "backward":
            return layer < phase.layer
        return np.zeros(len(layer), bool)

    def _build_paths(self) -> None:
        """One group of lines per (sign, width step): a few dozen draw calls whatever the size.

        ``drawLines`` strokes each line on its own; one ``QPainterPath`` of
        crossing wide lines was ten times slower to fill (measured, 2-8-8-1).
        """
        values = self.edge_values()
        widths = self.edge_widths()
        faded = self._faded_edges()
        steps = np.minimum((widths / MAX_EDGE_WIDTH * WIDTH_STEPS).astype(int), WIDTH_STEPS - 1)
        # Group 0: lines the step animation has not reached; 1: negative (or NaN); 2: positive.
        # Sorted by (group, width step), so the faded lines go first and wider lines over thinner.
        key = np.where(faded, 0, np.where(values > 0, 2, 1)) * WIDTH_STEPS + steps
        order = np.argsort(key, kind="stable")
        keys, starts = np.unique(key[order], return_index=True)
        ends = [*starts[1:].tolist(), len(order)]
        order = order.tolist()
        self._paths = []
        for k, start, end in zip(keys.tolist(), starts.tolist(), ends):
            group, step = divmod(k, WIDTH_STEPS)
            colour, pale = ((FADED, True), (theme.ORANGE, False), (theme.BLUE, False))[group]
            lines = [self._lines[i] for i in order[start:end]]
            width = (step + 0.5) / WIDTH_STEPS * MAX_EDGE_WIDTH
            # Thin lines paler: opaque tints rather than alpha, and flat caps
            # (the units cover the ends): translucent or round-capped wide
            # lines cost Qt's rasteriser 20 times more (measured).
            tint = QColor(colour) if pale else _mix(colour, 0.35 + 0.65 * (step + 1) / WIDTH_STEPS)
            pen = QPen(tint, min(width, 1.5) if pale else width)
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
            e = self._edge_number(k, i, j)
            p.setPen(QPen(QColor(theme.INK), float(self.edge_widths()[e]) + 2.5))
            p.drawLine(QPointF(*a), QPointF(*b))
        self._paint_nodes(p)
        p.drawPixmap(0, 0, self._text_layer())

    def _text_layer(self) -> QPixmap:
        """Every word on the diagram, drawn again only when one of them (or where it goes) changes.

        Text is the slowest thing Qt draws here, and while training the
        diagram is redrawn 30 times a second with the same words.
        """
        net = self.network
        dpr = self.devicePixelRatioF()
        n_layers = len(net.layers)
        names = tuple(unit_name(0, u, n_layers, net) for u in range(net.layers[0])) \
            + tuple(unit_name(n_layers - 1, u, n_layers, net) for u in range(net.layers[-1]))
        feature = self.hovered if self.hovered and self.hovered[0] == "feature" else None
        key = (self._layout_key, dpr, self.radius, self._title(), self._legend(), names, net.features,
               net.activation, net.output_activation, feature, self.font().key())
        if key != self._text_key:
            layer = QPixmap(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)))
            layer.setDevicePixelRatio(dpr)
            layer.fill(Qt.GlobalColor.transparent)
            q = QPainter(layer)
            try:
                q.setRenderHint(QPainter.RenderHint.Antialiasing)
                self._paint_unit_names(q)
                self._paint_labels(q)
                self._paint_chips(q)
            finally:
                q.end()
            self._text_key, self._text = key, layer
        return self._text

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

    def _edge_number(self, k: int, i: int, j: int) -> int:
        return sum(a * b for a, b in zip(self.network.layers[:k], self.network.layers[1:k + 1])) \
            + i * self.network.layers[k + 1] + j

    def _unit_brushes(self) -> list[list[QBrush] | None]:
        """The fill of every unit: the inputs grey, the others by the shown mode (or lit by the animation)."""
        mode = self.shown_mode()
        values = self.unit_values(mode)
        scale = largest(np.concatenate(values)) if mode != WEIGHTS else None
        lit = self._lit_layers()
        brushes: list[list[QBrush] | None] = [[QBrush(QColor("#e8e8e8"))] * self.network.layers[0]]
        for k, v in enumerate(values, start=1):
            if k not in lit:
                brushes.append([QBrush(QColor(FADED))] * len(v))
                continue
            if self.animating and self.phases[self.phase_index].kind == "forward":
                brushes.append(self._activation_brushes(k))
                continue
            amounts = np.tanh(np.abs(v) / 2) if scale is None else np.abs(v) / scale
            brushes.append([_unit_brush(theme.BLUE if x > 0 else theme.ORANGE, a)
                            for x, a in zip(v.tolist(), amounts.tolist())])
        return brushes

    def _lit_layers(self) -> set[int]:
        """Unit layers (1 = first hidden) drawn in colour; the rest wait for the animation's pass."""
        n = len(self.network.layers)
        if not self.animating:
            return set(range(1, n))
        phase = self.phases[self.phase_index]
        if phase.kind == "forward":
            return set(range(1, phase.layer + 2))
        if phase.kind == "backward":
            return set(range(phase.layer + 1, n))
        return set(range(1, n))

    def _activation_brushes(self, k: int) -> list[QBrush]:
        """Layer ``k``'s units coloured by their mean output on the batch (the boundary's colours)."""
        means = self.extras.activations[k - 1]
        activation = self.network.output_activation if k == len(self.network.layers) - 1 else self.network.activation
        lo, hi = (0.0, 1.0) if activation == "sigmoid" else (-1.0, 1.0) if activation == "tanh" \
            else (-largest(means), largest(means))
        index = np.clip(np.nan_to_num((means - lo) / (hi - lo) * 255), 0, 255).astype(int)
        return [QBrush(QColor(*(int(c) for c in self._lut[i]))) for i in index.tolist()]

    def _paint_nodes(self, p: QPainter) -> None:
        r = self.radius
        outline = QPen(QColor(theme.INK), 1.2 if r > 4 else 0.6)
        brushes = self._unit_brushes()
        hovered = self.hovered[1:] if self.hovered and self.hovered[0] == "node" else None
        p.setPen(outline)
        for k, pts in enumerate(self.nodes):
            for u, (x, y) in enumerate(pts.tolist()):
                if (k, u) == hovered:
                    p.setPen(QPen(QColor(theme.INK), 2.6))
                p.setBrush(brushes[k][u])
                p.drawEllipse(QPointF(x, y), r, r)
                if (k, u) == hovered:
                    p.setPen(outline)
        if self._maps_visible() and not self.animating:
            # The map fills the square inscribed in the unit; the fill stays visible as a ring.
            half = r * 0.62
            frames = []
            for k, row in enumerate([self._input_images(), *self._unit_images()]):
                for (x, y), img in zip(self.nodes[k].tolist(), row):
                    target = QRectF(x - half, y - half, 2 * half, 2 * half)
                    p.drawImage(target, img)
                    frames.append(target)
            p.setPen(QPen(QColor(theme.MUTED), 0.6))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRects(frames)

    def _paint_unit_names(self, p: QPainter) -> None:
        """Names of the inputs and the outputs beside their units."""
        net, r = self.network, self.radius
        n_layers = len(net.layers)
        p.setPen(QColor(theme.INK))
        font = QFont(self.font())
        font.setPointSizeF(max(8.0, min(11.0, r * 0.9)))
        p.setFont(font)
        self._input_labels = []
        for u, (x, y) in enumerate(self.nodes[0].tolist()):
            rect = QRectF(x - r - 58, y - 10, 52, 20)
            self._input_labels.append(rect)
            font.setUnderline(self.hovered == ("feature", net.features[u]))  # a click turns it off
            p.setFont(font)
            p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       unit_name(0, u, n_layers, net))
        font.setUnderline(False)
        p.setFont(font)
        for u, (x, y) in enumerate(self.nodes[-1].tolist()):
            p.drawText(QRectF(x + r + 5, y - 10, 34, 20),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, unit_name(n_layers - 1, u, n_layers, net))

    def _small_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(8.5)
        return font

    def _legend_height(self) -> float:
        """Height of the caption at the bottom, wrapped to the widget's width (cached per width and text)."""
        text = self._legend()
        key = (self.width(), text)
        if getattr(self, "_legend_key", None) != key:
            metrics = QFontMetricsF(self._small_font())
            rect = metrics.boundingRect(QRectF(0, 0, max(self.width() - 16, 50), 200),
                                        int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap), text)
            self._legend_key, self._legend_h = key, rect.height() + 2
        return self._legend_h

    def _paint_labels(self, p: QPainter) -> None:
        net = self.network
        small = self._small_font()
        title = QFont(self.font())
        title.setPointSizeF(11)
        p.setFont(title)
        p.setPen(QColor(theme.INK))
        p.drawText(QRectF(8, 6, self.width() - 16, 22), Qt.AlignmentFlag.AlignHCenter, self._title())
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
        p.setPen(QColor(theme.INK))
        p.drawText(QRectF(8, self.height() - legend_h - 4, self.width() - 16, legend_h),
                   Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap, self._legend())

    def _title(self) -> str:
        arch = "-".join(map(str, self.network.layers))
        if self.animating:
            phase = self.phases[self.phase_index]
            what = {"forward": "forward pass", "backward": "backward pass", "update": "update"}[phase.kind]
            return f"Network {arch} · one step: {what}"
        return f"Network {arch} · {self.shown_mode()}"

    def caption(self) -> str:
        """What the diagram shows now and how to read it, in plain words."""
        return self._legend()

    def _legend(self) -> str:
        if self.network is not None and self.animating:
            return self._phase_caption(self.phases[self.phase_index])
        # Before the first layout there is no radius yet: assume the maps fit.
        fits = getattr(self, "radius", MIN_RADIUS_FOR_MAPS) >= MIN_RADIUS_FOR_MAPS
        inside = " The square inside a unit: its output over the input plane." if self.show_unit_maps and fits else ""
        mode = self.shown_mode() if self.network is not None else WEIGHTS
        if mode == GRADIENTS:
            extras = self.extras
            over = f"the {extras.batch} points of the next batch" if extras.batch < extras.points \
                else f"all {extras.batch} points"
            return (f"Gradients: each line is dL/dw, how fast the loss grows with that weight "
                    f"(thickest {_sci(largest(self.edge_values(mode)))}). Blue: positive, orange: negative. "
                    f"Training moves each weight the other way. Unit colour: dL/dz summed over {over}.")
        if mode == UPDATES:
            if self.extras.stops:
                return "Next update: none. The loss is not a finite number, so training stops here."
            return (f"Next update: each line is the change the next step makes to that weight "
                    f"(thickest {_sci(largest(self.edge_values(mode)))}). Blue: it grows, orange: it shrinks. "
                    "Unit colour: the change to its bias.")
        waiting = "" if mode == self.mode else f" (the {self.mode} come with the next frame)"
        return ("Weights: thicker lines are larger weights. Blue: positive, orange: negative. "
                "Unit colour: its bias." + inside + waiting)

    @staticmethod
    def _phase_caption(phase: Phase) -> str:
        if phase.kind == "forward":
            return (f"Forward pass: layer {phase.layer + 1} computes its outputs from the layer before. "
                    "Unit colour: its mean output on the batch. Press any key or click to skip.")
        if phase.kind == "backward":
            return (f"Backward pass: the error flows back into layer {phase.layer + 1}'s weights. "
                    "Lines: dL/dw. Unit colour: dL/dz. Press any key or click to skip.")
        return "Update: every weight moves by its step (lines: the change). Then the new weights are shown."

    # -- the step animation ------------------------------------------------------------
    @property
    def animating(self) -> bool:
        return self.phase_index >= 0

    def _can_animate(self, shown: Shown) -> bool:
        """A Step just arrived: the next epoch of the network drawn now, whose step we know."""
        old = self.extras
        return (not shown.past and self.network is not None and self.epoch is not None
                and shown.epoch == self.epoch + 1 and old is not None and old.gradient is not None
                and old.activations is not None and self.network.same_architecture(shown.network))

    def _start_animation(self, network: Network, extras: DiagramExtras, epoch: int) -> None:
        """Play the step from the network drawn now (before) to ``network`` (after)."""
        self._after_animation = (network, extras, epoch)
        self.phases = step_phases(len(self.network.layers) - 1)
        self.phase_index = 0
        self._paths = []
        self._layout_key = None
        QApplication.instance().installEventFilter(self._skipper)
        self._phase_timer.start()
        self.sigPhase.emit(self.phases[0])
        self.update()

    def _next_phase(self) -> None:
        if self.phase_index + 1 >= len(self.phases):
            self._finish_animation()
            return
        self.phase_index += 1
        self._paths = []
        self._layout_key = None
        self.sigPhase.emit(self.phases[self.phase_index])
        self.update()

    def skip_animation(self) -> None:
        """Jump to the end of the step animation (any key, a click or the View menu)."""
        if self.animating:
            self._finish_animation()

    def _finish_animation(self) -> None:
        self._phase_timer.stop()
        QApplication.instance().removeEventFilter(self._skipper)
        self.phase_index = -1
        self._layout_key = None
        after, self._after_animation = self._after_animation, None
        self.sigPhase.emit(None)
        if after is not None:
            self.set_network(*after)

    # -- a past epoch's gradients, off the GUI thread ------------------------------------------
    def _compute_past(self, shown: Shown) -> None:
        """Compute the gradients of a past epoch's network in a job (the newest request wins)."""
        self._generation += 1
        self._past_wanted = (self._generation, shown.network, shown.data, shown.settings, shown.rng_state)
        if self._past_job is None:
            self._start_past_job()

    def _start_past_job(self) -> None:
        generation, network, data, settings, rng_state = self._past_wanted
        self._past_wanted = None
        needs = DiagramNeeds(gradients=True)
        job = jobs.start(lambda job: diagram_extras(network, data, settings, None, needs, None, rng_state),
                         "Computing the diagram's gradients")
        job.sigDone.connect(lambda extras, g=generation, n=network: self._past_done(g, n, extras))
        job.finished.connect(self._past_job_ended)
        self._past_job = job

    def _past_done(self, generation: int, network: Network, extras: DiagramExtras) -> None:
        if generation == self._generation and network is self.network:
            self.extras = extras
            self._paths = []
            self._layout_key = None
            self.update()

    def _past_job_ended(self) -> None:
        self._past_job = None
        if self._past_wanted is not None:
            self._start_past_job()

    # -- menu --------------------------------------------------------------------------
    def menu_actions(self, parent: QObject) -> list[QAction]:
        """The View menu's entries for the diagram: the three modes, the step animation, skipping it."""
        group = QActionGroup(parent)
        actions = []
        self.mode_actions: dict[str, QAction] = {}
        for mode in MODES:
            text, key, tip = MODE_ACTIONS[mode]
            action = QAction(text, parent)
            action.setObjectName(f"diagram_{mode}")
            action.setCheckable(True)
            action.setChecked(mode == self.mode)
            action.setShortcut(QKeySequence(key))
            action.setToolTip(f"{tip} ({key})")
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, m=mode: self.set_mode(m))
            group.addAction(action)
            self.mode_actions[mode] = action
            actions.append(action)
        self.sigModeChanged.connect(lambda mode: self.mode_actions[mode].setChecked(True))
        animate = QAction("&Animate Each Step", parent)
        animate.setObjectName("diagram_animate")
        animate.setCheckable(True)
        animate.setChecked(self.animate_steps)
        animate.setShortcut(QKeySequence("A"))
        tip = "Play each Step on the diagram: forward pass, backward pass, then the update"
        animate.setToolTip(f"{tip} (A)")
        animate.setStatusTip(tip)
        animate.toggled.connect(self.set_animate_steps)
        skip = QAction("S&kip Step Animation", parent)
        skip.setObjectName("diagram_skip")
        skip.setStatusTip("Show the step's result now")
        skip.triggered.connect(self.skip_animation)
        self.animate_action, self.skip_action = animate, skip
        return actions + [animate, skip]

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
        reach = np.maximum(self.edge_widths() / 2, 3.0)
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
            return (f"weight W{k + 1}[{i}, {j}]: {unit_name(k, i, n_layers, net)} → {unit_name(k + 1, j, n_layers, net)}\n"
                    f"value {value:+.6f}{self._mode_value(self._edge_number(k, i, j), 'edge')}\n"
                    "click to type a new value")
        _, k, u = item
        if k == 0:
            return _feature_tip(net.features[u], True, len(net.features))
        value = float(net.b[k - 1][0, u])
        what = unit_name(k, u, n_layers, net)
        if k == n_layers - 1 and net.output_activation == "softmax":
            what += f": the probability of class {u}"
        return (f"unit {what} ({net.output_activation if k == n_layers - 1 else net.activation})\n"
                f"bias b{k}[0, {u}]: {value:+.6f}{self._mode_value((k - 1, u), 'node')}\nclick to type a new bias")

    def _mode_value(self, where, kind: str) -> str:
        """The gradient or next change of an edge or unit, as a line of its tooltip (empty for weights)."""
        mode = self.shown_mode()
        if mode == WEIGHTS:
            return ""
        value = float(self.edge_values(mode)[where]) if kind == "edge" else float(self.unit_values(mode)[where[0]][where[1]])
        name = ("dL/dw" if kind == "edge" else "dL/dz summed") if mode == GRADIENTS else "next change"
        return f"\n{name} {value:+.3e}"

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
