"""The step inspector: one training step's numbers, forward and backward, layer by layer.

Each row of the panel is one layer.  On the left, the forward pass as the
tutorial writes it (``z1 = X @ W1 + b1``, ``a1 = f(z1)``); on the right, the
backward pass for the same layer (``f'(z1)``, ``dz1``, ``dW1``, ``db1``), so
every gradient sits beside the weight it belongs to.  Matrices show their
shape and their first rows; a cell's tint follows its sign and size.  Clicking
a weight or bias (or choosing it in the list, or clicking an edge in the
diagram, which calls ``select_weight``) shows its chain of factors and the
update it is about to get.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
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
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnviz.core.inspect import GradientCheck, gradient_check, locate, param_label, weight_chain
from nnviz.core.network import Network, Pass
from nnviz.gui.panel import MUTED, NEGATIVE, POSITIVE, CallThread, Panel, State

MAX_ROWS = 6  # rows of a matrix shown; the shape says how many there are
MAX_COLS = 8
CHECK_TOLERANCE = 1e-6
SELECTED = "#fde047"  # the selected weight's cell

FUNCTION_SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "linear": "id"}


def fmt(v: float, fixed: bool | None = None) -> str:
    """Four decimals for ordinary numbers, scientific for tiny or huge ones.

    ``fixed`` forces one style, so that one matrix does not mix them.
    """
    if v == 0 or (float(v).is_integer() and abs(v) < 1e4):
        return f"{v:.0f}"
    if fixed is None:
        fixed = 1e-3 <= abs(v) < 1e4
    return f"{v:.4f}" if fixed else f"{v:.2e}"


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


def _cell_label() -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    return label


class InspectorView(Panel):
    """Forward and backward pass of the current network, a selected weight, and a gradient check.

    Signals
    -------
    sigWeightSelected(layer, row, col)
        The user picked a parameter here; ``row == fan_in`` is the bias.
    """

    sigWeightSelected = Signal(int, int, int)

    def sizeHint(self) -> QSize:
        # Wide enough for a 2-4-1 network's forward and backward columns side by side.
        return QSize(560, 640)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selected: tuple[int, int, int] = (0, 0, 0)
        self.last_pass: Pass | None = None
        self.last_check: GradientCheck | None = None
        self._check_thread: CallThread | None = None
        self._layer_labels: list[tuple[QLabel, QLabel]] = []
        self._param_names: list[str] = []

        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        # Text that changes every frame must not change the panel's size: a
        # dock that resizes moves the boundary view, which asks for a new
        # image, which brings a new frame... a loop.
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.picker = QComboBox()
        self.picker.setToolTip("Choose a weight or bias to see how its gradient comes about")
        self.picker.setMinimumContentsLength(9)
        self.picker.activated.connect(self._picked)
        self.check_button = QPushButton("Gradient check")
        self.check_button.setToolTip("Compare backpropagation's gradient with a central finite-difference "
                                     "estimate for every weight and bias")
        self.check_button.clicked.connect(self.run_gradient_check)

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(QLabel("Weight:"))
        top.addWidget(self.picker)
        top.addWidget(self.check_button)

        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(10)
        heading = "<span style='font-size:11pt'><b>{}</b></span> <span style='color:{}'>{}</span>"
        self.grid.addWidget(QLabel(heading.format("Forward pass", MUTED, "top to bottom: inputs to prediction")),
                            0, 0)
        self.grid.addWidget(QLabel(heading.format("Backward pass", MUTED,
                                                  "bottom to top: from the loss back to the inputs")), 0, 1)
        self.input_label = _cell_label()
        self.loss_label = _cell_label()
        self.grid.addWidget(self.input_label, 1, 0)
        self.grid.addWidget(self.loss_label, 1, 1)

        self.weight_label = _cell_label()
        self.weight_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.weight_label.setContentsMargins(8, 6, 8, 6)
        self.check_label = _cell_label()
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
        column.addWidget(self.weight_label)
        column.addWidget(self.check_label)
        column.addWidget(self.check_table)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)

        layout = QVBoxLayout(self)
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
            self.flush()

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
            pair = (_cell_label(), _cell_label())
            for col, label in enumerate(pair):
                label.linkActivated.connect(self._link)
                self.grid.addWidget(label, row, col)
            self._layer_labels.append(pair)
        names = [param_label(network, *locate(network, i)) for i in range(network.params.size)]
        if names != self._param_names:
            self._param_names = names
            self.picker.clear()
            self.picker.addItems(names)

    def refresh(self, state: State) -> None:
        net, data = state.network, state.data
        layer, row, col = self.selected
        if layer >= len(net.W) or row > net.layers[layer] or col >= net.layers[layer + 1]:
            self.selected = layer, row, col = (0, 0, 0)
        self._ensure_rows(net)
        with np.errstate(all="ignore"):
            p = net.passes(data.X, data.y)
        self.last_pass = p
        L = len(net.W)
        self.summary.setText(f"<b>Epoch {state.epoch}</b> &nbsp; loss <b>{fmt(p.loss)}</b> &nbsp; "
                             f"<span style='color:{MUTED}'>{len(data.X)} samples, lr {state.settings.lr:g}</span>")
        self.input_label.setText(matrix_html("X", p.X, "the inputs, one row per sample"))
        self.loss_label.setText(self._loss_html(net, p))
        for k, (left, right) in enumerate(self._layer_labels):
            n = k + 1
            f = FUNCTION_SYMBOL[net.output_activation if k == L - 1 else net.activation]
            below = "X" if k == 0 else f"a{k}"
            sel_w = (row, col) if k == layer and row < net.layers[k] else None
            sel_b = (0, col) if k == layer and row == net.layers[k] else None
            params = side_by_side(
                matrix_html(f"W{n}", net.W[k], "click a value to inspect it", (k, 0), sel_w),
                matrix_html(f"b{n}", net.b[k], "", (k, net.layers[k]), sel_b))
            out_note = "the prediction" if k == L - 1 else f"the input of layer {n + 1}"
            blocks = [matrix_html(f"z{n} = {below} @ W{n} + b{n}", p.z[k]),
                      matrix_html(f"a{n} = {f}(z{n})", p.a[k], out_note)]
            if k == L - 1:
                blocks.append(matrix_html("y", p.y, "the targets"))
            left.setText(params + "<br>" + side_by_side(*blocks))
            right.setText(self._backward_html(net, p, k))
        self.picker.setCurrentIndex(self._flat(net))
        self.weight_label.setText(self._weight_html(state))

    def _flat(self, net: Network) -> int:
        layer, row, col = self.selected
        return sum(wa.size for wa in net.Wa[:layer]) + row * net.Wa[layer].shape[1] + col

    def _loss_html(self, net: Network, p: Pass) -> str:
        L = len(net.W)
        if net.loss == "mse":
            formula = f"mean((a{L} − y)²)"
        elif net.output_activation == "linear":
            formula = f"mean(log(1 + e^z{L}) − y·z{L})  (cross-entropy of σ(z{L}))"
        else:
            formula = f"−mean(y·log a{L} + (1 − y)·log(1 − a{L}))"
        return (f"<div style='font-size:13pt'>loss = <b>{fmt(p.loss)}</b></div>"
                f"<div style='color:{MUTED}'>{formula}</div>")

    def _backward_html(self, net: Network, p: Pass, k: int) -> str:
        L, n = len(net.W), k + 1
        f = FUNCTION_SYMBOL[net.output_activation if k == L - 1 else net.activation]
        if k == L - 1:
            if net.loss == "mse":
                dz = f"dz{n} = 2(a{n} − y)/m ⊙ {f}′(z{n})"
            elif net.output_activation == "sigmoid":
                dz = f"dz{n} = (a{n} − y)/m"
            else:
                dz = f"dz{n} = (σ(z{n}) − y)/m"
        else:
            dz = f"dz{n} = (dz{n + 1} @ W{n + 1}ᵀ) ⊙ {f}′(z{n})"
        below = "X" if k == 0 else f"a{k}"
        first = side_by_side(matrix_html(f"{f}′(z{n})", p.dact[k], "how much the unit can still move"),
                             matrix_html(dz, p.dz[k], "the 1/m of the mean is inside dz"))
        second = side_by_side(matrix_html(f"dW{n} = {below}ᵀ @ dz{n}", p.dW[k], "gradient of W" + str(n)),
                              matrix_html(f"db{n} = Σ dz{n}", p.db[k], "summed over samples"))
        return first + "<br>" + second

    def _weight_html(self, state: State) -> str:
        net, data = state.network, state.data
        layer, row, col = self.selected
        with np.errstate(all="ignore"):
            chain = weight_chain(net, data.X, data.y, layer, row, col, state.settings, passes=self.last_pass)
        L = len(net.W)
        src = "bias" if chain.is_bias else ("input" if layer == 0 else f"hidden unit {row} of layer {layer}")
        dst = "the output" if layer == L - 1 else f"hidden unit {col} of layer {layer + 1}"
        what = f"the bias of {dst}" if chain.is_bias else f"from {src} to {dst}"
        if not chain.is_bias and layer == 0:
            what = f"from input x{row + 1} to {dst}"
        names = "".join(f"<th>{html.escape(f.name)}<br><span style='color:{MUTED};font-weight:normal'>"
                        f"{html.escape(f.formula)}</span></th>" for f in chain.factors)
        rows = []
        m = len(chain.per_sample)
        for s in range(min(m, MAX_ROWS)):
            cells = "".join(f"<td align='right'>{fmt(float(f.values[s]))}</td>" for f in chain.factors)
            rows.append(f"<tr><td style='color:{MUTED}'>{s}</td>{cells}"
                        f"<td align='right'>{fmt(float(chain.per_sample[s]))}</td></tr>")
        if m > MAX_ROWS:
            rows.append(f"<tr><td colspan='{len(chain.factors) + 2}' style='color:{MUTED}'>… {m - MAX_ROWS} "
                        "more samples</td></tr>")
        span = len(chain.factors) + 1
        rows.append(f"<tr><td colspan='{span}' align='right'><b>dL/d{chain.label} = Σ</b></td>"
                    f"<td align='right'><b>{fmt(chain.data_gradient)}</b></td></tr>")
        penalty = ""
        if chain.penalty_gradient:
            penalty = (f" + penalty {fmt(chain.penalty_gradient)} = <b>{fmt(chain.gradient)}</b> "
                       "(L1/L2 regularisation)")
        if chain.optimizer == "sgd":
            step = (f"update at lr {chain.lr:g}: −lr × gradient = <b>{fmt(chain.update)}</b> → "
                    f"next value <b>{fmt(chain.value + chain.update)}</b>")
        else:
            step = (f"plain gradient step at lr {chain.lr:g}: {fmt(chain.update)} "
                    f"<span style='color:{MUTED}'>({chain.optimizer} rescales it with its running "
                    "averages)</span>")
        direction = ("positive gradient: this step makes the weight smaller" if chain.gradient > 0 else
                     "negative gradient: this step makes the weight larger" if chain.gradient < 0 else
                     "zero gradient: this weight does not move")
        return (f"<div style='font-size:11pt'><b>{chain.label}</b> — {what}</div>"
                f"<div>value <b>{fmt(chain.value)}</b> &nbsp; gradient <b>{fmt(chain.data_gradient)}</b>"
                f"{penalty}</div><div>{step}</div><div style='color:{MUTED}'>{direction}</div>"
                f"<div style='margin-top:6px'>Chain rule, one row per sample: the gradient is the sum "
                f"of the products</div>"
                f"<table cellspacing='0' cellpadding='3' style='font-family:monospace'>"
                f"<tr><th>sample</th>{names}<th>product</th></tr>{''.join(rows)}</table>")

    # -- gradient check -------------------------------------------------------
    def run_gradient_check(self) -> None:
        """Start the check off the GUI thread (a large network needs thousands of passes)."""
        if self.state is None or self._check_thread is not None:
            return
        net, data = self.state.network.copy(), self.state.data
        self.check_button.setEnabled(False)
        self.check_label.setText(f"Checking {net.params.size} parameters…")
        thread = CallThread(lambda _t: gradient_check(net, data.X, data.y), self)
        thread.sigDone.connect(self._check_done)
        thread.sigFailed.connect(lambda msg: self.check_label.setText(f"Gradient check failed: {msg}"))
        thread.finished.connect(self._check_finished)
        self._check_thread = thread
        thread.start()

    def _check_finished(self) -> None:
        if self._check_thread is not None:
            self._check_thread.wait()
            self._check_thread.deleteLater()
        self._check_thread = None
        self.check_button.setEnabled(True)

    def _check_done(self, check: GradientCheck) -> None:
        self.last_check = check
        ok = check.max_relative < CHECK_TOLERANCE
        verdict = (f"<span style='color:#1b7837'><b>✓ agree</b></span> (below {CHECK_TOLERANCE:g})" if ok else
                   f"<span style='color:#b2182b'><b>✗ differ</b></span> (above {CHECK_TOLERANCE:g})")
        w = check.worst
        self.check_label.setText(
            f"<b>Gradient check</b> — backpropagation vs central differences (L(w+ε) − L(w−ε)) / 2ε "
            f"at ε = {check.eps:g} and ε/2, extrapolated, "
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

    def shutdown(self) -> None:
        """Stop a running gradient check (the main window calls this when it closes)."""
        if self._check_thread is not None:
            self._check_thread.stop()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
