"""The tutorial's results table, live: input -> target | prediction | rounded, and the accuracy.

A ``QTableView`` over a small model: only the rows on screen are ever drawn,
so a 100,000-point data set scrolls as lightly as XOR's four points.  Each
refresh replaces the model's prediction columns (a new array) and tells the
view that those columns changed: the cells on screen are repainted in place,
and nothing is laid out again (the accuracy line has a fixed height, the
columns fixed widths).

The columns follow the network: one sigmoid output shows P(class 1) and the
rounded class (the tutorial's table); K softmax outputs show one probability
per class and the most likely class; a regression shows the prediction and
its error.  Under the accuracy line a confusion matrix counts, for the
training points, which class each true class is taken for (rows: the true
class, columns: the predicted one); a regression shows its MSE and R² instead.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QTableView, QVBoxLayout, QWidget

from nnviz.core.network import Network, accuracy, class_of, r_squared
from nnviz.gui import theme
from nnviz.gui.panel import MUTED, Panel, RichText, State

BINARY_COLUMNS = ("set", "x1", "x2", "target", "prediction", "rounded", "")
REGRESSION_COLUMNS = ("set", "x1", "x2", "target", "prediction", "error")
COLUMNS = BINARY_COLUMNS  # the tutorial's table
# The usual widest text of each column (a probability column: "0.0000").
WIDEST = {"set": "train", "x1": "-0.0000", "x2": "-0.0000", "target": "-0.0000", "prediction": "-0.0000",
          "rounded": "0", "error": "+0.00000", "predicted": "0", "": "✓✗"}
MAX_HINT_WIDTH = 420  # pixels of columns the panel asks for at most (the tutorial's seven fit)
RIGHT = QColor("#1b7837")
WRONG = QColor("#b2182b")


def softmax_columns(classes: int) -> tuple[str, ...]:
    return ("set", "x1", "x2", "target", *(f"P({k})" for k in range(classes)), "predicted", "")


def columns_of(network: Network) -> tuple[str, ...]:
    if network.regression:
        return REGRESSION_COLUMNS
    if network.output_activation == "softmax":
        return softmax_columns(network.outputs)
    return BINARY_COLUMNS


class PredictionsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.X = np.empty((0, 2))
        self.y = np.empty(0)
        self.p = np.empty((0, 1))  # (n, outputs): what ``network.predict`` says of each row
        self.predicted = np.empty(0, dtype=np.int64)  # the class of each row (classification)
        self.n_train = 0
        self.columns = BINARY_COLUMNS
        self.kind = "binary"  # "binary", "softmax" or "regression"

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.X)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section] if orientation == Qt.Orientation.Horizontal else str(section)
        return None

    def _right(self, r: int) -> bool:
        return bool(self.predicted[r] == self.y[r]) and bool(np.all(np.isfinite(self.p[r])))

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        r, c = index.row(), index.column()
        last = len(self.columns) - 1
        if role == Qt.ItemDataRole.DisplayRole:
            if c == 0:
                return "train" if r < self.n_train else "test"
            if c in (1, 2):
                return f"{self.X[r, c - 1]:.4g}"
            if c == 3:
                return f"{self.y[r]:.4g}" if self.kind == "regression" else str(int(self.y[r]))
            return self._prediction_text(r, c, last)
        if role == Qt.ItemDataRole.ForegroundRole and self.kind != "regression" and c >= last - 1 and c > 3:
            return QBrush(RIGHT if self._right(r) else WRONG)
        if role == Qt.ItemDataRole.ForegroundRole and c == 0:
            return QBrush(QColor(MUTED))
        if role == Qt.ItemDataRole.TextAlignmentRole and c:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _prediction_text(self, r: int, c: int, last: int) -> str:
        if self.kind == "regression":
            value = self.p[r, 0]
            if not np.isfinite(value):
                return "–"
            return f"{value:.4g}" if c == 4 else f"{value - self.y[r]:+.3g}"
        finite = bool(np.all(np.isfinite(self.p[r])))
        if c == last:
            return "✓" if self._right(r) else "✗"
        if not finite:
            # A diverged network predicts NaN: no class at all (and wrong, as the accuracy counts it).
            return "–"
        if c == last - 1:
            return str(int(self.predicted[r]))
        return f"{self.p[r, c - 4]:.4f}"

    def set_points(self, X: np.ndarray, y: np.ndarray, n_train: int, network: Network) -> None:
        self.beginResetModel()
        self.X, self.y, self.n_train = X, y, n_train
        self._set_kind(network)
        self.p = np.full((len(X), network.outputs), np.nan)
        self.predicted = np.full(len(X), -1, dtype=np.int64)
        self.endResetModel()

    def _set_kind(self, network: Network) -> None:
        self.columns = columns_of(network)
        self.kind = ("regression" if network.regression
                     else "softmax" if network.output_activation == "softmax" else "binary")

    def fits(self, network: Network) -> bool:
        """Whether the columns are those of ``network``'s outputs."""
        return self.columns == columns_of(network)

    def set_predictions(self, p: np.ndarray) -> None:
        """``p``: (n, outputs), a new array each time."""
        self.p = p
        if self.kind != "regression":
            with np.errstate(invalid="ignore"):
                self.predicted = class_of(np.nan_to_num(p, nan=-1.0)) if len(p) else np.empty(0, np.int64)
        if len(p):
            self.dataChanged.emit(self.index(0, 4), self.index(len(p) - 1, len(self.columns) - 1))


