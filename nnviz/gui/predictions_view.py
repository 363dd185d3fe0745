"""The tutorial's results table, live: input -> target | prediction | rounded, and the accuracy.

A ``QTableView`` over a small model: only the rows on screen are ever drawn,
so a 100,000-point data set scrolls as lightly as XOR's four points.  Each
refresh replaces the model's prediction column (a new array) and tells the
view that those columns changed: the cells on screen are repainted in place,
and nothing is laid out again (the accuracy line has a fixed height, the
columns fixed widths).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTableView, QVBoxLayout, QWidget

from nnviz.core.trainer import accuracy
from nnviz.gui.panel import MUTED, Panel, RichText, State

COLUMNS = ("set", "x1", "x2", "target", "prediction", "rounded", "")
RIGHT = QColor("#1b7837")
WRONG = QColor("#b2182b")


class PredictionsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.X = np.empty((0, 2))
        self.y = np.empty(0)
        self.p = np.empty(0)
        self.n_train = 0

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.X)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if orientation == Qt.Orientation.Horizontal else str(section)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        r, c = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if c == 0:
                return "train" if r < self.n_train else "test"
            if c in (1, 2):
                return f"{self.X[r, c - 1]:.4g}"
            if c == 3:
                return str(int(self.y[r]))
            if c in (4, 5) and not np.isfinite(self.p[r]):
                # A diverged network predicts NaN: no class at all (and wrong, as the accuracy counts it).
                return "–"
            if c == 4:
                return f"{self.p[r]:.4f}"
            if c == 5:
                return str(int(np.round(self.p[r])))
            return "✓" if np.round(self.p[r]) == self.y[r] else "✗"
        if role == Qt.ItemDataRole.ForegroundRole and c in (5, 6):
            return QBrush(RIGHT if np.round(self.p[r]) == self.y[r] else WRONG)
        if role == Qt.ItemDataRole.ForegroundRole and c == 0:
            return QBrush(QColor(MUTED))
        if role == Qt.ItemDataRole.TextAlignmentRole and c:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def set_points(self, X: np.ndarray, y: np.ndarray, n_train: int) -> None:
        self.beginResetModel()
        self.X, self.y, self.n_train = X, y, n_train
        self.p = np.full(len(X), np.nan)
        self.endResetModel()

    def set_predictions(self, p: np.ndarray) -> None:
        self.p = p
        if len(p):
            self.dataChanged.emit(self.index(0, 4), self.index(len(p) - 1, len(COLUMNS) - 1))


class PredictionsView(Panel):
    """Every data point with its target, the network's prediction, the rounded class, and the accuracy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PredictionsModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        # Each column as wide as its usual widest text, measured once (not on every change): in
        # a narrow dock the numbers stay whole and the table scrolls, instead of "0.0…".  Wider
        # coordinates (an imported file's) have the column's edge to drag.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(self._column_widths()):
            header.resizeSection(column, width)
        # A fixed height: a new text repaints the line, and does not resize the dock (and so the main views).
        self.accuracy_label = RichText(lines=1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.accuracy_label)
        layout.addWidget(self.table, 1)
        self.train_accuracy = float("nan")
        self.test_accuracy = float("nan")
        self._data = None

    def sizeHint(self) -> QSize:
        # A docked panel opens at its size hint: every column whole, beside the vertical scroll bar.
        margins = self.layout().contentsMargins()
        width = (sum(self._column_widths()) + self.table.verticalScrollBar().sizeHint().width()
                 + 2 * self.table.frameWidth() + margins.left() + margins.right())
        return QSize(width, 480)

    def _column_widths(self) -> list[int]:
        cell, bold = self.table.fontMetrics(), self.table.horizontalHeader().fontMetrics()
        widest = ("train", "-0.0000", "-0.0000", "0", "0.0000", "0", "✓✗")
        # Room for the cell's margins and the header's sort indicator.
        return [max(cell.horizontalAdvance(text), bold.horizontalAdvance(title)) + 16
                for text, title in zip(widest, COLUMNS)]

    def refresh(self, state: State) -> None:
        data = state.data
        # A data set is never changed once made: the same object has the same points.
        if data is not self._data:
            self._data = data
            X = np.vstack([data.X, data.X_test]) if data.has_test else data.X
            y = np.vstack([data.y, data.y_test]) if data.has_test else data.y
            # Then compared by value: a dragged point or a flipped label must
            # show, however the window delivered it.
            if not (self.model.n_train == len(data.X) and np.array_equal(X, self.model.X)
                    and np.array_equal(y.ravel(), self.model.y)):
                self.model.set_points(X.copy(), y.ravel().copy(), len(data.X))
                self.table.setColumnHidden(0, not data.has_test)
        with np.errstate(all="ignore"):
            p = state.network.predict(self.model.X).ravel()
        self.model.set_predictions(p)
        n = len(data.X)
        self.train_accuracy = accuracy(p[:n], data.y.ravel())
        text = (f"<b>Accuracy {self.train_accuracy:.1%}</b> "
                f"<span style='color:{MUTED}'>({round(self.train_accuracy * n)} of {n} training points"
                f" right, epoch {state.epoch})</span>")
        if data.has_test:
            self.test_accuracy = accuracy(p[n:], data.y_test.ravel())
            text += f" &nbsp; <b>test {self.test_accuracy:.1%}</b>"
        self.accuracy_label.setText(text)
