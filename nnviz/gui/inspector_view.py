"""The step inspector: one training step's numbers, forward and backward, layer by layer.

Each row of the panel is one layer.  On the left, the forward pass as the
tutorial writes it (``z1 = X @ W1 + b1``, ``a1 = f(z1)``); on the right, the
backward pass for the same layer (``f'(z1)``, ``dz1``, ``dW1``, ``db1``), so
every gradient sits beside the weight it belongs to.  Matrices show their
shape and their first rows; a cell's tint follows its sign and size.  Clicking
a weight or bias (or choosing it in the list, or clicking an edge in the
diagram, which calls ``select_weight``) shows its chain of factors and the
update the optimizer will really make next.
"""

from __future__ import annotations

import html
import math
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnviz.core import features
from nnviz.core.inspect import (
    GradientCheck,
    NextUpdate,
    gradient_check,
    locate,
    next_update,
    param_labels,
    pass_gradient,
    penalty,
    penalty_gradient,
    unit_name,
    weight_chain,
)
from nnviz.core.network import Network, Pass
from nnviz.core.trainer import TrainSettings
from nnviz.gui import jobs
from nnviz.gui.panel import MUTED, NEGATIVE, POSITIVE, Panel, RichText, State

TOP_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop

MAX_ROWS = 6  # rows of a matrix shown; the shape says how many there are
MAX_COLS = 8
CHECK_TOLERANCE = 1e-6
SELECTED = "#fde047"  # the selected weight's cell

FUNCTION_SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "linear": "id", "softmax": "softmax"}
LOSS_TIP = ("The loss of the weights shown here, over every training point (with the L1/L2 penalty, if any). "
            "The status bar shows the loss of the last epoch, measured before that epoch's update: "
            "the weights before these.")


def _below(net: Network, k: int) -> str:
    """What layer k + 1 multiplies: the points X, their features F, or the layer below's output."""
    if k:
        return f"a{k}"
    return "X" if features.is_default(net.features) else "F"


def _unsigned_zero(text: str) -> str:
    """``-0.00`` (a tiny negative number rounded away) reads as a sign error: write ``0.00``."""
    return text[1:] if text.startswith("-") and not text.strip("-0.e+") else text


def fmt(v: float, fixed: bool | None = None) -> str:
    """Four decimals for ordinary numbers, scientific for tiny or huge ones.

    ``fixed`` forces one style, so that one matrix does not mix them.
    """
    if v == 0 or (float(v).is_integer() and abs(v) < 1e4):
        return _unsigned_zero(f"{v:.0f}")
    if fixed is None:
        fixed = 1e-3 <= abs(v) < 1e4
    return _unsigned_zero(f"{v:.4f}" if fixed else f"{v:.2e}")


def significant(v: float, digits: int = 4) -> str:
    """``digits`` significant digits, whatever the size of ``v``."""
    return _unsigned_zero(f"{v:.{digits}g}")


def addends(parts: list[float], total: float, digits: int = 3, max_decimals: int = 12
            ) -> tuple[list[str], str]:
    """Texts for ``parts`` and for their sum ``total`` such that the printed parts add up to the printed sum.

    All share one power of ten and one number of decimals, enough for
    ``digits`` significant digits of the sum (at most ``max_decimals``).  If
    rounding each part to the nearest, even with two more decimals, does not
    add up, the parts are rounded as percentages are: down, and then up for
    the ones with the largest remainders, so each is still within one unit
    of its last digit.
    """
    values = [*parts, total]
    if not all(math.isfinite(v) for v in values):
        return [significant(v) for v in parts], significant(total)
    biggest = max(abs(v) for v in values)
    if biggest == 0.0:
        return ["0"] * len(parts), "0"
    exponent = math.floor(math.log10(biggest))
    exponent = exponent if exponent < -2 else 0  # small numbers share an exponent, not rows of zeros
    lead = abs(total) if total else biggest
    first = min(max(0, digits - 1 - math.floor(math.log10(lead)) + exponent), max_decimals)
    for decimals in range(first, first + 3):
        exact = [Decimal(v).scaleb(decimals - exponent) for v in values]
        units = [int(e.to_integral_value(ROUND_HALF_EVEN)) for e in exact]
        if sum(units[:-1]) == units[-1]:
            break
    else:
        decimals = first
        exact = [Decimal(v).scaleb(decimals - exponent) for v in parts]
        units = [math.floor(e) for e in exact]
        target = Decimal(total).scaleb(decimals - exponent).to_integral_value(ROUND_HALF_EVEN)
        short = int(target) - sum(units)
        by_remainder = sorted(range(len(parts)), key=lambda i: exact[i] - units[i], reverse=True)
        for i in by_remainder[:max(0, short)]:
            units[i] += 1
        units.append(sum(units))
    suffix = f"e{exponent:+03d}" if exponent else ""
    texts = [_decimal_text(u, decimals) + suffix for u in units]
    return texts[:-1], texts[-1]


