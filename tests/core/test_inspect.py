from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets
from nnviz.core.inspect import (
    flat_index,
    gradient_check,
    locate,
    param_label,
    param_labels,
    penalty,
    unit_name,
    weight_chain,
)
from nnviz.core.kernel import Kernel
from nnviz.core.network import Network
from nnviz.core.plane import plane_points
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.core.unit_maps import unit_maps

CASES = [
    ([2, 4, 1], "sigmoid", "sigmoid", "mse"),
    ([2, 5, 3, 1], "tanh", "sigmoid", "bce"),
    ([2, 6, 1], "relu", "linear", "bce"),
    ([2, 3, 3, 1], "sigmoid", "linear", "mse"),
    ([2, 1], "sigmoid", "sigmoid", "mse"),
]


@pytest.mark.parametrize("layers, act, out, loss", CASES)
def test_chain_of_every_parameter_multiplies_to_its_gradient(layers, act, out, loss):
    data = datasets.generate("moons", n=30, seed=3)
    net = Network.initialised(layers, act, out, loss, init="xavier", seed=5)
    grad = net.gradient(data.X, data.y)
    p = net.passes(data.X, data.y)
    for index in range(net.params.size):
        layer, row, col = locate(net, index)
        assert flat_index(net, layer, row, col) == index
        chain = weight_chain(net, data.X, data.y, layer, row, col, passes=p)
        assert chain.gradient == pytest.approx(grad[index], rel=1e-12, abs=1e-15)
        assert chain.value == net.params[index]


def test_chain_of_the_tutorial_output_weight_reads_like_the_tutorial():
    data = datasets.xor()
    net = Network.initialised([2, 4, 1], seed=42)
    chain = weight_chain(net, data.X, data.y, 1, 2, 0)
    assert chain.label == "W2[2,0]"
    assert [f.name for f in chain.factors] == ["dL/da", "da/dz", "dz/dw"]
    p = net.passes(data.X, data.y)
    assert np.allclose(chain.factors[2].values, p.a[0][:, 2])
    assert chain.gradient == pytest.approx(p.dW[1][2, 0], rel=1e-12)
    bias = weight_chain(net, data.X, data.y, 0, 2, 1)
    assert bias.label == "b1[0,1]" and bias.is_bias
    assert bias.gradient == pytest.approx(p.db[0][0, 1])


def test_penalty_is_part_of_the_weight_gradient_but_not_the_bias_gradient():
    data = datasets.xor()
    net = Network.initialised([2, 4, 1], seed=42)
    s = TrainSettings(lr=0.5, l2=0.1)
    w = weight_chain(net, data.X, data.y, 0, 1, 1, s)
    assert w.penalty_gradient == pytest.approx(0.1 * net.W[0][1, 1])
    assert w.gradient == pytest.approx(w.data_gradient + w.penalty_gradient)
    assert weight_chain(net, data.X, data.y, 0, 2, 1, s).penalty_gradient == 0.0


@pytest.mark.parametrize("l1, l2", [(0.03, 0.0), (0.0, 0.2), (0.03, 0.2)])
def test_the_inspectors_loss_and_gradients_are_the_trainers_with_l1_and_l2(l1, l2):
    settings = TrainSettings(lr=0.5, l1=l1, l2=l2)
    trainer = Trainer(Network.initialised([2, 3, 1], seed=2), datasets.xor(), settings)
    trainer.run(40)
    net, data, s = trainer.network, trainer.data, trainer.settings
    loss, grad = trainer.gradient()
    assert net.loss_value(data.X, data.y) + penalty(net, s) == pytest.approx(loss, rel=1e-12)
    p = net.passes(data.X, data.y)
    for index in range(net.params.size):
        chain = weight_chain(net, data.X, data.y, *locate(net, index), s, passes=p)
        assert chain.gradient == pytest.approx(grad[index], rel=1e-10, abs=1e-15)


