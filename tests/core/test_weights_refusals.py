"""Refusals of weights files name the file, and the arrays as the user knows them (W1, not W1.npy)."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from nnviz.core import weights_file
from nnviz.core.errors import WeightsFileError
from nnviz.core.network import Network

META = {"format": "nnviz-weights", "version": 1, "layers": [2, 4, 1], "activation": "sigmoid",
        "output_activation": "sigmoid", "loss": "mse", "epoch": 0}


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, allow_pickle=True)
    return buf.getvalue()


def gigantic_header() -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                               "shape": (1_000_000, 1_000_000)})
    return buf.getvalue() + b"\0" * 64


def archive(path, **replace: bytes) -> None:
    net = Network.initialised([2, 4, 1], "sigmoid", "sigmoid", "mse", init="tutorial", seed=42)
    members = {"meta.npy": npy(np.array(json.dumps(META)))}
    for k, (W, b) in enumerate(zip(net.W, net.b), start=1):
        members[f"W{k}.npy"], members[f"b{k}.npy"] = npy(W), npy(b)
    members.update({f"{key}.npy": value for key, value in replace.items()})
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


CASES = {
    "pickled entry": (dict(W1=npy(np.array([{"a": 1}], dtype=object))), "W1 holds Python objects"),
    "gigantic header": (dict(b2=gigantic_header()), "b2 declares 1000000000000 values"),
    "not an array": (dict(W2=b"hello"), "W2 is not a valid NumPy array"),
    "truncated": (dict(W1=npy(np.zeros((2, 4)))[:-10]), "W1 is damaged or truncated"),
    "wrong shape": (dict(W1=npy(np.zeros((3, 4)))), "W1 has shape (3, 4), expected (2, 4)"),
    "NaN weight": (dict(b1=npy(np.array([[0.0, np.nan, 0.0, 0.0]]))), "b1 contains NaN or infinite values"),
    "extra entry": (dict(W9=npy(np.zeros(2))), "unexpected entries W9"),
}


@pytest.mark.parametrize("members, message", CASES.values(), ids=CASES.keys())
def test_refusals_name_the_file_and_the_array(tmp_path, members, message):
    path = tmp_path / "trained.npz"
    archive(path, **members)
    with pytest.raises(WeightsFileError) as info:
        weights_file.load(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and message in text
    assert ".npy" not in text and "\n" not in text


def test_a_well_formed_archive_built_here_loads(tmp_path):
    path = tmp_path / "trained.npz"
    archive(path)
    assert weights_file.load(path).network.layers == [2, 4, 1]


def test_save_onto_a_folder_is_refused_and_the_folder_kept(tmp_path):
    folder = tmp_path / "w.npz"
    folder.mkdir()
    net = Network.initialised([2, 4, 1], "sigmoid", "sigmoid", "mse", init="tutorial", seed=42)
    with pytest.raises(OSError, match="w.npz: it is a folder, not a regular file"):
        weights_file.save(folder, net)
    assert folder.is_dir()
