from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui.predictions_view import PredictionsView


@pytest.fixture
def view(qtbot):
    w = PredictionsView()
    qtbot.addWidget(w)
    w.show()
    return w


def cell(view, row, col):
    return view.model.data(view.model.index(row, col), Qt.ItemDataRole.DisplayRole)


def test_the_tutorials_results_table(view):
    t = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings())
    t.run(1000)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    view.flush()
    p = t.network.predict(t.data.X).ravel()
    assert view.model.rowCount() == 4
    for r in range(4):
        assert cell(view, r, 3) == str(int(t.data.y[r, 0]))
        assert cell(view, r, 4) == f"{p[r]:.4f}"
        assert cell(view, r, 5) == str(int(np.round(p[r])))
    # After 1000 epochs the tutorial's network has 3 of 4 right.
    assert view.train_accuracy == 0.75
    assert "Accuracy 75.0%" in view.accuracy_label.text()
    assert view.table.isColumnHidden(0)
    t.run(1000)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    view.flush()
    assert view.train_accuracy == 1.0


def test_large_sets_with_a_test_split(view):
    data = datasets.generate("circle", n=5000, seed=0)
    net = Network.initialised([2, 8, 1], init="xavier", seed=0)
    view.set_state(net, data, TrainSettings(), 0)
    view.flush()
    assert view.model.rowCount() == 5000
    assert cell(view, 0, 0) == "train" and cell(view, 4999, 0) == "test"
    assert not view.table.isColumnHidden(0)
    assert "test" in view.accuracy_label.text()
    # A moved point shows at the next refresh.
    moved = data.copy()
    moved.X[0] = (9.0, 9.0)
    view.set_state(net, moved, TrainSettings(), 1)
    view.flush()
    assert cell(view, 0, 1) == "9"


def test_a_diverged_network_predicts_no_class(view, qtbot):
    net = Network.initialised([2, 4, 1], seed=42)
    net.params[:] = np.nan  # what a learning rate far too large leaves behind
    data = datasets.xor()
    view.set_state(net, data, TrainSettings(), 7)
    view.flush()
    view.table.viewport().repaint()  # every cell drawn: none may raise
    assert [cell(view, r, 5) for r in range(4)] == ["–"] * 4
    assert [cell(view, r, 6) for r in range(4)] == ["✗"] * 4
    assert view.train_accuracy == 0.0 and "Accuracy 0.0%" in view.accuracy_label.text()