def _decimal_text(units: int, decimals: int) -> str:
    """``units`` in the last decimal place as text: (-1234, 3) is ``-1.234``; zero has no sign."""
    digits = str(abs(units)).rjust(decimals + 1, "0")
    text = f"{digits[:-decimals]}.{digits[-decimals:]}" if decimals else digits
    return f"-{text}" if units < 0 else text


def _tint(v: float, scale: float) -> str:
    """A cell background: white at zero, towards blue (positive) or orange (negative)."""
    base = POSITIVE if v >= 0 else NEGATIVE
    t = 0.0 if scale == 0 or not np.isfinite(v) else min(1.0, abs(v) / scale) * 0.45
    r, g, b = (round(255 + (c - 255) * t) for c in (base.red(), base.green(), base.blue()))
    return QColor(r, g, b).name()


def matrix_html(title: str, M: np.ndarray, note: str = "", links: tuple[int, int] | None = None,
                selected: tuple[int, int] | None = None) -> str:
    """One matrix as a small HTML table: title, shape, the first rows, cells tinted by value.

    ``links`` = (layer, row offset) makes every cell a link ``layer,row,col``
    that selects that parameter; ``selected`` = (row, col) outlines one cell.
    """
    rows, cols = M.shape
    shown = M[:MAX_ROWS, :MAX_COLS]
    finite = shown[np.isfinite(shown)]
    scale = float(np.abs(finite).max()) if finite.size else 0.0
    fixed = 1e-2 <= scale < 1e4
    head = (f"<b>{title}</b> <span style='color:{MUTED}'>({rows}×{cols})</span>"
            + (f"<br><span style='color:{MUTED}'>{note}</span>" if note else ""))
    cells = []
    for r in range(shown.shape[0]):
        tds = []
        for c in range(shown.shape[1]):
            v = float(shown[r, c])
            text = fmt(v, fixed)
            if links is not None:
                layer, offset = links
                text = (f"<a href='{layer},{r + offset},{c}' style='color:#111827;text-decoration:none'>"
                        f"{text}</a>")
            colour = _tint(v, scale)
            if selected == (r, c):
                text, colour = f"<b>{text}</b>", SELECTED
            tds.append(f"<td align='right' bgcolor='{colour}'>{text}</td>")
        if cols > MAX_COLS:
            tds.append(f"<td style='color:{MUTED}'>…</td>")
        cells.append("<tr>" + "".join(tds) + "</tr>")
    if rows > MAX_ROWS:
        cells.append(f"<tr><td colspan='{shown.shape[1] + 1}' style='color:{MUTED}'>"
                     f"… {rows - MAX_ROWS} more rows</td></tr>")
    return (f"<div>{head}</div><table cellspacing='1' cellpadding='2' "
            f"style='font-family:monospace'>{''.join(cells)}</table>")


def side_by_side(*blocks: str) -> str:
    tds = "".join(f"<td valign='top' style='padding-right:14px'>{b}</td>" for b in blocks)
    return f"<table cellspacing='0' cellpadding='0'><tr>{tds}</tr></table>"