class ConfusionMatrix(QWidget):
    """A K x K table of counts: row = true class, column = predicted class, coloured by count.

    Drawn by hand (K² numbers and squares): a fixed size for a number of
    classes, so new counts only repaint it.
    """

    CELL = 30
    HEADER = 52

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts = np.zeros((2, 2), dtype=np.int64)
        self._fit()
        self.setToolTip("Confusion matrix of the training points.\n"
                        "Each row is a true class, each column the class the network says.\n"
                        "The diagonal is right; a full square off it is a class taken for another.")

    def _fit(self) -> None:
        k = len(self.counts)
        self.setFixedSize(self.HEADER + k * self.CELL + 2, self.HEADER // 2 + 14 + k * self.CELL + 2)

    def set_counts(self, counts: np.ndarray) -> None:
        old = len(self.counts)
        self.counts = counts
        if len(counts) != old:
            self._fit()
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        k, cell = len(self.counts), self.CELL
        left, top = self.HEADER, self.HEADER // 2 + 14
        font = p.font()
        small = font
        small.setPointSizeF(max(font.pointSizeF() - 1, 6))
        p.setFont(small)
        p.setPen(QColor(MUTED))
        p.drawText(QRectF(left, 0, k * cell, 14), Qt.AlignmentFlag.AlignCenter, "predicted")
        p.drawText(QRectF(0, top, left - 20, k * cell), Qt.AlignmentFlag.AlignCenter, "true")
        row_totals = np.maximum(self.counts.sum(axis=1), 1)
        for j in range(k):
            p.setPen(QColor(theme.CLASS_COLOURS[j]).darker(130))
            p.drawText(QRectF(left + j * cell, 14, cell, top - 14), Qt.AlignmentFlag.AlignCenter, str(j))
            p.drawText(QRectF(left - 20, top + j * cell, 18, cell),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(j))
        for i in range(k):
            for j in range(k):
                n = int(self.counts[i, j])
                share = n / row_totals[i]
                # Right answers in green, confusions in vermillion, as strong as their share of the row.
                colour = QColor(theme.GREEN if i == j else theme.VERMILLION)
                colour.setAlphaF(0.08 + 0.72 * share if n else 0.0)
                rect = QRectF(left + j * cell, top + i * cell, cell, cell)
                p.fillRect(rect, colour)
                p.setPen(QColor(theme.GRID_PEN))
                p.drawRect(rect)
                p.setPen(QColor("white") if share > 0.6 else QColor(theme.INK))
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(n))
        p.end()


