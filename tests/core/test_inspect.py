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


NEW_CASES = [
    ([2, 3], "sigmoid", "softmax", "ce", ("x1", "x2"), "classification", 3),
    ([2, 4, 3], "tanh", "softmax", "ce", ("x1", "x2"), "classification", 3),
    ([3, 4, 3, 5], "relu", "softmax", "ce", ("x1", "x2", "x1*x2"), "classification", 5),
    ([2, 4, 1], "sigmoid", "sigmoid", "bce", ("x1^2", "x2^2"), "classification", 2),
    ([4, 3, 1], "tanh", "linear", "mse", ("x1", "x2", "sin(x1)", "sin(x2)"), "regression", 0),
]


def _case_data(task: str, classes: int):
    if task == "regression":
        return datasets.generate("bumps", n=30, seed=3)
    return datasets.generate("gaussians", n=30, seed=3, classes=classes)


@pytest.mark.parametrize("layers, act, out, loss, feats, task, classes", NEW_CASES)
def test_chain_and_gradient_check_cover_softmax_features_and_regression(layers, act, out, loss, feats, task,
                                                                        classes):
    data = _case_data(task, classes)
    net = Network.initialised(layers, act, out, loss, init="xavier", seed=5, features=feats, task=task)
    grad = net.gradient(data.X, data.y)
    p = net.passes(data.X, data.y)
    for index in range(net.params.size):
        chain = weight_chain(net, data.X, data.y, *locate(net, index), passes=p)
        assert chain.gradient == pytest.approx(grad[index], rel=1e-12, abs=1e-15)
    check = gradient_check(net, data)
    assert check.max_relative < 1e-6


def test_a_first_layer_weights_first_factor_is_its_feature():
    data = datasets.generate("circle", n=20, seed=1)
    net = Network.initialised([2, 3, 1], features=("x1^2", "sin(x2)"))
    chain = weight_chain(net, data.X, data.y, 0, 1, 2)
    assert chain.factors[-1].formula == "sin(x2) of each point"
    np.testing.assert_allclose(chain.factors[-1].values, np.sin(data.X[:, 1]))
    assert param_label(net, 0, 1, 2) == "W1[1,2] (sin(x₂) → h1.3)"


def test_softmax_chain_and_names():
    data = datasets.generate("spiral", n=24, seed=2, classes=3)
    net = Network.initialised([2, 4, 3], "tanh", "softmax", "ce", init="xavier")
    chain = weight_chain(net, data.X, data.y, 1, 0, 2)
    assert [f.name for f in chain.factors] == ["dL/dz", "dz/dw"]
    probabilities = net.predict(data.X)[:, 2]
    np.testing.assert_allclose(chain.factors[0].values, (probabilities - (data.y[:, 0] == 2)) / len(data.X))
    assert param_label(net, 1, 4, 2) == "b2[0,2] (bias of ŷ₃)"
    assert unit_name(2, 0, 3, net) == "ŷ₁" and unit_name(2, 0, 3) == "ŷ" and unit_name(0, 1, 3) == "x₂"


def test_next_update_of_a_regression_network():
    from nnviz.core.inspect import next_update

    data = datasets.generate("plane", n=40, seed=1)
    net = Network.initialised([2, 3, 1], "tanh", "linear", "mse", task="regression")
    settings = TrainSettings(lr=0.1, batch_size=8)
    update = next_update(net, data, settings)
    assert update.batch is not None and len(update.batch) == 8 and not update.stops
    expected = -0.1 * net.gradient(data.X[update.batch], data.y[update.batch])
    np.testing.assert_allclose(update.step, expected, rtol=1e-10, atol=1e-14)
    # The fused pass that trains computes the same step from the same batch.
    trainer = Trainer(net.copy(), data, settings)
    trainer.set_data(data)
    kernel = trainer._kernel(8)
    kernel.set_data(data.X[update.batch], data.y[update.batch])
    kernel.loss_and_gradient()
    np.testing.assert_allclose(-0.1 * kernel.grad, update.step, rtol=1e-10, atol=1e-14)
