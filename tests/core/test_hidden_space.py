"""The hidden space: layer values, the warped grid, PCA aligned frame to frame, the decision line."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import activations, datasets, hidden_space
from nnviz.core.network import Network
from nnviz.core.plane import square_bounds
from nnviz.core.trainer import Trainer, TrainSettings


def trained_xor(layers=(2, 2, 1), epochs=3000, seed=1, **kwargs) -> Trainer:
    trainer = Trainer(Network.initialised(list(layers), seed=seed, **kwargs), datasets.xor(), TrainSettings(lr=3.0))
    trainer.run(epochs)
    return trainer


def test_each_layers_values_are_the_forward_pass():
    net = Network.initialised([2, 5, 3, 1], "tanh", "sigmoid", "bce", init="xavier", seed=2)
    X = np.random.default_rng(0).normal(size=(30, 2))
    zs, acts = net.forward(X)
    np.testing.assert_array_equal(hidden_space.layer_values(net, X, 0), X)
    np.testing.assert_array_equal(hidden_space.layer_values(net, X, 1), acts[0])
    np.testing.assert_array_equal(hidden_space.layer_values(net, X, 2), acts[1])
    np.testing.assert_array_equal(hidden_space.layer_values(net, X, 3), zs[2])  # the output's logits
    assert hidden_space.layer_names(net) == ["input (x1, x2)", "hidden layer 1 (5 units)",
                                              "hidden layer 2 (3 units)", "output logits (1 unit)"]


def test_the_grid_is_21_lines_each_way_over_the_plane_and_maps_through_the_network():
    trainer = trained_xor()
    net, data = trainer.network, trainer.data
    bounds = square_bounds(data)
    grid = hidden_space.grid_lines(bounds)
    assert grid.shape == (42, hidden_space.GRID_SAMPLES, 2)
    np.testing.assert_allclose(grid[0, :, 0], bounds[0])  # the first vertical line is the left edge
    np.testing.assert_allclose(grid[21, :, 1], bounds[2])  # the first horizontal line the bottom edge
    frame = hidden_space.compute(net, data, layer=1, epoch=3000)
    assert frame.projection.mode == "direct"
    np.testing.assert_array_equal(frame.points, net.forward(data.X)[1][0])
    np.testing.assert_allclose(frame.grid.reshape(-1, 2), net.forward(grid.reshape(-1, 2))[1][0])


def test_trained_xor_is_linearly_separable_in_the_hidden_layer_by_the_drawn_line():
    trainer = trained_xor()
    net, data = trainer.network, trainer.data
    assert net.loss_value(data.X, data.y) < 0.05
    frame = hidden_space.compute(net, data, layer=1, epoch=0)
    normal, offset = frame.line
    side = frame.points @ normal - offset
    # Class 1 on the positive side (the output's z > 0), class 0 on the other, for every point.
    np.testing.assert_array_equal(side > 0, data.y[:, 0] == 1)
    # The same line is w·h + b = 0 in the hidden layer's own space.
    np.testing.assert_allclose(side, net.forward(data.X)[0][1][:, 0])
    # In the input space no line separates XOR; no line is drawn for layers but the last hidden one.
    assert hidden_space.compute(net, data, layer=0, epoch=0).line is None
    assert hidden_space.compute(net, data, layer=2, epoch=0).line is None


def test_a_linear_output_under_mse_decides_at_one_half():
    net = Network.initialised([2, 3, 1], "tanh", "linear", "mse", seed=1)
    X = np.random.default_rng(1).normal(size=(20, 2))
    data = datasets.Dataset(X, (X[:, 0] > 0).astype(float))
    frame = hidden_space.compute(net, data, layer=1, epoch=0, mode="units", pair=(0, 2))
    assert frame.projection.mode == "units"
    np.testing.assert_array_equal(frame.points, frame.values[:, [0, 2]])
    pca = hidden_space.compute(net, data, layer=1, epoch=0, mode="pca")
    normal, offset = pca.line
    # On the plane, h = mean + basis @ p: the output there is w·h + b, and the line is where it is 0.5.
    h = pca.projection.mean + pca.points @ pca.projection.basis.T
    np.testing.assert_allclose(pca.points @ normal - offset, (h @ net.W[-1] + net.b[-1])[:, 0] - 0.5, atol=1e-12)


def test_pca_keeps_its_orientation_from_frame_to_frame():
    rng = np.random.default_rng(4)
    values = rng.normal(size=(200, 5)) * [5.0, 3.0, 1.0, 0.5, 0.1]
    first = hidden_space.pca_projection(values)
    np.testing.assert_allclose(first.basis.T @ first.basis, np.eye(2), atol=1e-12)
    assert first.explained[0] > first.explained[1] > 0
    # Whatever signs and rotation the previous frame had, the same plane is drawn in the same way.
    mirror_turn = np.array([[0.6, 0.8], [0.8, -0.6]])
    previous = hidden_space.Projection(first.mean, first.basis @ mirror_turn, "pca")
    again = hidden_space.pca_projection(values, previous)
    np.testing.assert_allclose(again.basis, previous.basis, atol=1e-12)
    np.testing.assert_allclose(again.apply(values), first.apply(values) @ mirror_turn, atol=1e-9)
    # The cloud turned a little within its main plane: the raw PCA's axes turn with it (and may flip),
    # the aligned ones stay near the previous frame's, so the drawn points barely move.
    angle = 0.05
    turn = np.eye(5)
    turn[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    moved = values @ turn
    aligned = hidden_space.pca_projection(moved, previous)
    shift = np.abs(aligned.apply(moved) - previous.apply(values)).max()
    spread = np.abs(previous.apply(values)).max()
    assert shift < 0.1 * spread
    raw = hidden_space.pca_projection(moved)
    assert np.abs(raw.apply(moved) - previous.apply(values)).max() > 0.5 * spread


def test_procrustes_recovers_a_rotation_and_a_mirror():
    rng = np.random.default_rng(5)
    basis, _ = np.linalg.qr(rng.normal(size=(6, 2)))
    for r in ([[0.0, 1.0], [-1.0, 0.0]], [[1.0, 0.0], [0.0, -1.0]], [[0.6, 0.8], [0.8, -0.6]]):
        r = np.array(r)
        np.testing.assert_allclose(hidden_space.procrustes_rotation(basis @ r, basis), r.T, atol=1e-12)


def test_unit_pairs_cycle_through_every_pair():
    pairs, pair = [], (0, 1)
    for _ in range(6):
        pairs.append(pair)
        pair = hidden_space.next_pair(pair, 4)
    assert pairs == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)] and pair == (0, 1)
    assert hidden_space.next_pair((0, 1), 4, step=-1) == (2, 3)


def test_one_unit_is_drawn_along_a_line_with_its_threshold():
    net = Network.initialised([2, 1, 1], seed=3)
    data = datasets.xor()
    frame = hidden_space.compute(net, data, layer=1, epoch=0)
    assert frame.projection.mode == "line"
    np.testing.assert_array_equal(frame.points[:, 0], net.forward(data.X)[1][0][:, 0])
    assert not np.any(frame.points[:, 1])
    normal, offset = frame.line
    assert normal[1] == 0
    threshold = offset / normal[0]
    assert net.W[1][0, 0] * threshold + net.b[1][0, 0] == pytest.approx(0.0, abs=1e-12)


def test_test_points_are_mapped_too():
    data = datasets.generate("moons", n=50, seed=1)
    net = Network.initialised([2, 4, 1], seed=1)
    frame = hidden_space.compute(net, data, layer=1, epoch=0, mode="pca")
    assert len(frame.test_points) == len(data.X_test) > 0
    np.testing.assert_allclose(frame.test_points, frame.projection.apply(net.forward(data.X_test)[1][0]))


def test_the_shading_is_the_outputs_answer_at_each_place_of_the_hidden_plane():
    trainer = trained_xor()
    net, data = trainer.network, trainer.data
    frame = hidden_space.compute(net, data, layer=1, epoch=0)
    image, (xmin, xmax, ymin, ymax) = frame.output_image, frame.output_rect
    n = len(image)
    # The rectangle holds every point drawn, with room to spare.
    assert xmin < frame.points[:, 0].min() and frame.points[:, 0].max() < xmax
    assert ymin < frame.points[:, 1].min() and frame.points[:, 1].max() < ymax
    for row, col in ((0, 0), (n - 1, 0), (n // 3, n // 2), (n - 1, n - 1)):
        h = np.array([[xmin + col * (xmax - xmin) / (n - 1), ymin + row * (ymax - ymin) / (n - 1)]])
        expected = activations.sigmoid(h @ net.W[1] + net.b[1])[0, 0]  # the sigmoid output unit
        assert image[row, col] == pytest.approx(expected, abs=1e-6)  # float32
    # No shading where the view is not the whole layer, or not the last hidden one.
    assert hidden_space.compute(net, data, layer=0, epoch=0).output_image is None
    wide = Network.initialised([2, 4, 1], seed=1)
    assert hidden_space.compute(wide, data, layer=1, epoch=0, mode="pca").output_image is None


def test_feature_inputs_and_softmax_outputs():
    features = ("x1", "x2", "x1*x2")
    net = Network.initialised([3, 4, 3], "tanh", "softmax", "ce", init="xavier", seed=2, features=features)
    data = datasets.generate("spiral", n=90, seed=1, classes=3)
    frame = hidden_space.compute(net, data, layer=0, epoch=0, mode="units", pair=(0, 2))
    # Layer 0 is what the network sees: the features of the points.
    np.testing.assert_allclose(frame.values, net.inputs(data.X))
    np.testing.assert_allclose(frame.points[:, 1], data.X[:, 0] * data.X[:, 1])
    logits = hidden_space.compute(net, data, layer=2, epoch=0, mode="pca")
    np.testing.assert_allclose(logits.values, net.forward(data.X)[0][-1])
    # Three classes are not split by one line: none is drawn.
    assert hidden_space.compute(net, data, layer=1, epoch=0).line is None
    assert hidden_space.layer_names(net)[0] == "input (x1, x2, x1*x2)"


def trained_spiral(epochs=200):
    data = datasets.generate("spiral", n=150, seed=1, classes=3)
    network = Network.initialised([2, 12, 2, 3], "tanh", "softmax", "ce", init="xavier", seed=3)
    trainer = Trainer(network, data, TrainSettings(lr=0.03, optimizer="adam"))
    trainer.run(epochs)
    return trainer


def test_the_last_hidden_layers_plane_is_shaded_by_the_class_the_output_gives_each_place():
    trainer = trained_spiral()
    net, data = trainer.network, trainer.data
    frame = hidden_space.compute(net, data, layer=2, epoch=200)
    assert frame.output_kind == "classes" and frame.line is None
    image, rect = frame.output_image, frame.output_rect
    r = image.shape[0]
    assert image.shape == (r, r, 3)
    # At sample pixels: the hidden values there, through the output layer by hand, softmax, argmax.
    places = hidden_space.plane_points(rect, r)
    rng = np.random.default_rng(4)
    for index in rng.choice(r * r, size=200, replace=False):
        i, j = divmod(int(index), r)
        h = places[index]
        z = h @ net.W[-1] + net.b[-1][0]
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        np.testing.assert_allclose(image[i, j], p, rtol=1e-5, atol=1e-6)
        assert int(np.argmax(image[i, j])) == int(np.argmax(z))
    # Every class the output gives somewhere is shown: a trained spiral has all three.
    assert set(np.unique(image.argmax(axis=2))) == {0, 1, 2}
    # The data points' own hidden values land in the class the network gives them.
    z = frame.values @ net.W[-1] + net.b[-1]
    np.testing.assert_array_equal(z.argmax(axis=1), net.predicted_class(data.X).ravel())


def test_each_classs_margin_is_positive_exactly_where_it_is_the_most_likely():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(9, 11, 4))
    p = np.exp(z) / np.exp(z).sum(axis=2, keepdims=True)
    margins = hidden_space.class_margins(p)
    assert margins.shape == (4, 9, 11)
    best = p.argmax(axis=2)
    for k in range(4):
        np.testing.assert_array_equal(margins[k] > 0, best == k)
        others = np.delete(p, k, axis=2).max(axis=2)
        np.testing.assert_allclose(margins[k], p[..., k] - others)


def test_a_regressions_plane_is_its_prediction_and_softmax_or_regression_are_only_shaded_for_two_units():
    data = datasets.generate("bumps", n=80, seed=2)
    net = Network.initialised([2, 5, 2, 1], "tanh", "linear", "mse", init="xavier", seed=1, task="regression")
    frame = hidden_space.compute(net, data, layer=2, epoch=0)
    assert frame.output_kind == "values" and frame.line is None
    r = frame.output_image.shape[0]
    places = hidden_space.plane_points(frame.output_rect, r)
    expected = (places @ net.W[-1] + net.b[-1])[:, 0].reshape(r, r)
    np.testing.assert_allclose(frame.output_image, expected, rtol=1e-5, atol=1e-6)
    assert np.ptp(frame.output_image) > 0
    # A wider last hidden layer, or a layer that is not the last hidden one: no shading.
    wide = Network.initialised([2, 5, 3, 1], "tanh", "linear", "mse", init="xavier", seed=1, task="regression")
    assert hidden_space.compute(wide, data, layer=2, epoch=0, mode="pca").output_image is None
    assert hidden_space.compute(net, data, layer=1, epoch=0).output_image is None
