"""Weights files: round trips, a corpus of broken files, and atomic saves."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest

from nnviz.core import datasets, weights_file
from nnviz.core.errors import WeightsFileError
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings

META = {"format": "nnviz-weights", "version": 1, "layers": [2, 4, 1], "activation": "sigmoid",
        "output_activation": "sigmoid", "loss": "mse", "epoch": 1000}


def trained(epochs=1000) -> Trainer:
    trainer = Trainer(Network.initialised([2, 4, 1]), datasets.xor())
    trainer.run(epochs)
    return trainer


def write_npz(path, meta=META, **arrays):
    net = Network.initialised([2, 4, 1])
    entries = {"W1": net.W[0], "b1": net.b[0], "W2": net.W[1], "b2": net.b[1]}
    entries.update(arrays)
    entries = {k: v for k, v in entries.items() if v is not None}
    if meta is not None:
        entries["meta"] = np.array(json.dumps(meta))
    np.savez(path, **entries)
    return path


def test_round_trip_keeps_everything(tmp_path):
    trainer = trained()
    path = tmp_path / "xor.npz"
    weights_file.save(path, trainer.network, trainer.epoch, trainer.data, trainer.settings)
    loaded = weights_file.load(path)
    assert np.array_equal(loaded.network.params, trainer.network.params)
    assert loaded.epoch == 1000 and loaded.network.layers == [2, 4, 1]
    assert np.array_equal(loaded.data.X, trainer.data.X) and np.array_equal(loaded.data.y, trainer.data.y)
    assert loaded.settings == trainer.settings


def test_plain_numpy_reads_the_tutorial_shapes(tmp_path):
    trainer = trained()
    path = tmp_path / "xor.npz"
    weights_file.save(path, trainer.network, trainer.epoch)
    with np.load(path) as f:  # allow_pickle is False by default: nothing here needs it
        assert f["W1"].shape == (2, 4) and f["b1"].shape == (1, 4)
        assert f["W2"].shape == (4, 1) and f["b2"].shape == (1, 1)
        meta = json.loads(str(f["meta"]))
        np.testing.assert_array_equal(f["W1"], trainer.network.W[0])
    assert {k: meta[k] for k in META} == META


def test_a_file_with_only_the_required_entries_loads(tmp_path):
    loaded = weights_file.load(write_npz(tmp_path / "min.npz"))
    assert loaded.data is None and loaded.settings is None and loaded.epoch == 1000


def test_a_loaded_network_continues_exactly(tmp_path):
    first = trained(500)
    path = tmp_path / "half.npz"
    weights_file.save(path, first.network, first.epoch)
    resumed = Trainer(weights_file.load(path).network, datasets.xor())
    resumed.run(500)
    assert np.array_equal(resumed.network.params, trained(1000).network.params)


def _pickled(path):
    np.savez(path, W1=np.array([{"evil": 1}], dtype=object),
             meta=np.array(json.dumps(META)))
    return path


def _huge_header(path):
    write_npz(path)
    # Replace W1 with a header that declares a 10^12-element array and no data.
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (1_000_000, 1_000_000)})
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["W1.npy"] = header.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return path


def _truncated(path):
    write_npz(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _text(path):
    path.write_text("W1 = [[1, 2]]\n")
    return path


def _empty(path):
    path.write_bytes(b"")
    return path


CORPUS = {
    "empty": (_empty, "not a weights file"),
    "not a zip": (_text, "not a weights file"),
    "truncated": (_truncated, "not a weights file|damaged"),
    "pickled object array": (_pickled, "holds Python objects"),
    "gigantic header": (_huge_header, "declares 1000000000000 values"),
    "missing meta": (lambda p: write_npz(p, meta=None), "no 'meta' entry"),
    "wrong format": (lambda p: write_npz(p, meta={**META, "format": "keras"}), "format is 'keras'"),
    "wrong version": (lambda p: write_npz(p, meta={**META, "version": 3}), "version 3 is not supported"),
    "meta not json": (lambda p: np.savez(p, meta=np.array("{oops")), "not valid JSON"),
    "meta not a string": (lambda p: np.savez(p, meta=np.zeros(3)), "must be a JSON string"),
    "wrong shape": (lambda p: write_npz(p, W1=np.zeros((4, 2))), r"W1 has shape \(4, 2\), expected \(2, 4\)"),
    "bias as a vector": (lambda p: write_npz(p, b1=np.zeros(4)), r"b1 has shape \(4,\), expected \(1, 4\)"),
    "text dtype": (lambda p: write_npz(p, W2=np.array([["a"]] * 4)), "expected numbers"),
    "nan weight": (lambda p: write_npz(p, W2=np.full((4, 1), np.nan)), "NaN or infinite"),
    "one nan among good weights": (lambda p: write_npz(p, W2=np.array([[0.1], [np.nan], [0.3], [-0.2]])),
                                   "W2 contains NaN or infinite"),
    "one infinite bias": (lambda p: write_npz(p, b1=np.array([[0.0, -np.inf, 0.5, 0.0]])),
                          "b1 contains NaN or infinite"),
    "missing layer": (lambda p: write_npz(p, W2=None), "missing W2"),
    "shapes do not chain": (lambda p: write_npz(p, meta={**META, "layers": [2, 3, 1]}), "W1 has shape"),
    "too many units": (lambda p: write_npz(p, meta={**META, "layers": [2, 65, 1]}), "1 to 64 units"),
    "unknown activation": (lambda p: write_npz(p, meta={**META, "activation": "swish"}), "unknown activation 'swish'"),
    "unknown loss": (lambda p: write_npz(p, meta={**META, "loss": "hinge"}), "unknown loss 'hinge'"),
    "negative epoch": (lambda p: write_npz(p, meta={**META, "epoch": -3}), "'epoch' must be"),
    "layers not a list": (lambda p: write_npz(p, meta={**META, "layers": "2-4-1"}), "'layers' must be a list"),
    "extra entries": (lambda p: write_npz(p, W3=np.zeros((1, 1))), "unexpected entries W3"),
    "data without labels": (lambda p: write_npz(p, X=np.zeros((4, 2))), "need both X and y"),
    "labels not 0 or 1": (lambda p: write_npz(p, X=np.zeros((2, 2)), y=np.array([[0.0], [3.0]])), "labels must be 0 or 1"),
    "bad settings": (lambda p: write_npz(p, meta={**META, "settings": {"lr": -1}}), "saved settings: learning rate"),
}


@pytest.mark.parametrize("make_file, message", CORPUS.values(), ids=CORPUS.keys())
def test_broken_files_are_refused_with_a_clear_message(tmp_path, make_file, message):
    path = tmp_path / "bad.npz"
    make_file(path)
    with pytest.raises(WeightsFileError, match=message) as info:
        weights_file.load(path)
    assert "\n" not in str(info.value)


def test_pickled_objects_are_never_unpickled(tmp_path, monkeypatch):
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("unpickling was attempted")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    with pytest.raises(WeightsFileError, match="holds Python objects"):
        weights_file.load(_pickled(tmp_path / "evil.npz"))


def test_missing_file(tmp_path):
    with pytest.raises(WeightsFileError, match="cannot read"):
        weights_file.load(tmp_path / "nope.npz")


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "keep.npz"
    first = trained(10)
    weights_file.save(path, first.network, first.epoch)
    before = path.read_bytes()

    def crash(f, **arrays):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        weights_file.save(path, trained(20).network, 20)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.npz"]  # no temporary file left behind


def test_save_goes_through_a_temporary_file_and_replace(tmp_path, monkeypatch):
    calls = []
    real_replace = os.replace

    def spy(src, dst):
        calls.append((os.path.dirname(src), os.path.basename(src), dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    path = tmp_path / "w.npz"
    weights_file.save(path, trained(1).network, 1)
    [(directory, name, dst)] = calls
    assert directory == str(tmp_path) and name != "w.npz" and dst == str(path)


def test_settings_round_trip_through_file(tmp_path):
    settings = TrainSettings(lr=0.3, optimizer="adam", batch_size=2, l2=0.01, seed=9)
    path = tmp_path / "s.npz"
    weights_file.save(path, Network.initialised([2, 3, 3, 1], "tanh", "linear", "bce"), 7, settings=settings)
    loaded = weights_file.load(path)
    assert loaded.settings == settings
    assert (loaded.network.activation, loaded.network.output_activation, loaded.network.loss) == ("tanh", "linear", "bce")


def test_saved_files_get_ordinary_permissions(tmp_path):
    path = tmp_path / "w.npz"
    old = os.umask(0o022)
    try:
        weights_file.save(path, trained(1).network, 1)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o600)
    weights_file.save(path, trained(1).network, 1)
    assert path.stat().st_mode & 0o777 == 0o600  # an existing file keeps its mode
