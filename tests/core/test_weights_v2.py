"""Weights files of version 2: feature inputs, K softmax classes and regression; their refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnviz.core import datasets, weights_file
from nnviz.core.errors import WeightsFileError
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings

SOFTMAX_META = {"format": "nnviz-weights", "version": 2, "layers": [3, 4, 3], "activation": "tanh",
                "output_activation": "softmax", "loss": "ce", "epoch": 5, "task": "classification",
                "features": ["x1", "x2", "x1^2"], "classes": 3}


def _softmax_net() -> Network:
    return Network.initialised([3, 4, 3], "tanh", "softmax", "ce", init="xavier", seed=2,
                               features=("x1", "x2", "x1^2"))


def write_v2(path, meta=SOFTMAX_META, **arrays):
    net = _softmax_net()
    entries = {"W1": net.W[0], "b1": net.b[0], "W2": net.W[1], "b2": net.b[1]}
    entries.update(arrays)
    entries = {k: v for k, v in entries.items() if v is not None}
    entries["meta"] = np.array(json.dumps(meta))
    np.savez(path, **entries)
    return path


def _meta(path) -> dict:
    with np.load(path) as archive:
        return json.loads(str(archive["meta"]))


def test_softmax_with_features_round_trips_as_version_2(tmp_path):
    data = datasets.generate("spiral", 90, seed=1, test_fraction=0, classes=3)
    trainer = Trainer(_softmax_net(), data, TrainSettings(lr=0.5))
    trainer.run(20)
    path = tmp_path / "three.npz"
    weights_file.save(path, trainer.network, trainer.epoch, data, trainer.settings)
    meta = _meta(path)
    assert (meta["version"], meta["task"], meta["features"], meta["classes"]) == (
        2, "classification", ["x1", "x2", "x1^2"], 3)
    loaded = weights_file.load(path)
    assert loaded.network.architecture == trainer.network.architecture
    assert np.array_equal(loaded.network.params, trainer.network.params)
    assert loaded.network.W[0].shape == (3, 4) and loaded.network.W[-1].shape == (4, 3)
    assert np.array_equal(loaded.data.y, data.y) and loaded.data.classes == 3


def test_regression_round_trips_with_its_targets(tmp_path):
    data = datasets.generate("plane", 50, seed=1, test_fraction=0)
    net = Network.initialised([2, 3, 1], "tanh", "linear", "mse", task="regression")
    path = tmp_path / "plane.npz"
    weights_file.save(path, net, 0, data)
    meta = _meta(path)
    assert meta["version"] == 2 and meta["task"] == "regression" and "classes" not in meta
    loaded = weights_file.load(path)
    assert loaded.network.task == "regression" and loaded.data.task == "regression"
    assert np.array_equal(loaded.data.y, data.y)


def test_a_network_that_needs_nothing_new_is_still_version_1(tmp_path):
    path = tmp_path / "xor.npz"
    weights_file.save(path, Network.initialised([2, 4, 1]), 0, datasets.xor())
    meta = _meta(path)
    assert meta["version"] == 1 and not {"task", "features", "classes"} & set(meta)
    features_only = Network.initialised([1, 1], "sigmoid", "sigmoid", "bce", features=("x1^2",))
    weights_file.save(path, features_only, 0)
    assert _meta(path)["version"] == 2 and _meta(path)["classes"] == 2
    assert weights_file.load(path).network.features == ("x1^2",)


V2_CORPUS = {
    "unknown feature": (dict(meta={**SOFTMAX_META, "features": ["x1", "x2", "x3"]}), "unknown feature 'x3'"),
    "features not a list": (dict(meta={**SOFTMAX_META, "features": "x1,x2"}), "'features' must be a list"),
    "features out of order": (dict(meta={**SOFTMAX_META, "features": ["x1^2", "x1", "x2"]}), "in the order"),
    "repeated feature": (dict(meta={**SOFTMAX_META, "features": ["x1", "x1", "x2"]}), "listed twice"),
    "classes out of range": (dict(meta={**SOFTMAX_META, "classes": 9}), "from 2 to 8, got 9"),
    "classes missing": (dict(meta={k: v for k, v in SOFTMAX_META.items() if k != "classes"}),
                        "'classes' must be a whole number"),
    "classes disagree": (dict(meta={**SOFTMAX_META, "classes": 4}), "'classes' is 4 but the network has 3"),
    "unknown task": (dict(meta={**SOFTMAX_META, "task": "ranking"}), "'task' must be"),
    "softmax wrong last shape": (dict(W2=np.zeros((4, 2))), r"W2 has shape \(4, 2\), expected \(4, 3\)"),
    "softmax wrong last bias": (dict(b2=np.zeros((1, 1))), r"b2 has shape \(1, 1\), expected \(1, 3\)"),
    "first layer not the features": (dict(W1=np.zeros((2, 4))), r"W1 has shape \(2, 4\), expected \(3, 4\)"),
    "labels beyond the classes": (dict(X=np.zeros((2, 2)), y=np.array([[0.0], [3.0]])),
                                  "labels must be 0, 1 or 2 for 3 classes, found 3"),
    "softmax with mse": (dict(meta={**SOFTMAX_META, "loss": "mse"}), "softmax output goes with the ce loss"),
    "softmax in version 1": (dict(meta={**SOFTMAX_META, "version": 1}), "needs a version 2 file"),
    "regression with a sigmoid": (dict(meta={**SOFTMAX_META, "task": "regression", "output_activation": "sigmoid",
                                             "loss": "mse", "layers": [3, 4, 1]}, W2=np.zeros((4, 1)),
                                       b2=np.zeros((1, 1))), "regression needs a linear output"),
}


@pytest.mark.parametrize("entries, message", V2_CORPUS.values(), ids=V2_CORPUS.keys())
def test_bad_version_2_files_are_refused_with_one_line(tmp_path, entries, message):
    path = write_v2(tmp_path / "bad.npz", **entries)
    with pytest.raises(WeightsFileError, match=message) as info:
        weights_file.load(path)
    assert "\n" not in str(info.value)


def test_version_1_files_ignore_version_2_fields(tmp_path):
    # Version 1 never had them: a file that happens to carry such keys loads as it always did.
    meta = {**SOFTMAX_META, "version": 1, "layers": [2, 4, 1], "output_activation": "sigmoid", "loss": "mse"}
    net = Network.initialised([2, 4, 1])
    np.savez(tmp_path / "old.npz", W1=net.W[0], b1=net.b[0], W2=net.W[1], b2=net.b[1],
             meta=np.array(json.dumps(meta)))
    loaded = weights_file.load(tmp_path / "old.npz")
    assert loaded.network.features == ("x1", "x2") and loaded.network.task == "classification"