class InspectorView(Panel):
    """Forward and backward pass of the current network, a selected weight, and a gradient check.

    Signals
    -------
    sigWeightSelected(layer, row, col)
        The user picked a parameter here; ``row == fan_in`` is the bias.
    """

    sigWeightSelected = Signal(int, int, int)

    # Every epoch in slow motion and Step (up to the display rate); a few a
    # second while training skips epochs between frames: laying out this many
    # numbers takes a frame's time, and no one reads them at sixty a second.
    max_hz = 60.0
    busy_hz = 4.0
    # Longer than a slow frame, so that a refresh spread over frames is not cut short between two of them.
    SETTLE_SECONDS = 0.15

    def sizeHint(self) -> QSize:
        # The forward pass of a 2-4-1 network without scrolling; the backward pass is a scroll away.
        # Wider docks squeeze the decision boundary, the window's main view, too much.
        return QSize(440, 640)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selected: tuple[int, int, int] = (0, 0, 0)
        self.last_pass: Pass | None = None
        self.last_update: NextUpdate | None = None
        self.last_check: GradientCheck | None = None
        self._check_job: jobs.Job | None = None
        self._layer_labels: list[tuple[RichText, RichText]] = []
        self._job = None  # the refresh under way, a step per frame (see ``refresh``)
        self._in_frame = False
        self._param_names: list[str] = []

        # A fixed height: the text changes with every refresh, and a panel
        # that changed size would move the main views.
        self.summary = RichText(lines=3)
        self.summary.setToolTip(LOSS_TIP)
        self.picker = QComboBox()
        self.picker.setToolTip("Choose a weight or bias to see how its gradient comes about")
        self.picker.setMinimumContentsLength(9)
        self.picker.activated.connect(self._picked)
        self.check_button = QPushButton("Gradient check")
        self.check_button.setToolTip("Compare the gradient training uses with a central finite-difference "
                                     "estimate for every weight and bias")
        self.check_button.clicked.connect(self.run_gradient_check)

        top = QHBoxLayout()
        top.addWidget(QLabel("Weight:"))
        top.addWidget(self.picker)
        top.addWidget(self.check_button)
        top.addStretch(1)

        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(10)
        heading = "<span style='font-size:11pt'><b>{}</b></span> <span style='color:{}'>{}</span>"
        self.grid.addWidget(QLabel(heading.format("Forward pass", MUTED, "top to bottom: inputs to prediction")),
                            0, 0)
        self.grid.addWidget(QLabel(heading.format("Backward pass", MUTED,
                                                  "bottom to top: from the loss back to the inputs")), 0, 1)
        self.input_label = RichText()
        self.loss_label = RichText()
        self.loss_label.setToolTip(LOSS_TIP)
        self.grid.addWidget(self.input_label, 1, 0, TOP_LEFT)
        self.grid.addWidget(self.loss_label, 1, 1, TOP_LEFT)

        self.weight_label = RichText()
        self.weight_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.weight_label.setContentsMargins(8, 6, 8, 6)
        self.check_label = RichText()
        self.check_table = QTableWidget(0, 4)
        self.check_table.setHorizontalHeaderLabels(["parameter", "backprop", "finite difference",
                                                    "relative difference"])
        self.check_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.check_table.verticalHeader().hide()
        self.check_table.setMaximumHeight(180)
        self.check_table.hide()

        body = QWidget()
        column = QVBoxLayout(body)
        column.addLayout(self.grid)
        column.addWidget(self.weight_label, 0, TOP_LEFT)
        column.addWidget(self.check_label, 0, TOP_LEFT)
        column.addWidget(self.check_table)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.scroll = scroll

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.check_table.setFont(mono)

    # -- selection ----------------------------------------------------------
    def select_weight(self, layer: int, row: int, col: int) -> None:
        """Show this parameter's chain (the diagram calls this when an edge is clicked)."""
        self.selected = (layer, row, col)
        if self.state is not None:
            self._dirty = True
            self.flush()  # at once and in full: outside a frame, a refresh is never spread out

    def _link(self, href: str) -> None:
        layer, row, col = (int(s) for s in href.split(","))
        self.select_weight(layer, row, col)
        self.sigWeightSelected.emit(layer, row, col)

    def _picked(self, index: int) -> None:
        if self.state is not None and index >= 0:
            layer, row, col = locate(self.state.network, index)
            self._link(f"{layer},{row},{col}")

    # -- drawing --------------------------------------------------------------
    def _ensure_rows(self, network: Network) -> None:
        n = len(network.W)
        while len(self._layer_labels) > n:
            for label in self._layer_labels.pop():
                self.grid.removeWidget(label)
                label.deleteLater()
        while len(self._layer_labels) < n:
            row = len(self._layer_labels) + 2
            pair = (RichText(), RichText())
            for col, label in enumerate(pair):
                label.linkActivated.connect(self._link)
                self.grid.addWidget(label, row, col, TOP_LEFT)
            self._layer_labels.append(pair)
        names = param_labels(network)
        if names != self._param_names:
            self._param_names = names
            self.picker.clear()
            self.picker.addItems(names)

    def set_state(self, *args, **kwargs) -> None:
        if self._job is not None:
            self._advance()  # one more step of the refresh under way, in this frame
        self._in_frame = True
        try:
            super().set_state(*args, **kwargs)
        finally:
            self._in_frame = False
        if (self._job is not None or self._dirty) and not self._timer.isActive():
            self._timer.start(int(self.SETTLE_SECONDS * 1000))  # should this be the last frame

    def _settle(self) -> None:
        # The frames stopped: the refresh under way gives way to the latest state, in full.
        if self._job is not None:
            self._job = None
            self._dirty = True
        super()._settle()

    def refresh(self, state: State) -> None:
        if self._in_frame and self.skipping:
            # Training runs flat out: lay the texts out a step per frame, and show them together.
            if self._job is None:
                self._job = self._steps(state)
                self._advance()
            else:
                self._dirty = True  # drawn once the refresh under way is shown
            return
        self._job = None
        for _ in self._steps(state):
            pass

    def _advance(self) -> None:
        try:
            next(self._job)
        except StopIteration:
            self._job = None

    def _steps(self, state: State):
        """The refresh in steps of a millisecond or two: the arithmetic, a text per step, then all shown."""
        net, data = state.network, state.data
        layer, row, col = self.selected
        if layer >= len(net.W) or row > net.layers[layer] or col >= net.layers[layer + 1]:
            self.selected = layer, row, col = (0, 0, 0)
        self._ensure_rows(net)
        settings = state.settings
        with np.errstate(all="ignore"):
            p = net.passes(data.X, data.y)
            # The readable pass already holds the full-batch gradient: the next
            # update reuses it rather than running the training pass again.
            penalty_value = penalty(net, settings)
            loss = p.loss + penalty_value
            gradient = pass_gradient(p) + penalty_gradient(net, settings)
            self.last_update = next_update(net, data, settings, state.optimizer, state.rng_state,
                                           full_batch=(loss, gradient))
        self.last_pass = p
        L = len(net.W)
        about = f"<span style='color:{MUTED}'>{len(data.X)} samples, lr {settings.lr:g}</span>"
        epoch = f"<b>Epoch {state.epoch}</b> &nbsp; loss of these weights <b>{fmt(loss)}</b>"
        pace = (f"<br><span style='color:{MUTED}'>Training runs fast: shown {self.busy_hz:g} times a second. "
                "Pause or step to see every epoch.</span>" if self.skipping else "")
        yield
        self.summary.prepare(f"{epoch} &nbsp; {about}{pace}")
        inputs = matrix_html("X", p.X, "the points, one row per sample")
        if not features.is_default(net.features):
            names = ", ".join(features.label(name) for name in net.features)
            inputs = side_by_side(inputs, matrix_html("F = features of X", p.inputs,
                                                      f"what the network sees: {names}"))
        self.input_label.prepare(inputs)
        self.loss_label.prepare(self._loss_html(net, p, loss, penalty_value, settings))
        yield
        for k, (left, right) in enumerate(self._layer_labels):
            n = k + 1
            f = FUNCTION_SYMBOL[net.output_activation if k == L - 1 else net.activation]
            below = _below(net, k)
            sel_w = (row, col) if k == layer and row < net.layers[k] else None
            sel_b = (0, col) if k == layer and row == net.layers[k] else None
            params = side_by_side(
                matrix_html(f"W{n}", net.W[k], "click a value to inspect it", (k, 0), sel_w),
                matrix_html(f"b{n}", net.b[k], "", (k, net.layers[k]), sel_b))
            out_note = "the prediction" if k == L - 1 else f"the input of layer {n + 1}"
            blocks = [matrix_html(f"z{n} = {below} @ W{n} + b{n}", p.z[k]),
                      matrix_html(f"a{n} = {f}(z{n})", p.a[k], out_note)]
            if k == L - 1:
                targets = "the classes" if net.output_activation == "softmax" else "the targets"
                blocks.append(matrix_html("y", p.y, targets))
            left.prepare(params + "<br>" + side_by_side(*blocks))
            yield
            right.prepare(self._backward_html(net, p, k))
            yield
        self.weight_label.prepare(self._weight_html(state))
        yield
        for label in (self.summary, self.input_label, self.loss_label, self.weight_label,
                      *(label for pair in self._layer_labels for label in pair)):
            label.commit()
        self.picker.setCurrentIndex(self._flat(net))

    def _flat(self, net: Network) -> int:
        layer, row, col = self.selected
        return sum(wa.size for wa in net.Wa[:layer]) + row * net.Wa[layer].shape[1] + col

    def _loss_html(self, net: Network, p: Pass, loss: float, penalty_value: float,
                   settings: TrainSettings) -> str:
        L = len(net.W)
        if net.loss == "mse":
            formula = f"mean((a{L} − y)²)"
        elif net.loss == "ce":
            formula = (f"−mean(log a{L}[y])  (cross-entropy: minus the log of the probability "
                       "each point's own class gets)")
        elif net.output_activation == "linear":
            formula = f"mean(log(1 + e^z{L}) − y·z{L})  (cross-entropy of σ(z{L}))"
        else:
            formula = f"−mean(y·log a{L} + (1 − y)·log(1 − a{L}))"
        terms = [("L1", f"{settings.l1:g}·Σ|W|"), ("L2", f"{settings.l2:g}/2·ΣW²")]
        penalties = " + ".join(f"{text} ({name} penalty)" for name, text in terms
                               if getattr(settings, name.lower()))
        lines = [formula]
        if penalties:
            lines = [f"{formula} = {fmt(p.loss)}", f"+ {penalties} = {fmt(penalty_value)}"]
        return (f"<div style='font-size:13pt'>loss of these weights = <b>{fmt(loss)}</b></div>"
                + "".join(f"<div style='color:{MUTED}'>{line}</div>" for line in lines))

    def _backward_html(self, net: Network, p: Pass, k: int) -> str:
        L, n = len(net.W), k + 1
        f = FUNCTION_SYMBOL[net.output_activation if k == L - 1 else net.activation]
        if k == L - 1:
            if net.loss == "mse":
                dz = f"dz{n} = 2(a{n} − y)/m ⊙ {f}′(z{n})"
            elif net.loss == "ce":
                # Softmax and cross-entropy together: the probabilities minus the one-hot classes.
                dz = f"dz{n} = (a{n} − onehot(y))/m"
            elif net.output_activation == "sigmoid":
                dz = f"dz{n} = (a{n} − y)/m"
            else:
                dz = f"dz{n} = (σ(z{n}) − y)/m"
        else:
            dz = f"dz{n} = (dz{n + 1} @ W{n + 1}ᵀ) ⊙ {f}′(z{n})"
        below = _below(net, k)
        if k == L - 1 and net.loss == "ce":
            slope = matrix_html(f"softmax′(z{n})", p.dact[k],
                                "not needed: dz comes straight from a − onehot(y)")
        else:
            slope = matrix_html(f"{f}′(z{n})", p.dact[k], "how much the unit can still move")
        first = side_by_side(slope,
                             matrix_html(dz, p.dz[k], "the 1/m of the mean is inside dz"))
        second = side_by_side(matrix_html(f"dW{n} = {below}ᵀ @ dz{n}", p.dW[k], "gradient of W" + str(n)),
                              matrix_html(f"db{n} = Σ dz{n}", p.db[k], "summed over samples"))
        return first + "<br>" + second

    def _weight_html(self, state: State) -> str:
        net, data = state.network, state.data
        layer, row, col = self.selected
        with np.errstate(all="ignore"):
            chain = weight_chain(net, data.X, data.y, layer, row, col, state.settings, passes=self.last_pass)
        n_layers = len(net.layers)
        target = unit_name(layer + 1, col, n_layers, net)
        # A bias's row is one past the units below: it has no source unit to name.
        what = (f"the bias of {target}" if chain.is_bias
                else f"the weight from {unit_name(layer, row, n_layers, net)} to {target}")
        names = "".join(f"<th>{html.escape(f.name)}<br><span style='color:{MUTED};font-weight:normal'>"
                        f"{html.escape(f.formula)}</span></th>" for f in chain.factors)
        m = len(chain.per_sample)
        shown = min(m, MAX_ROWS)
        # The samples not shown are summed into one row, so that the printed rows add up.
        parts = [float(v) for v in chain.per_sample[:shown]]
        if m > shown:
            parts.append(float(chain.per_sample[shown:].sum()))
        products, total = addends(parts, chain.data_gradient)
        rows = []
        for s in range(shown):
            cells = "".join(f"<td align='right'>{significant(float(f.values[s]))}</td>"
                            for f in chain.factors)
            rows.append(f"<tr><td style='color:{MUTED}'>{s}</td>{cells}"
                        f"<td align='right' class='product'>{products[s]}</td></tr>")
        span = len(chain.factors) + 1
        if m > shown:
            rows.append(f"<tr><td colspan='{span}' style='color:{MUTED}'>the other {m - shown} samples, "
                        f"added up</td><td align='right' class='product'>{products[-1]}</td></tr>")
        rows.append(f"<tr><td colspan='{span}' align='right'><b>dL/d{chain.label} = Σ</b></td>"
                    f"<td align='right' class='sum'><b>{total}</b></td></tr>")
        penalty_text = ""
        if chain.penalty_gradient:
            penalty_text = (f" + penalty {fmt(chain.penalty_gradient)} = <b>{fmt(chain.gradient)}</b> "
                            "(L1/L2 regularisation)")
        return (f"<div style='font-size:11pt'><b>{chain.label}</b> — {what}</div>"
                f"<div>value <b>{fmt(chain.value)}</b> &nbsp; gradient over all {m} points "
                f"<b>{fmt(chain.data_gradient)}</b>{penalty_text}</div>"
                f"{self._update_html(net, chain.value)}"
                f"<div style='margin-top:6px'>Chain rule, one row per sample: the gradient is the sum "
                f"of the products</div>"
                f"<table cellspacing='0' cellpadding='3' style='font-family:monospace'>"
                f"<tr><th>sample</th>{names}<th>product</th></tr>{''.join(rows)}</table>")

    def _update_html(self, net: Network, value: float) -> str:
        update = self.last_update
        if update is None:
            return ""
        about = "".join(f"<div style='color:{MUTED}'>{html.escape(line)}</div>" for line in update.sentences)
        if update.stops:
            return f"<div>next update: <b>none</b></div>{about}"
        i = self._flat(net)
        step = float(update.step[i])
        if update.batch is not None:
            about += (f"<div style='color:{MUTED}'>this batch's gradient for the parameter: "
                      f"{significant(float(update.gradient[i]), 3)}</div>")
        direction = ("this step makes it larger" if step > 0 else
                     "this step makes it smaller" if step < 0 else "this step does not move it")
        return (f"<div>next update <b>{significant(step, 3)}</b> → next value <b>{fmt(value + step)}</b> "
                f"<span style='color:{MUTED}'>({direction})</span></div>{about}")

    # -- gradient check -------------------------------------------------------
    def run_gradient_check(self) -> None:
        """Start the check off the GUI thread (a large network needs thousands of passes)."""
        if self.state is None or self._check_job is not None:
            return
        net, data, settings = self.state.network.copy(), self.state.data, self.state.settings
        self.check_button.setEnabled(False)
        self.check_label.setText(f"Checking {net.params.size} parameters…")
        self._show_check()

        def check(job: jobs.Job):
            def report(done: int, total: int) -> bool:
                job.progress(done, total)
                return not job.cancelled
            return gradient_check(net, data, settings, progress=report)

        job = jobs.Job(check, "Checking the gradient", unit="parameter")
        job.sigProgress.connect(lambda done, total: self.check_label.setText(
            f"Checking the gradient: parameter {done:,} of {total:,}…"))
        job.sigDone.connect(self._check_done)
        job.sigFailed.connect(lambda msg: (self.check_label.setText(f"Gradient check failed: {msg}"),
                                           self._show_check()))
        job.finished.connect(self._check_finished)
        self._check_job = job
        job.start()

    def _check_finished(self) -> None:
        self._check_job = None
        self.check_button.setEnabled(True)

    def _check_done(self, check: GradientCheck | None) -> None:
        if check is None:
            self.check_label.setText("Gradient check stopped.")
            self._show_check()
            return
        self.last_check = check
        ok = check.max_relative < CHECK_TOLERANCE
        verdict = (f"<span style='color:#1b7837'><b>✓ agree</b></span> (below {CHECK_TOLERANCE:g})" if ok else
                   f"<span style='color:#b2182b'><b>✗ differ</b></span> (above {CHECK_TOLERANCE:g})")
        w = check.worst
        self.check_label.setText(
            f"<b>Gradient check</b> — the gradient training uses (backpropagation, with the L1/L2 penalty) "
            f"vs central differences (L(w+ε) − L(w−ε)) / 2ε at ε = {check.eps:g} and ε/2, extrapolated, "
            f"for all {len(check.labels)} parameters<br>largest relative difference "
            f"<b>{check.max_relative:.2e}</b> at {check.labels[w]} {verdict}")
        order = np.argsort(-check.relative)
        self.check_table.setRowCount(len(order))
        for r, i in enumerate(order):
            values = (check.labels[i], f"{check.analytic[i]:+.10e}", f"{check.numeric[i]:+.10e}",
                      f"{check.relative[i]:.2e}")
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.check_table.setItem(r, c, item)
        self.check_table.show()
        self._show_check()

    def _show_check(self) -> None:
        """Scroll to the gradient check's result: it sits under both passes, below the fold,
        and a button whose answer appears out of sight looks as if it did nothing."""
        # Once the new text and the table are laid out (the scroll area learns the body's new
        # height from an event of its own, after this one).
        QTimer.singleShot(0, self._scroll_to_check)

    def _scroll_to_check(self) -> None:
        self.scroll.ensureWidgetVisible(self.check_label, 0, 0)
        if self.check_table.isVisible():
            # The verdict at the top, and as much of the table under it as the panel shows.
            bar = self.scroll.verticalScrollBar()
            bar.setValue(min(bar.maximum(), self.check_label.y()))

    def shutdown(self) -> None:
        """Stop a running gradient check (the main window calls this when it closes); returns at once."""
        if self._check_job is not None:
            self._check_job.cancel()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