def test_units_are_named_as_in_the_diagram():
    names = [unit_name(layer, unit, 4) for layer, unit in [(0, 0), (0, 1), (1, 2), (2, 0), (3, 0)]]
    assert names == ["x₁", "x₂", "h1.3", "h2.1", "ŷ"]
    net = Network([2, 4, 3, 1])
    assert param_label(net, 0, 1, 3) == "W1[1,3] (x₂ → h1.4)"
    assert param_label(net, 1, 0, 2) == "W2[0,2] (h1.1 → h2.3)"
    assert param_label(net, 1, 4, 1) == "b2[0,1] (bias of h2.2)"
    assert param_label(net, 2, 2, 0) == "W3[2,0] (h2.3 → ŷ)"
    assert param_labels(net)[-1] == "b3[0,0] (bias of ŷ)"
    assert len(param_labels(net)) == net.params.size


@pytest.mark.parametrize("layers, act, out, loss", CASES)
def test_gradient_check_agrees_to_1e_6(layers, act, out, loss):
    data = datasets.generate("circle", n=24, seed=2)
    net = Network.initialised(layers, act, out, loss, init="xavier", seed=7)
    before = net.params.copy()
    check = gradient_check(net, data)
    assert check.max_relative < 1e-6
    assert np.array_equal(net.params, before)
    assert len(check.labels) == net.params.size


def test_gradient_check_of_a_trained_tutorial_network():
    trainer = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor())
    trainer.run(2000)
    check = gradient_check(trainer.network, trainer.data)
    assert check.max_relative < 1e-6
    assert check.labels[check.worst] in param_labels(trainer.network)


@pytest.mark.parametrize("settings", [TrainSettings(l1=0.02), TrainSettings(l2=0.3),
                                      TrainSettings(l1=0.01, l2=0.1, batch_size=5)])
def test_gradient_check_includes_the_penalty(settings):
    data = datasets.generate("moons", n=20, seed=4)
    net = Network.initialised([2, 4, 1], "tanh", seed=6)
    check = gradient_check(net, data, settings)
    assert check.max_relative < 1e-6
    _, grad = Trainer(net.copy(), data, settings).gradient()
    assert np.array_equal(check.analytic, grad)
    assert not np.allclose(grad, net.gradient(data.X, data.y), rtol=1e-3)  # the penalty is really there


def test_gradient_check_checks_the_pass_that_trains(monkeypatch):
    data = datasets.xor()
    net = Network.initialised([2, 4, 1], seed=42)
    assert gradient_check(net, data).max_relative < 1e-6
    real = Kernel.loss_and_gradient

    def one_gradient_off(self):
        loss = real(self)
        self.grad[3] *= 1.01
        return loss

    monkeypatch.setattr(Kernel, "loss_and_gradient", one_gradient_off)
    check = gradient_check(net, data)
    assert check.worst == 3 and check.labels[3] == "W1[0,3] (x₁ → h1.4)"
    assert check.relative[3] == pytest.approx(0.01 / 1.01, rel=1e-4)
    assert np.delete(check.relative, 3).max() < 1e-6


def test_unit_maps_match_a_forward_pass_at_grid_points():
    net = Network.initialised([2, 3, 2, 1], "tanh", seed=4)
    bounds = (-1.0, 2.0, -0.5, 1.5)
    maps = unit_maps(net, bounds, resolution=9)
    assert [m.shape for m in maps] == [(3, 9, 9), (2, 9, 9), (1, 9, 9)]
    assert maps[0].dtype == np.float32
    r, c = 2, 7
    point = np.array([[-1 + (c + 0.5) * 3 / 9, -0.5 + (r + 0.5) * 2 / 9]])
    assert np.allclose(plane_points(bounds, 9)[r * 9 + c], point[0])
    _, acts = net.forward(point)
    assert np.allclose(maps[1][:, r, c], acts[1][0], atol=1e-6)
