"""The loss landscape: the batched loss, the directions, the slice and the training path on it."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets, landscape
from nnviz.core.errors import ConfigError, Interrupted
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings


@pytest.mark.parametrize("arch", [
    ([2, 4, 1], "sigmoid", "sigmoid", "mse"),
    ([2, 5, 3, 1], "tanh", "sigmoid", "bce"),
    ([2, 6, 1], "relu", "linear", "bce"),
    ([2, 3, 3, 1], "relu", "linear", "mse"),
    ([2, 5, 3], "tanh", "softmax", "ce"),
    ([4, 4, 4], "relu", "softmax", "ce"),  # four feature inputs, four classes
])
def test_the_batched_loss_equals_the_networks_loss_for_random_weights(arch):
    layers, act, out, loss = arch
    features = ("x1", "x2", "x1^2", "sin(x2)")[:layers[0]]
    rng = np.random.default_rng(7)
    X = rng.normal(size=(37, 2))
    classes = layers[-1] if out == "softmax" else 2
    y = rng.integers(0, classes, size=(37, 1)).astype(float)
    net = Network(layers, act, out, loss, features=features)
    thetas = rng.normal(scale=1.5, size=(23, net.params.size))
    batched = landscape.batched_loss(net, thetas, X, y)
    for theta, value in zip(thetas, batched):
        one = Network(layers, act, out, loss, theta, features=features)
        assert value == pytest.approx(one.loss_value(X, y), rel=1e-12, abs=1e-14)


def test_the_batched_loss_gives_the_same_values_in_small_chunks(monkeypatch):
    rng = np.random.default_rng(2)
    net = Network.initialised([2, 4, 1], seed=1)
    X, y = datasets.xor().X, datasets.xor().y
    thetas = rng.normal(size=(50, net.params.size))
    whole = landscape.batched_loss(net, thetas, X, y)
    monkeypatch.setattr(landscape, "CHUNK_ELEMENTS", 30)  # chunks of a few weight vectors
    assert landscape.chunk_size(net, len(X)) < 5
    seen = []
    chunked = landscape.batched_loss(net, thetas, X, y, progress=lambda done, total: seen.append((done, total)))
    np.testing.assert_array_equal(whole, chunked)
    assert len(seen) > 10 and seen[-1] == (50, 50)


def test_softmax_cross_entropy_is_the_mean_of_logsumexp_minus_the_labels_logit():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 6, 3))
    labels = rng.integers(0, 3, size=(6, 1)).astype(float)
    got = landscape.stacked_loss(z, z, labels, "ce", "softmax")
    for b in range(4):
        expected = np.mean([np.log(np.exp(z[b, i]).sum()) - z[b, i, int(labels[i, 0])] for i in range(6)])
        assert got[b] == pytest.approx(expected, rel=1e-12)


def test_a_stop_request_interrupts_between_chunks(monkeypatch):
    net = Network.initialised([2, 4, 1], seed=1)
    monkeypatch.setattr(landscape, "CHUNK_ELEMENTS", 16)
    calls = []
    with pytest.raises(Interrupted):
        landscape.batched_loss(net, np.zeros((100, net.params.size)), datasets.xor().X, datasets.xor().y,
                               stop=lambda: calls.append(1) or len(calls) > 3)
    assert len(calls) == 4


def test_filter_normalisation_gives_each_unit_the_norm_of_its_weights_and_biases_do_not_move():
    net = Network.initialised([2, 5, 3, 1], "tanh", init="xavier", seed=4)
    d = landscape.filter_normalised(net, seed=9)
    direction = Network(net.layers, params=d)
    for W, dW, db in zip(net.W, direction.W, direction.b):
        np.testing.assert_allclose(np.linalg.norm(dW, axis=0), np.linalg.norm(W, axis=0), rtol=1e-12)
        assert not np.any(db)
        assert not np.allclose(dW / np.linalg.norm(dW, axis=0), W / np.linalg.norm(W, axis=0))
    np.testing.assert_array_equal(d, landscape.filter_normalised(net, seed=9))  # the seed decides
    assert not np.array_equal(d, landscape.filter_normalised(net, seed=10))


def test_the_slices_centre_is_the_current_loss_and_its_corners_are_moved_weights():
    trainer = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=1.0))
    trainer.run(200)
    net, data = trainer.network, trainer.data
    directions = landscape.random_directions(net, seed=5)
    s = landscape.compute_slice(net, data.X, data.y, directions, resolution=21)
    assert s.losses.shape == (21, 21)
    assert abs(s.centre - net.loss_value(data.X, data.y)) <= 1e-12
    corner = Network(net.layers, params=net.params + 1.0 * directions.d[0] - 1.0 * directions.d[1])
    assert s.losses[0, -1] == pytest.approx(corner.loss_value(data.X, data.y), rel=1e-12)
    assert s.losses.min() < s.losses.max()


def test_each_history_point_on_the_pca_plane_has_the_slices_loss_at_its_projected_position():
    net = Network.initialised([2, 3, 1], "tanh", "sigmoid", "bce", init="xavier", seed=8)
    data = datasets.xor()
    rng = np.random.default_rng(0)
    u, _ = np.linalg.qr(rng.normal(size=(net.params.size, 2)))
    u1, u2 = u.T
    # A path exactly in the plane θ + span(u1, u2), on a lattice of steps of 1/16 of its reach, so that
    # every snapshot lands on a node of the 41-point grid (0.8 / 16 = 0.05, the grid's step).  The two
    # columns are orthogonal and of different lengths: the principal directions are then u1 and u2.
    steps = [(-16, 4), (4, 16), (5, -16), (-8, -10), (9, 5), (-12, 5), (1, 15), (0, -8)]
    coords = np.array(steps, dtype=float) * 0.25
    trajectory = net.params + coords[:, :1] * u1 + coords[:, 1:] * u2
    directions = landscape.pca_directions(net, trajectory, np.arange(len(steps)))
    # The directions span the trajectory's plane.
    for d in directions.d:
        np.testing.assert_allclose(u @ (u.T @ d), d, atol=1e-12)
    assert np.abs(directions.path).max() == pytest.approx(landscape.PATH_REACH)
    s = landscape.compute_slice(net, data.X, data.y, directions, resolution=41)
    on_nodes = directions.path / 0.05
    np.testing.assert_allclose(on_nodes, np.round(on_nodes), atol=1e-9)
    for theta, (a, b) in zip(trajectory, directions.path):
        own = Network(net.layers, "tanh", "sigmoid", "bce", theta).loss_value(data.X, data.y)
        assert s.at(a, b) == pytest.approx(own, rel=1e-10, abs=1e-12)


def test_a_straight_trajectory_gets_a_second_direction_orthogonal_to_it():
    net = Network.initialised([2, 4, 1], seed=1)
    rng = np.random.default_rng(1)
    u = rng.normal(size=net.params.size)
    trajectory = net.params + np.outer([3.0, 2.0, 1.0], u)
    directions = landscape.pca_directions(net, trajectory)
    d1, d2 = directions.d
    assert abs(d1 @ d2) < 1e-9 * np.linalg.norm(d1) * np.linalg.norm(d2)
    np.testing.assert_allclose(np.abs(directions.path[:, 1]), 0, atol=1e-12)


def test_a_path_needs_two_different_snapshots():
    net = Network.initialised([2, 4, 1], seed=1)
    with pytest.raises(ConfigError, match="two different snapshots"):
        landscape.pca_directions(net, net.params[None, :])
    with pytest.raises(ConfigError, match="odd number"):
        landscape.check_resolution(40)
    with pytest.raises(ConfigError):
        landscape.check_resolution(103)


def test_the_interpolation_line_runs_through_the_initial_and_the_current_weights():
    initial = Network.initialised([2, 4, 1], seed=42)
    trainer = Trainer(initial.copy(), datasets.xor(), TrainSettings(lr=1.0))
    trainer.run(300)
    net, data = trainer.network, trainer.data
    line = landscape.interpolation_line(net, initial.params, data.X, data.y)
    at = {round(float(a), 9): v for a, v in zip(line.alphas, line.losses)}
    assert at[0.0] == pytest.approx(initial.loss_value(data.X, data.y), rel=1e-12)
    assert at[1.0] == pytest.approx(net.loss_value(data.X, data.y), rel=1e-12)
    assert line.alphas[0] == -0.5 and line.alphas[-1] == 1.5


@pytest.mark.parametrize("l1, l2", [(0.0, 0.02), (0.01, 0.0), (0.004, 0.03)])
def test_the_slices_centre_is_the_trainers_total_loss_with_the_weight_penalty(l1, l2):
    data = datasets.generate("spiral", n=60, seed=3, classes=3)
    trainer = Trainer(Network.initialised([2, 6, 3], "tanh", "softmax", "ce", seed=4), data,
                      TrainSettings(lr=0.1, l1=l1, l2=l2))
    trainer.run(30)
    total, _ = trainer.gradient()
    net = trainer.network
    penalty = landscape.Penalty(l1, l2)
    result = landscape.compute(net, data.X, data.y, landscape.random_directions(net, 5), 30,
                               resolution=5, penalty=penalty)
    assert result.slice.centre == pytest.approx(total, rel=1e-12)
    # The penalty is what it adds: without it the centre is the data's loss alone, below the total.
    plain = landscape.compute_slice(net, data.X, data.y, result.slice.directions, 5)
    assert plain.centre == pytest.approx(net.loss_value(data.X, data.y), rel=1e-12)
    assert result.slice.centre - plain.centre == pytest.approx(trainer._penalty(), rel=1e-9)
    assert trainer._penalty() > 0


def test_the_data_rows_split_into_blocks_give_the_same_losses(monkeypatch):
    rng = np.random.default_rng(11)
    data = datasets.generate("spiral", n=150, seed=2, classes=3)
    net = Network.initialised([2, 7, 5, 3], "tanh", "softmax", "ce", seed=2)
    thetas = net.params + rng.normal(scale=0.5, size=(9, net.params.size))
    penalty = landscape.Penalty(0.01, 0.02)
    whole = landscape.batched_loss(net, thetas, data.X, data.y, penalty=penalty)
    monkeypatch.setattr(landscape, "CHUNK_ELEMENTS", 7 * 40)  # 40 rows a block, one weight vector a chunk
    assert landscape.block_rows(net, len(data.X)) == 40 and landscape.chunk_size(net, len(data.X)) == 1
    blocked = landscape.batched_loss(net, thetas, data.X, data.y, penalty=penalty)
    np.testing.assert_allclose(blocked, whole, rtol=1e-12)


def test_a_regressions_blocked_losses_equal_the_unblocked_ones(monkeypatch):
    rng = np.random.default_rng(5)
    X = rng.uniform(-3, 3, size=(123, 2))
    y = np.sin(X[:, :1]) + 0.3 * X[:, 1:]
    net = Network.initialised([2, 5, 1], "tanh", "linear", "mse", seed=3)
    thetas = net.params + rng.normal(scale=0.3, size=(6, net.params.size))
    whole = landscape.batched_loss(net, thetas, X, y)
    for theta, value in zip(thetas, whole):
        assert value == pytest.approx(Network([2, 5, 1], "tanh", "linear", "mse", theta).loss_value(X, y), rel=1e-12)
    monkeypatch.setattr(landscape, "CHUNK_ELEMENTS", 5 * 10)
    np.testing.assert_allclose(landscape.batched_loss(net, thetas, X, y), whole, rtol=1e-12)


def test_a_hundred_thousand_points_on_a_deep_wide_network_stay_within_100_mb():
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100_000, 2))
    y = rng.integers(0, 2, size=(100_000, 1)).astype(float)
    net = Network.initialised([2] + [64] * 8 + [1], "tanh", "sigmoid", "bce", seed=1)
    tracemalloc.start()
    try:
        value = landscape.batched_loss(net, net.params[None, :], X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert value[0] == pytest.approx(net.loss_value(X, y), rel=1e-9)
    assert peak < 100 * 2 ** 20
