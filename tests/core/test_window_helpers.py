"""The Qt-free helpers behind the window: input plane, point edits, set-ups."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets, edits
from nnviz.core.errors import ConfigError, DataError
from nnviz.core.plane import PlaneSampler, grow_bounds, plane_points, square_bounds
from nnviz.core.setup import DataSpec, ModelSpec, Setup
from nnviz.core.trainer import Trainer, TrainSettings


@pytest.mark.parametrize("activation, output, loss", [
    ("tanh", "sigmoid", "mse"), ("sigmoid", "sigmoid", "bce"), ("relu", "linear", "bce"), ("linear", "linear", "mse"),
])
def test_the_plane_image_equals_the_networks_predictions(activation, output, loss):
    net = ModelSpec(hidden=(5, 3), activation=activation, output_activation=output, loss=loss,
                    init="xavier").build()
    bounds = square_bounds(datasets.xor())
    sampler = PlaneSampler(32)
    sampler.image(net, bounds)  # the buffers are reused from frame to frame
    image = sampler.image(net, bounds)
    assert image.dtype == np.float32 and image.shape == (32, 32)
    expected = net.predict(plane_points(bounds, 32)).reshape(32, 32)
    # The colour scale is P(class 1) from 0 to 1; a linear output beyond it is drawn at its ends.
    np.testing.assert_allclose(image, np.clip(expected, 0.0, 1.0), rtol=1e-5, atol=1e-6)
    # Row 0 is the bottom of the plane (ymin), column 0 its left edge.
    assert plane_points(bounds, 32)[0, 1] < plane_points(bounds, 32)[-1, 1]


@pytest.mark.parametrize("model", [
    dict(hidden=(6, 4), activation="relu", output_activation="softmax", loss="ce", outputs=3),
    dict(hidden=(), activation="sigmoid", output_activation="softmax", loss="ce", outputs=4),
    dict(hidden=(8,), activation="tanh", output_activation="sigmoid", loss="mse", features=("x1", "x2", "x1^2", "sin(x2)")),
    dict(hidden=(5,), activation="sigmoid", output_activation="linear", loss="mse", task="regression"),
])
def test_the_plane_image_of_any_output_equals_the_networks_predictions(model):
    outputs = model.pop("outputs", 1)
    net = ModelSpec(init="xavier", classes=max(outputs, 2), **model).build()
    net.params[:] = np.random.default_rng(3).normal(0, 1.5, len(net.params))
    bounds = (-2.0, 3.0, -1.5, 3.5)
    sampler = PlaneSampler(24)
    image = sampler.image(net, bounds)
    shape = (24, 24) if outputs == 1 else (24, 24, outputs)
    assert image.dtype == np.float32 and image.shape == shape
    expected = net.predict(plane_points(bounds, 24)).reshape(shape)
    np.testing.assert_allclose(image, expected, rtol=2e-5, atol=2e-6)


def test_bounds_are_square_with_a_margin_and_only_grow():
    data = datasets.xor()
    b = square_bounds(data)
    assert b[0] < 0 and b[1] > 1 and b[2] < 0 and b[3] > 1
    assert b[1] - b[0] == pytest.approx(b[3] - b[2])
    moved = edits.move_point(data, 3, (3.0, 1.0))
    grown = grow_bounds(b, moved)
    assert grown[1] > 3.0 and grown[0] <= b[0]
    assert grow_bounds(grown, data) == grown  # moving it back does not shrink the view


def test_edits_return_new_data_sets_and_leave_the_old_alone():
    data = datasets.xor()
    X = data.X.copy()
    added = edits.add_point(data, (0.5, 0.5), 1)
    moved = edits.move_point(added, 0, (0.1, 0.2))
    flipped = edits.flip_point(moved, 1)
    deleted = edits.delete_point(flipped, 2)
    np.testing.assert_array_equal(data.X, X)
    assert len(added.X) == 5 and added.y[-1, 0] == 1
    assert moved.X[0].tolist() == [0.1, 0.2]
    assert flipped.y[1, 0] == 0
    assert deleted.X.tolist() == [[0.1, 0.2], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]]
    with pytest.raises(DataError, match="no point 9"):
        edits.move_point(data, 9, (0, 0))
    with pytest.raises(DataError, match="last point"):
        edits.delete_point(datasets.Dataset([[0, 0]], [0]), 0)


def test_edits_of_classes_and_targets():
    data = datasets.Dataset([[0, 0], [1, 1], [2, 2]], [[0], [1], [2]])
    cycled = edits.flip_point(data, 2)
    assert cycled.y.ravel().tolist() == [0, 1, 0]  # three classes: 2 comes round to 0
    assert edits.flip_point(data, 2, classes=4).y[2, 0] == 3  # a 4-output network reaches class 3
    assert edits.add_point(data, (3, 3), 7).classes == 8
    with pytest.raises(DataError, match="from 0 to 7, got 8"):
        edits.add_point(data, (3, 3), 8)
    values = datasets.Dataset([[0, 0], [1, 1]], [[0.25], [-3.5]], task="regression")
    added = edits.add_point(values, (2, 2), 1.75)
    assert added.task == "regression" and added.y[-1, 0] == 1.75
    assert edits.move_point(values, 0, (5, 5)).task == "regression"
    with pytest.raises(DataError, match="target, not a class"):
        edits.flip_point(values, 0)
    with pytest.raises(DataError, match="finite"):
        edits.add_point(values, (2, 2), float("nan"))


def test_the_default_setup_is_the_tutorial():
    setup = Setup()
    trainer = Trainer(setup.model.build(), setup.data.build(), setup.settings)
    losses = trainer.run(1000)
    assert losses[0] == pytest.approx(0.2556753002, abs=1e-9)
    assert losses[999] == pytest.approx(0.2036439287, abs=1e-9)


def test_setups_round_trip_and_bad_ones_are_refused():
    setup = Setup(ModelSpec((8, 8), "relu", "linear", "bce", "he", 7), DataSpec("moons", 300, 0.2, 3, 0.1),
                  TrainSettings(lr=0.05, optimizer="adam", batch_size=16, l2=0.001, seed=1))
    assert Setup.from_dict(setup.to_dict()) == setup
    with pytest.raises(ConfigError):
        Setup.from_dict({"model": {"hidden": [0]}})
    with pytest.raises(ConfigError):
        Setup.from_dict({"train": {"lr": -1}})
    with pytest.raises(DataError, match="unknown data set"):
        DataSpec("squares").build()


def test_the_plane_image_stays_within_the_colour_scale_for_any_output():
    # A linear output under MSE is not a probability: it can be huge, and the view scales by 255.
    net = ModelSpec(hidden=(3,), activation="linear", output_activation="linear", loss="mse").build()
    net.params[:] = 1e18
    image = PlaneSampler(16).image(net, square_bounds(datasets.xor()))
    assert image.dtype == np.float32 and image.min() >= 0.0 and image.max() <= 1.0


def test_coloured_unit_maps_are_each_units_output_through_the_palette():
    from nnviz.core.unit_maps import coloured_unit_maps, unit_maps

    net = ModelSpec(hidden=(3, 2), activation="relu", init="xavier").build()
    net.params[:] = np.random.default_rng(5).normal(0, 1, len(net.params))
    bounds = (-1.0, 2.0, -1.0, 2.0)
    palette = np.stack([np.arange(256), 255 - np.arange(256), np.arange(256) // 2], axis=1).astype(np.uint8)
    pixels = coloured_unit_maps(net, bounds, palette, 12)
    grids = unit_maps(net, bounds, 12)
    assert [p.shape for p in pixels] == [(3, 12, 12, 4), (2, 12, 12, 4), (1, 12, 12, 4)]
    for k, (layer, grid) in enumerate(zip(pixels, grids)):
        assert layer.flags["C_CONTIGUOUS"] and layer.dtype == np.uint8
        if k < 2:  # ReLU: symmetric about 0, scaled by the layer's largest output
            top = np.abs(grid).max()
            index = np.clip((grid + top) / (2 * top) * 255, 0, 255).astype(np.uint8)
        else:  # the sigmoid output: 0 to 1
            index = np.clip(grid * 255, 0, 255).astype(np.uint8)
        # Blue, green, red, opaque; an image's row 0 is the top of the plane.
        expected = np.concatenate([palette[index][..., ::-1], np.full(index.shape + (1,), 255, np.uint8)], axis=-1)
        np.testing.assert_array_equal(layer, expected[:, ::-1, :, :])
