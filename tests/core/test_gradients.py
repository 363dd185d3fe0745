"""Backpropagation against central finite differences, and the fast kernel against the readable pass."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nnviz.core import activations, datasets
from nnviz.core.kernel import Kernel
from nnviz.core.network import Network

# The binary outputs: every pairing of a one-unit output and its losses (softmax and ce: test_multiclass.py).
COMBOS = list(itertools.product(activations.NAMES, ("sigmoid", "linear"), ("mse", "bce")))
DEPTHS = [[2, 1], [2, 3, 1], [2, 5, 4, 1], [2, 3, 3, 3, 1]]


def _data(seed=0, n=7):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1.2, (n, 2))
    y = (rng.random((n, 1)) > 0.5).astype(float)
    return X, y


def numeric_gradient(net: Network, X, y, h=1e-6) -> np.ndarray:
    grad = np.empty_like(net.params)
    for i in range(net.params.size):
        keep = net.params[i]
        net.params[i] = keep + h
        up = net.loss_value(X, y)
        net.params[i] = keep - h
        down = net.loss_value(X, y)
        net.params[i] = keep
        grad[i] = (up - down) / (2 * h)
    return grad


def _net(layers, act, out, loss, seed=3):
    # Xavier keeps units away from saturation; nonzero biases keep ReLU units off
    # their kink (with zero biases a unit whose inputs are all 0 sits exactly at z = 0).
    net = Network.initialised(layers, act, out, loss, init="xavier", seed=seed)
    rng = np.random.default_rng(seed)
    for b in net.b:
        b[:] = rng.uniform(0.1, 0.4, b.shape) * rng.choice([-1, 1], b.shape)
    return net


@pytest.mark.parametrize("act, out, loss", COMBOS)
@pytest.mark.parametrize("layers", DEPTHS, ids=lambda l: "-".join(map(str, l)))
def test_backprop_matches_finite_differences(layers, act, out, loss):
    X, y = _data()
    net = _net(layers, act, out, loss)
    analytic = net.gradient(X, y)
    numeric = numeric_gradient(net, X, y)
    scale = np.maximum(1e-4, np.abs(analytic) + np.abs(numeric))
    assert np.max(np.abs(analytic - numeric) / scale) < 1e-5


@pytest.mark.parametrize("act, out, loss", COMBOS)
@pytest.mark.parametrize("layers", DEPTHS, ids=lambda l: "-".join(map(str, l)))
def test_kernel_equals_readable_pass(layers, act, out, loss):
    X, y = _data(seed=1, n=9)
    net = _net(layers, act, out, loss, seed=5)
    kernel = Kernel(net, len(X))
    kernel.set_data(X, y)
    reference = net.passes(X, y)
    with np.errstate(over="ignore"):
        loss_value = kernel.loss_and_gradient()
    assert loss_value == pytest.approx(reference.loss, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(kernel.grad, net.gradient(X, y), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(kernel.output, reference.a[-1], rtol=1e-12, atol=1e-15)


def test_tutorial_gradient_shapes_follow_the_article():
    data = datasets.xor()
    p = Network.initialised([2, 4, 1]).passes(data.X, data.y)
    assert [w.shape for w in p.dW] == [(2, 4), (4, 1)]
    assert [b.shape for b in p.db] == [(1, 4), (1, 1)]
    assert [z.shape for z in p.z] == [(4, 4), (4, 1)]


def test_readable_pass_is_the_articles_equations():
    data = datasets.xor()
    net = Network.initialised([2, 4, 1])
    X, y = data.X, data.y
    W1, b1, W2, b2 = net.W[0], net.b[0], net.W[1], net.b[1]
    sig = activations.sigmoid
    z1 = X @ W1 + b1
    a1 = sig(z1)
    z2 = a1 @ W2 + b2
    a2 = sig(z2)
    dz2 = 2 * (a2 - y) * sig(z2) * (1 - sig(z2))
    dz1 = (dz2 @ W2.T) * sig(z1) * (1 - sig(z1))
    p = net.passes(X, y)
    np.testing.assert_allclose(p.dW[1], a1.T @ dz2 / 4, rtol=1e-12)
    np.testing.assert_allclose(p.db[1], dz2.mean(axis=0, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(p.dW[0], X.T @ dz1 / 4, rtol=1e-12)
    np.testing.assert_allclose(p.db[0], dz1.mean(axis=0, keepdims=True), rtol=1e-12)


def test_sigmoid_kernel_survives_huge_inputs():
    z = np.array([[-800.0, -30.0, 0.0, 30.0, 800.0]])
    a, da = np.empty_like(z), np.empty_like(z)
    with np.errstate(over="ignore"):
        activations.get("sigmoid").forward_into(z.copy(), a, da)
    np.testing.assert_allclose(a, activations.sigmoid(z), atol=1e-15)
    np.testing.assert_allclose(da, activations.get("sigmoid").derivative(z), atol=1e-15)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(da))