class PredictionsView(Panel):
    """Every data point with its target and the network's prediction, the accuracy and the confusions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PredictionsModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.verticalHeader().hide()
        # Each column as wide as its usual widest text, measured once per set of columns (not on
        # every change): in a narrow dock the numbers stay whole and the table scrolls, instead of
        # "0.0…".  Wider coordinates (an imported file's) have the column's edge to drag.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._fix_columns()
        # A fixed height: a new text repaints the line, and does not resize the dock (and so the main views).
        self.accuracy_label = RichText(lines=1)
        self.confusion = ConfusionMatrix()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.confusion)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.accuracy_label)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.train_accuracy = math.nan
        self.test_accuracy = math.nan
        self.mse = math.nan
        self.r_squared = math.nan
        self._data = None

    def sizeHint(self) -> QSize:
        # A docked panel opens at its size hint: every column whole, beside the vertical scroll bar.
        margins = self.layout().contentsMargins()
        # With a probability per class the columns run wide: past MAX_HINT_WIDTH the table scrolls
        # sideways rather than crush the main views.
        columns = min(sum(self._column_widths()), MAX_HINT_WIDTH)
        width = (columns + self.table.verticalScrollBar().sizeHint().width()
                 + 2 * self.table.frameWidth() + margins.left() + margins.right())
        return QSize(width, 480)

    def _column_widths(self) -> list[int]:
        cell, bold = self.table.fontMetrics(), self.table.horizontalHeader().fontMetrics()
        # Room for the cell's margins and the header's sort indicator.
        return [max(cell.horizontalAdvance(WIDEST.get(title, "0.0000")), bold.horizontalAdvance(title)) + 16
                for title in self.model.columns]

    def _fix_columns(self) -> None:
        header = self.table.horizontalHeader()
        for column, width in enumerate(self._column_widths()):
            header.resizeSection(column, width)

    def refresh(self, state: State) -> None:
        data, network = state.data, state.network
        # A data set is never changed once made: the same object has the same points.
        if data is not self._data or not self.model.fits(network):
            self._data = data
            X = np.vstack([data.X, data.X_test]) if data.has_test else data.X
            y = np.vstack([data.y, data.y_test]) if data.has_test else data.y
            # Then compared by value: a dragged point or a flipped label must
            # show, however the window delivered it.
            if not (self.model.fits(network) and self.model.n_train == len(data.X)
                    and np.array_equal(X, self.model.X) and np.array_equal(y.ravel(), self.model.y)):
                self.model.set_points(X.copy(), y.ravel().copy(), len(data.X), network)
                self._fix_columns()
                self.table.setColumnHidden(0, not data.has_test)
        with np.errstate(all="ignore"):
            p = network.predict(self.model.X)
        self.model.set_predictions(p)
        n = len(data.X)
        if network.regression:
            self._show_regression(p, data, n, state.epoch)
        else:
            self._show_classes(p, data, n, network, state.epoch)

    def _show_classes(self, p: np.ndarray, data, n: int, network: Network, epoch: int) -> None:
        y = data.y.ravel()
        one_output = p.shape[1] == 1
        self.train_accuracy = accuracy(p[:n].ravel() if one_output else p[:n], y)
        # The same counts as ``network.confusion``, from the predictions already made.
        k = network.classes
        predicted = self.model.predicted[:n]
        true = y.astype(np.int64)
        valid = (true < k) & (predicted >= 0) & (predicted < k)
        counts = np.bincount(true[valid] * k + predicted[valid], minlength=k * k).reshape(k, k)
        self.confusion.set_counts(counts)
        self.confusion.show()
        text = (f"<b>Accuracy {self.train_accuracy:.1%}</b> "
                f"<span style='color:{MUTED}'>({round(self.train_accuracy * n)} of {n} training points"
                f" right, epoch {epoch})</span>")
        if data.has_test:
            y_test = data.y_test.ravel()
            self.test_accuracy = accuracy(p[n:].ravel() if one_output else p[n:], y_test)
            text += f" &nbsp; <b>test {self.test_accuracy:.1%}</b>"
        self.accuracy_label.setText(text)

    def _show_regression(self, p: np.ndarray, data, n: int, epoch: int) -> None:
        self.confusion.hide()
        squared = (p[:, 0] - self.model.y) ** 2
        self.mse = float(np.mean(squared[:n]))
        self.r_squared = r_squared(float(np.sum(squared[:n])), data.y)
        # R² first: the one number a learner reads (1 is a perfect fit); one line, so the test's MSE is left out.
        text = (f"<b>R² {self.r_squared:.3f}</b> MSE {self.mse:.3g} "
                f"<span style='color:{MUTED}'>({n} training points, epoch {epoch})</span>")
        if data.has_test:
            self.test_accuracy = r_squared(float(np.sum(squared[n:])), data.y_test)
            text += f" &nbsp; <b>test R² {self.test_accuracy:.3f}</b>"
        self.accuracy_label.setText(text)
