"""Softmax with cross-entropy, regression and feature inputs: gradients, the kernel, scores."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets, features, losses
from nnviz.core.errors import ConfigError
from nnviz.core.kernel import Kernel
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings

from tests.core.test_gradients import numeric_gradient

FEATURE_SETS = [features.DEFAULT, ("x1^2", "x2^2"), ("x1", "x2", "x1*x2"), ("sin(x1)", "sin(x2)"),
                features.NAMES]
HIDDEN = [(), (4,), (5, 3)]


def _points(n: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1.2, (n, 2))
    y = rng.integers(0, classes, (n, 1)).astype(float)
    return X, y


def _net(inputs: int, hidden, outputs: int, act: str, out: str, loss: str, feats=features.DEFAULT,
         task: str = "classification", seed: int = 3) -> Network:
    net = Network.initialised([inputs, *hidden, outputs], act, out, loss, init="xavier", seed=seed,
                              features=feats, task=task)
    rng = np.random.default_rng(seed)
    for b in net.b:  # nonzero biases, away from ReLU's kink
        b[:] = rng.uniform(0.1, 0.4, b.shape) * rng.choice([-1, 1], b.shape)
    return net


def _relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    scale = np.maximum(1e-4, np.abs(analytic) + np.abs(numeric))
    return float(np.max(np.abs(analytic - numeric) / scale))


@pytest.mark.parametrize("classes", [2, 3, 5])
@pytest.mark.parametrize("hidden", HIDDEN, ids=str)
@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_softmax_ce_gradient_matches_finite_differences(classes, hidden, act):
    X, y = _points(11, classes)
    net = _net(2, hidden, classes, act, "softmax", "ce")
    assert _relative_error(net.gradient(X, y), numeric_gradient(net, X, y)) < 1e-5


@pytest.mark.parametrize("classes", [2, 3, 5, 8])
@pytest.mark.parametrize("hidden", HIDDEN, ids=str)
def test_softmax_kernel_equals_readable_pass(classes, hidden):
    X, y = _points(13, classes, seed=1)
    net = _net(2, hidden, classes, "relu", "softmax", "ce", seed=5)
    kernel = Kernel(net, len(X))
    kernel.set_data(X, y)
    reference = net.passes(X, y)
    assert kernel.loss_and_gradient() == pytest.approx(reference.loss, rel=1e-12)
    np.testing.assert_allclose(kernel.grad, net.gradient(X, y), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(kernel.output, reference.a[-1], rtol=1e-12, atol=1e-15)


def test_cross_entropy_is_computed_from_the_logits():
    # Logits 1000 apart: the softmax of the true class underflows to 0, its log would be -inf.
    net = Network([2, 3], "sigmoid", "softmax", "ce")
    net.b[0][:] = [[0.0, 1000.0, -1000.0]]
    X, y = np.zeros((2, 2)), np.array([[0.0], [2.0]])
    expected = (1000.0 + 2000.0) / 2  # log-sum-exp (1000) minus the true logit (0 and -1000)
    assert net.loss_value(X, y) == pytest.approx(expected)
    kernel = Kernel(net, 2)
    kernel.set_data(X, y)
    assert kernel.loss_and_gradient() == pytest.approx(expected)
    np.testing.assert_allclose(kernel.grad.reshape(3, 3)[2], [-0.5, 1.0, -0.5], atol=1e-12)


@pytest.mark.parametrize("out, loss", [("softmax", "mse"), ("softmax", "bce"), ("sigmoid", "ce"),
                                       ("linear", "ce")])
def test_softmax_and_ce_go_only_together(out, loss):
    outputs = 3 if out == "softmax" else 1
    with pytest.raises(ConfigError, match="softmax output goes with the ce loss"):
        Network([2, 4, outputs], "sigmoid", out, loss)


@pytest.mark.parametrize("layers", [[2, 4, 1], [2, 4, 9], [3, 4, 3]])
def test_softmax_output_sizes_are_checked(layers):
    with pytest.raises(ConfigError, match="softmax outputs"):
        Network(layers, "sigmoid", "softmax", "ce")


def test_softmax_is_not_a_hidden_activation():
    with pytest.raises(ConfigError, match="unknown activation 'softmax'"):
        Network([2, 4, 3], "softmax", "softmax", "ce")


@pytest.mark.parametrize("hidden", HIDDEN, ids=str)
def test_regression_gradient_and_kernel(hidden):
    rng = np.random.default_rng(2)
    X = rng.normal(0, 1, (10, 2))
    y = 3.0 * X[:, :1] - X[:, 1:] + rng.normal(0, 0.1, (10, 1))
    net = _net(2, hidden, 1, "tanh", "linear", "mse", task="regression")
    assert _relative_error(net.gradient(X, y), numeric_gradient(net, X, y)) < 1e-5
    kernel = Kernel(net, len(X))
    kernel.set_data(X, y)
    assert kernel.loss_and_gradient() == pytest.approx(net.loss_value(X, y), rel=1e-12)
    np.testing.assert_allclose(kernel.grad, net.gradient(X, y), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("out, loss", [("sigmoid", "mse"), ("linear", "bce"), ("softmax", "ce")])
def test_regression_needs_a_linear_output_and_mse(out, loss):
    with pytest.raises(ConfigError, match="regression needs a linear output"):
        Network([2, 3 if out == "softmax" else 1], "sigmoid", out, loss, task="regression")


@pytest.mark.parametrize("feats", FEATURE_SETS, ids=",".join)
@pytest.mark.parametrize("out, loss, outputs", [("sigmoid", "mse", 1), ("linear", "bce", 1),
                                                ("softmax", "ce", 3)])
def test_feature_inputs_gradient_and_kernel(feats, out, loss, outputs):
    X, y = _points(9, outputs if outputs > 1 else 2, seed=4)
    net = _net(len(feats), (4,), outputs, "tanh", out, loss, feats=feats)
    assert _relative_error(net.gradient(X, y), numeric_gradient(net, X, y)) < 1e-5
    kernel = Kernel(net, len(X))
    kernel.set_data(X, y)
    assert kernel.loss_and_gradient() == pytest.approx(net.loss_value(X, y), rel=1e-12)
    np.testing.assert_allclose(kernel.grad, net.gradient(X, y), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(kernel.X, net.inputs(X))


def test_features_are_computed_from_the_point():
    X = np.array([[2.0, -3.0], [0.5, 0.25]])
    inputs = features.expand(X, features.NAMES)
    np.testing.assert_allclose(inputs, [[2, -3, 4, 9, -6, np.sin(2), np.sin(-3)],
                                        [0.5, 0.25, 0.25, 0.0625, 0.125, np.sin(0.5), np.sin(0.25)]])
    assert features.expand(X, features.DEFAULT) is X
    p = Network([2, 1], "sigmoid", "sigmoid", "mse").passes(X, np.zeros((2, 1)))
    assert p.inputs is p.X


def test_feature_names_are_checked_and_put_in_order():
    assert features.check(["x2^2", "x1"]) == ("x1", "x2^2")
    assert features.parse("sin(x2), x1*x2") == ("x1*x2", "sin(x2)")
    for bad, match in (([], "at least one"), (["x3"], "unknown feature 'x3'"), (["x1", "x1"], "twice")):
        with pytest.raises(ConfigError, match=match):
            features.check(bad)
    with pytest.raises(ConfigError, match="from 3 inputs"):
        Network([2, 1], features=("x1", "x2", "x1^2"))


def test_circle_is_separated_by_squared_features_without_a_hidden_layer():
    data = datasets.generate("circle", 200, 0.1, seed=0)
    net = Network.initialised([2, 1], "sigmoid", "sigmoid", "bce", init="xavier", seed=1,
                              features=("x1^2", "x2^2"))
    trainer = Trainer(net, data, TrainSettings(lr=1.0))
    trainer.run(3000)
    assert net.evaluate(data.X, data.y)[1] == 1.0
    assert net.evaluate(data.X_test, data.y_test)[1] == 1.0
    # Without the features the same net (a straight line) cannot do it.
    line = Network.initialised([2, 1], "sigmoid", "sigmoid", "bce", init="xavier", seed=1)
    Trainer(line, data, TrainSettings(lr=1.0)).run(3000)
    assert line.evaluate(data.X, data.y)[1] < 0.8


def test_scores_and_confusion():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    net = Network([2, 3], "sigmoid", "softmax", "ce")
    net.W[0][:] = [[-5.0, 0.0, 5.0], [0.0, 0.0, 0.0]]  # x1 0: class 0; 1: a tie (argmax: 0)...
    net.b[0][:] = [[5.0, 0.0, -5.0]]
    predicted = net.predicted_class(X)
    np.testing.assert_array_equal(predicted, np.argmax(net.predict(X), axis=1))
    y = np.array([[0.0], [1.0], [2.0], [2.0]])
    confusion = net.confusion(X, y)
    expected = np.zeros((3, 3), int)
    for t, p in zip(y[:, 0].astype(int), predicted):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion, expected)
    assert net.evaluate(X, y)[1] == np.trace(confusion) / 4
    np.testing.assert_allclose(net.predict(X).sum(axis=1), 1.0)

    binary = Network([2, 1], "sigmoid", "sigmoid", "mse")
    binary.W[0][:] = [[10.0], [0.0]]
    binary.b[0][:] = [[-15.0]]  # class 1 from x1 > 1.5
    yb = np.array([[0.0], [1.0], [1.0], [0.0]])
    np.testing.assert_array_equal(binary.confusion(X, yb), [[1, 1], [1, 1]])

    regression = Network([2, 1], "sigmoid", "linear", "mse", task="regression")
    regression.W[0][:] = [[2.0], [0.0]]
    targets = 2.0 * X[:, :1] + np.array([[0.5], [-0.5], [0.5], [-0.5]])
    loss, r2 = regression.evaluate(X, targets)
    assert loss == pytest.approx(0.25)
    total = np.sum((targets - targets.mean()) ** 2)
    assert r2 == pytest.approx(1 - 1.0 / total)
    with pytest.raises(ConfigError):
        regression.confusion(X, targets)


def test_copy_and_architecture_include_features_and_task():
    net = Network([3, 2, 4], "tanh", "softmax", "ce", features=("x1", "x2", "x1*x2"))
    twin = net.copy()
    assert twin.features == ("x1", "x2", "x1*x2") and twin.outputs == 4 and twin.same_architecture(net)
    other = Network([3, 2, 4], "tanh", "softmax", "ce", features=("x1", "x2", "x1^2"))
    assert not other.same_architecture(net)
    line = Network([2, 1], "tanh", "linear", "mse")
    assert not line.same_architecture(Network([2, 1], "tanh", "linear", "mse", task="regression"))


def test_ce_value_and_delta_by_hand():
    z = np.array([[1.0, 2.0, 3.0]])
    y = np.array([[1.0]])
    p = np.exp(z) / np.exp(z).sum()
    assert losses.value(p, z, y, "ce", "softmax") == pytest.approx(-np.log(p[0, 1]))
    np.testing.assert_allclose(losses.output_delta(p, z, y, np.ones_like(z), "ce", "softmax"),
                               p - [[0.0, 1.0, 0.0]])


def test_plane_image_follows_the_output():
    from nnviz.core.plane import PlaneSampler, plane_points

    bounds = (-2.0, 2.0, -2.0, 2.0)
    sampler = PlaneSampler(resolution=16)
    points = plane_points(bounds, 16)
    softmax = _net(3, (5,), 4, "tanh", "softmax", "ce", feats=("x1", "x2", "x1*x2"))
    image = sampler.image(softmax, bounds)
    assert image.dtype == np.float32 and image.shape == (16, 16, 4)
    np.testing.assert_allclose(image.reshape(-1, 4), softmax.predict(points), atol=1e-5)

    regression = _net(2, (3,), 1, "tanh", "linear", "mse", task="regression")
    regression.b[-1][:] = 7.0  # values far outside 0..1 stay as they are
    image = sampler.image(regression, bounds)
    assert image.shape == (16, 16) and image.max() > 5
    np.testing.assert_allclose(image.ravel(), regression.predict(points)[:, 0], rtol=1e-5)


def test_blockwise_passes_of_compared_runs_cover_softmax_and_features():
    from nnviz.core.sweeps import BlockKernel, RunConfig, train

    data = datasets.generate("spiral", 250, seed=3, test_fraction=0, classes=4)
    net = _net(3, (6,), 4, "tanh", "softmax", "ce", feats=("x1", "x2", "x1*x2"))
    whole = Kernel(net, len(data.X))
    whole.set_data(data.X, data.y)
    blocks = BlockKernel(net, len(data.X), lambda: False, rows=64)
    blocks.set_data(data.X, data.y)
    assert blocks.loss_and_gradient() == pytest.approx(whole.loss_and_gradient(), rel=1e-12)
    np.testing.assert_allclose(blocks.grad, whole.grad, rtol=1e-10, atol=1e-15)
    config = RunConfig.from_network("softmax", net, TrainSettings(lr=0.5), epochs=30)
    assert config.network().architecture == net.architecture
    run = train(config, data)
    assert len(run.losses) == 30 and run.losses[-1] < run.losses[0]
    assert run.accuracy() == run.trainer.network.evaluate(data.X, data.y)[1]


def test_softmax_of_one_logit_is_its_probability_against_a_zero_logit():
    from nnviz.core import activations

    z = np.linspace(-5, 5, 11)
    pairs = activations.softmax(np.c_[z, np.zeros_like(z)])[:, 0]
    np.testing.assert_allclose(activations.get("softmax").apply(z), pairs, rtol=1e-12)
    assert activations.get("softmax").derivative(z).shape == z.shape
