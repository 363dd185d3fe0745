"""The activation function and its derivative, with where the network's units sit on them.

The tutorial plots sigmoid and sigmoid' side by side to explain why a unit
whose pre-activation is far from zero learns slowly: its derivative, one of
the factors of every gradient through it, is nearly zero.  Here the curves are
drawn for the activation the chosen layer uses, and every current
pre-activation of that layer (one dot per sample and unit) is placed on both
curves, so saturation is something to watch happen.

While training runs only the dots move: the axes keep their ranges until the
dots leave them (the range then grows by a factor of √2 or more, and shrinks
again only once the dots fit in a quarter of it), so a frame repaints dots, not axes and tick labels.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QComboBox, QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from nnviz.core import activations
from nnviz.core.network import Network
from nnviz.gui import theme
from nnviz.gui.panel import MUTED, Panel, RichText, State, refill_combo

MAX_DOTS = 4000  # more than this many dots are thinned evenly: the shape is what matters
SATURATED = 0.1  # f'(z) below this share of its peak counts as saturated
MIN_REACH = 6.0  # the curves always cover at least the range where the functions bend


def reach_for(z: np.ndarray, current: float | None = None) -> float:
    """The half-width of the z axis: MIN_REACH times a power of √2 that covers every dot.

    ``current`` is kept while the dots fit in it and fill more than a quarter
    of it, so that the axis does not change with every small move of the dots.
    """
    need = min(float(np.abs(z).max()) * 1.1 if len(z) else 0.0, 1e6)
    if current is not None and current / 4 < need <= current:
        return current
    return MIN_REACH * 2.0 ** (max(0, math.ceil(2 * math.log2(max(need, MIN_REACH) / MIN_REACH))) / 2)


def layer_names(network: Network) -> list[str]:
    n = len(network.W)
    return [f"output layer ({network.output_activation})" if k == n - 1 else
            f"hidden layer {k + 1} ({network.activation})" for k in range(n)]


class ActivationView(Panel):
    """f(z) and f'(z) of one layer, with the layer's current pre-activations on both curves."""

    def sizeHint(self) -> QSize:
        # A docked panel starts at its size hint: modest, so the main views keep the room.
        return QSize(420, 420)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layer = 0
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("The layer whose pre-activations are shown on the curves")
        self.layer_combo.activated.connect(self._layer_chosen)
        self.summary = RichText(lines=3)

        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setLabel("bottom", "pre-activation z")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.disableAutoRange()  # set when the curves change, not with every frame's dots
        legend = self.plot.addLegend(offset=(10, 10), labelTextColor=theme.INK,
                                     brush=pg.mkBrush(255, 255, 255, 210))
        self.f_curve = self.plot.plot([], [], pen=pg.mkPen(theme.BLUE, width=2), name="f(z)")
        self.d_curve = self.plot.plot([], [], pen=pg.mkPen(theme.VERMILLION, width=2, style=Qt.PenStyle.DashLine),
                                      name="f′(z)")
        self.f_dots = pg.ScatterPlotItem(size=7, pen=pg.mkPen(theme.INK, width=0.5),
                                         brush=pg.mkBrush(0, 114, 178, 110))
        self.d_dots = pg.ScatterPlotItem(size=7, pen=pg.mkPen(theme.INK, width=0.5),
                                         brush=pg.mkBrush(213, 94, 0, 110))
        self.plot.addItem(self.f_dots)
        self.plot.addItem(self.d_dots)
        legend.addItem(self.f_dots, "units now: (z, f(z)) and (z, f′(z))")
        # Qt repaints every item the moving dots touch; cached, the axes, the
        # legend and the curves (which change only with the axis range) are
        # then pixmap copies, not Python paint() calls.
        for item in (self.plot.getAxis("left"), self.plot.getAxis("bottom"), legend,
                     self.f_curve.curve, self.d_curve.curve):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

        top = QHBoxLayout()
        top.addWidget(QLabel("Layer:"))
        top.addWidget(self.layer_combo, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)
        self._curve_key: tuple | None = None
        self.saturated_share = float("nan")

    def select_layer(self, layer: int) -> None:
        self.layer = layer
        if self.state is not None:
            self._dirty = True
            self.flush()

    def _layer_chosen(self, index: int) -> None:
        self.select_layer(index)

    def refresh(self, state: State) -> None:
        net, data = state.network, state.data
        names = layer_names(net)
        refill_combo(self.layer_combo, names)
        self.layer = min(self.layer, len(names) - 1)
        self.layer_combo.setCurrentIndex(self.layer)
        last = self.layer == len(net.W) - 1
        name = net.output_activation if last else net.activation
        act = activations.get(name)
        X = data.X
        units = net.layers[self.layer + 1]
        if len(X) * units > MAX_DOTS:
            # Thinned before the forward pass, not after: only the dots drawn are computed.
            X = X[:: math.ceil(len(X) * units / MAX_DOTS)]
        with np.errstate(all="ignore"):
            z = net.forward(X)[0][self.layer].ravel()
        z = z[np.isfinite(z)]
        reach = reach_for(z, self._curve_key[1] if self._curve_key and self._curve_key[0] == name else None)
        key = (name, reach)
        if key != self._curve_key:
            self._curve_key = key
            grid = np.linspace(-reach, reach, 400)
            f, d = act.apply(grid), act.derivative(grid)
            self.f_curve.setData(grid, f)
            self.d_curve.setData(grid, d)
            self.plot.setTitle(f"{name} and its derivative")
            low, high = min(f.min(), d.min()), max(f.max(), d.max())
            self.plot.setRange(xRange=(-reach, reach), yRange=(low, high), padding=0.04)
        fz, dz = act.apply(z), act.derivative(z)
        self.f_dots.setData(z, fz)
        self.d_dots.setData(z, dz)
        peak = float(act.derivative(np.zeros(1))[0]) if name != "relu" else 1.0
        if name in ("sigmoid", "tanh") and len(z):
            self.saturated_share = float(np.mean(dz < SATURATED * peak))
            verdict = (f"<b>{self.saturated_share:.0%}</b> of this layer's pre-activations are saturated "
                       f"(f′(z) below {SATURATED:.0%} of its peak): gradients through them nearly vanish.")
        elif name == "relu" and len(z):
            self.saturated_share = float(np.mean(z <= 0))
            verdict = (f"<b>{self.saturated_share:.0%}</b> of this layer's pre-activations are ≤ 0, where "
                       "ReLU's derivative is 0: no gradient flows through them.")
        else:
            self.saturated_share = 0.0
            verdict = "A linear unit never saturates: f′(z) = 1 everywhere."
        self.summary.setText(f"<span style='color:{MUTED}'>Epoch {state.epoch}: {len(z)} dots, one per sample "
                             f"and unit.</span> {verdict}")
