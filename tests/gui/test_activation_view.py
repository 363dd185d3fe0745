from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets
from nnviz.core.activations import sigmoid
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui.activation_view import ActivationView


@pytest.fixture
def view(qtbot):
    w = ActivationView()
    qtbot.addWidget(w)
    w.show()
    return w


def test_pre_activations_sit_on_the_curves(view):
    t = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings())
    t.run(2000)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    view.flush()
    z1 = t.network.forward(t.data.X)[0][0].ravel()
    x, y = view.f_dots.getData()
    assert np.array_equal(x, z1) and np.allclose(y, sigmoid(z1))
    _, d = view.d_dots.getData()
    assert np.allclose(d, sigmoid(z1) * (1 - sigmoid(z1)))
    assert view.saturated_share == np.mean(d < 0.025)
    assert "sigmoid and its derivative" in view.plot.plotItem.titleLabel.text


def test_layer_choice_and_activation_names(view):
    data = datasets.generate("moons", n=50, seed=0)
    net = Network.initialised([2, 5, 3, 1], "relu", "linear", "bce", init="he", seed=1)
    view.set_state(net, data, TrainSettings(), 0)
    view.flush()
    assert [view.layer_combo.itemText(i) for i in range(3)] == [
        "hidden layer 1 (relu)", "hidden layer 2 (relu)", "output layer (linear)"]
    view.select_layer(1)
    z2 = net.forward(data.X)[0][1].ravel()
    x, y = view.f_dots.getData()
    assert np.array_equal(x, z2) and np.array_equal(y, np.maximum(z2, 0))
    assert view.saturated_share == np.mean(z2 <= 0)
    view.select_layer(2)
    assert "never saturates" in view.summary.text()


def test_the_axes_hold_still_while_the_dots_move_inside_them(view):
    t = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings())
    t.run(3000)
    view.set_state(t.network.copy(), t.data, t.settings, t.epoch)
    view.flush()
    box = view.plot.getViewBox()
    before = box.viewRange()
    first = view.f_dots.getData()[0].copy()
    t.run(200)
    view.set_state(t.network.copy(), t.data, t.settings, t.epoch)
    view.flush()
    assert not np.array_equal(view.f_dots.getData()[0], first)  # the dots moved
    assert box.viewRange() == before  # the axes did not
    big = t.network.copy()
    big.W[0] *= 40  # pre-activations far outside the range: it widens to show them all
    view.set_state(big, t.data, t.settings, t.epoch)
    view.flush()
    z = view.f_dots.getData()[0]
    (low, high), _ = box.viewRange()
    assert low <= z.min() and z.max() <= high and high > before[0][1]
