"""Weights files: ``.npz`` archives that plain NumPy can read.

Layout (all entries are plain arrays; nothing is pickled)::

    W1, b1, W2, b2, ...   float64, W_k (fan_in, fan_out), b_k (1, fan_out)
    meta                  a JSON string: format, version, layers, activation,
                          output_activation, loss, epoch, and optionally
                          "settings" (the training settings)
    X, y                  optional: the data points the network was trained on

Version 2 adds to ``meta``: ``"task"`` (``"classification"`` or
``"regression"``), ``"features"`` (the input features, by default
``["x1", "x2"]``) and, for classification, ``"classes"`` (K: the number of
softmax outputs, or 2 for one output).  Shapes follow: ``W1`` is
(len(features), fan_out), the last ``W`` (fan_in, K) and the last ``b``
(1, K) for K softmax outputs.  A network that needs none of this (the two
coordinates in, one output, classification) is still written as version 1,
which every nnviz reads; both versions load.

``load`` checks everything before building anything, so a bad file changes
nothing; every problem raises ``WeightsFileError`` with a readable message.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from nnviz.core import features
from nnviz.core.atomic import atomic_write
from nnviz.core.datasets import MAX_POINTS, Dataset, check_labels
from nnviz.core.errors import ConfigError, DataError, WeightsFileError
from nnviz.core.network import MAX_CLASSES, MAX_HIDDEN_LAYERS, MAX_UNITS, TASKS, Network
from nnviz.core.trainer import TrainSettings

FORMAT = "nnviz-weights"
VERSION = 2  # the newest version written; VERSIONS are read
VERSIONS = (1, 2)
MAX_FILE_BYTES = 64 * 1024 * 1024
# Largest array a valid file can hold: a 64x64 weight matrix, or MAX_POINTS data points.
MAX_ARRAY_ELEMENTS = max((MAX_UNITS + 1) * MAX_UNITS, MAX_POINTS * 2)


@dataclass
class Loaded:
    network: Network
    epoch: int
    meta: dict
    data: Dataset | None
    settings: TrainSettings | None


def save(path: str | os.PathLike, network: Network, epoch: int = 0, data: Dataset | None = None,
         settings: TrainSettings | None = None) -> None:
    """Write ``network`` (and optionally its data and settings) atomically."""
    atomic_write(path, lambda f: write(f, network, epoch, data, settings))


def write(f: BinaryIO, network: Network, epoch: int = 0, data: Dataset | None = None,
          settings: TrainSettings | None = None) -> None:
    """Write ``network`` (and optionally its data and settings) to an open binary file."""
    meta = {
        "format": FORMAT,
        "version": version_needed(network),
        "layers": network.layers,
        "activation": network.activation,
        "output_activation": network.output_activation,
        "loss": network.loss,
        "epoch": int(epoch),
    }
    if meta["version"] == 2:
        meta["task"] = network.task
        meta["features"] = list(network.features)
        if not network.regression:
            meta["classes"] = network.classes
    if settings is not None:
        meta["settings"] = settings.to_dict()
    arrays = {}
    for k, (W, b) in enumerate(zip(network.W, network.b), start=1):
        arrays[f"W{k}"] = np.array(W)
        arrays[f"b{k}"] = np.array(b)
    if data is not None:
        arrays["X"] = np.array(data.X)
        arrays["y"] = np.array(data.y)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(f, **arrays)


def version_needed(network: Network) -> int:
    """1 for a network version 1 can describe (x1, x2 in, one output, classification), else 2."""
    plain = (features.is_default(network.features) and network.task == "classification"
             and network.outputs == 1)
    return 1 if plain else 2


def _task_features_classes(meta: dict, name: str) -> tuple[str, tuple[str, ...], int | None]:
    """The version-2 fields of ``meta`` (version 1: classification from x1 and x2), checked."""
    if meta.get("version") == 1:
        if meta.get("output_activation") == "softmax":
            raise WeightsFileError(f"{name}: a softmax output needs a version 2 file, but this one is version 1")
        return "classification", features.DEFAULT, None
    task = meta.get("task")
    if task not in TASKS:
        raise WeightsFileError(f"{name}: 'task' must be \"classification\" or \"regression\", got {task!r}")
    names = meta.get("features", list(features.DEFAULT))
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise WeightsFileError(f"{name}: 'features' must be a list of feature names")
    try:
        names = features.check(names)
    except ConfigError as exc:
        raise WeightsFileError(f"{name}: {exc}") from None
    if list(names) != meta.get("features", list(features.DEFAULT)):
        raise WeightsFileError(f"{name}: 'features' must be in the order {', '.join(features.NAMES)}")
    if task == "regression":
        return task, names, None
    classes = meta.get("classes")
    if not isinstance(classes, int) or isinstance(classes, bool) or not 2 <= classes <= MAX_CLASSES:
        raise WeightsFileError(f"{name}: 'classes' must be a whole number from 2 to {MAX_CLASSES}, "
                               f"got {classes!r}")
    return task, names, classes


def _read_member(archive: zipfile.ZipFile, entry: str, source: str) -> np.ndarray:
    """Read one array, checking its header before reading its data."""
    what = f"{source}: {entry.removesuffix('.npy')}"
    with archive.open(entry) as f:
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise WeightsFileError(f"{what} uses an unknown array format version {version}")
        except WeightsFileError:
            raise
        except Exception:
            raise WeightsFileError(f"{what} is not a valid NumPy array") from None
        if dtype.hasobject:
            raise WeightsFileError(f"{what} holds Python objects; nnviz never unpickles files")
        count = int(np.prod(shape, dtype=np.float64)) if shape else 1
        if count > MAX_ARRAY_ELEMENTS:
            raise WeightsFileError(f"{what} declares {count} values; no valid nnviz file is that large")
    with archive.open(entry) as f:
        try:
            return np.lib.format.read_array(f, allow_pickle=False)
        except Exception as exc:
            raise WeightsFileError(f"{what} is damaged or truncated ({exc})") from None


def load(path: str | os.PathLike) -> Loaded:
    """Read and validate a weights file; raises ``WeightsFileError`` on any problem."""
    name = os.fspath(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise WeightsFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES or len(raw) > MAX_FILE_BYTES:
        raise WeightsFileError(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
                               "it is not an nnviz weights file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        entries = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise WeightsFileError(f"{name} is not a weights file (.npz): it is not a zip archive, "
                               "or it is truncated") from None
    try:
        return _load_archive(archive, entries, name)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        if isinstance(exc, WeightsFileError):
            raise
        raise WeightsFileError(f"{name} is damaged: {exc}") from None
    finally:
        archive.close()


def _load_archive(archive: zipfile.ZipFile, entries: dict, name: str) -> Loaded:
    for info in entries.values():
        if info.file_size > MAX_FILE_BYTES:
            entry = info.filename.removesuffix(".npy")
            raise WeightsFileError(f"{name}: {entry} unpacks to {info.file_size:,} bytes; "
                                   "no valid nnviz file is that large")
    if "meta.npy" not in entries:
        raise WeightsFileError(f"{name} has no 'meta' entry; it was not written by nnviz")
    meta_array = _read_member(archive, "meta.npy", name)
    if meta_array.dtype.kind != "U" or meta_array.shape != ():
        raise WeightsFileError(f"{name}: 'meta' must be a JSON string")
    try:
        meta = json.loads(str(meta_array))
    except json.JSONDecodeError as exc:
        raise WeightsFileError(f"{name}: 'meta' is not valid JSON ({exc.msg})") from None
    if not isinstance(meta, dict):
        raise WeightsFileError(f"{name}: 'meta' must be a JSON object")
    if meta.get("format") != FORMAT:
        raise WeightsFileError(f"{name}: format is {meta.get('format')!r}, expected {FORMAT!r}")
    if meta.get("version") not in VERSIONS or isinstance(meta.get("version"), bool):
        raise WeightsFileError(f"{name}: version {meta.get('version')!r} is not supported "
                               f"(this nnviz reads versions {' and '.join(map(str, VERSIONS))})")
    layers = meta.get("layers")
    if (not isinstance(layers, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in layers)
            or len(layers) > MAX_HIDDEN_LAYERS + 2):
        raise WeightsFileError(f"{name}: 'layers' must be a list of at most {MAX_HIDDEN_LAYERS + 2} "
                               "whole numbers")
    epoch = meta.get("epoch", 0)
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise WeightsFileError(f"{name}: 'epoch' must be a whole number of at least 0")
    task, feature_names, classes = _task_features_classes(meta, name)
    try:
        network = Network(layers, meta.get("activation"), meta.get("output_activation"), meta.get("loss"),
                          features=feature_names, task=task)
    except ConfigError as exc:
        raise WeightsFileError(f"{name}: {exc}") from None
    if classes is not None and classes != network.classes:
        raise WeightsFileError(f"{name}: 'classes' is {classes} but the network has {network.classes} "
                               f"(layers {layers}, {network.output_activation} output)")

    for k, (W, b) in enumerate(zip(network.W, network.b), start=1):
        for key, expected in ((f"W{k}", W.shape), (f"b{k}", b.shape)):
            if key + ".npy" not in entries:
                raise WeightsFileError(f"{name}: missing {key} for layers {layers}")
            arr = _read_member(archive, key + ".npy", name)
            if arr.dtype.kind not in "fiu":
                raise WeightsFileError(f"{name}: {key} has type {arr.dtype}, expected numbers")
            if arr.shape != expected:
                raise WeightsFileError(f"{name}: {key} has shape {arr.shape}, expected {expected} "
                                       f"for layers {layers}")
            if not np.all(np.isfinite(arr)):
                raise WeightsFileError(f"{name}: {key} contains NaN or infinite values")
    # Every entry checked: only now is anything written.
    for k, (W, b) in enumerate(zip(network.W, network.b), start=1):
        W[:] = _read_member(archive, f"W{k}.npy", name)
        b[:] = _read_member(archive, f"b{k}.npy", name)
    extra = sorted(set(entries) - {"meta.npy", "X.npy", "y.npy"}
                   - {f"{p}{k}.npy" for p in "Wb" for k in range(1, len(network.W) + 1)})
    if extra:
        raise WeightsFileError(f"{name}: unexpected entries {', '.join(e[:-4] for e in extra)} "
                               f"for layers {layers}")

    data = None
    if ("X.npy" in entries) != ("y.npy" in entries):
        raise WeightsFileError(f"{name}: data points need both X and y")
    if "X.npy" in entries:
        X, y = _read_member(archive, "X.npy", name), _read_member(archive, "y.npy", name)
        if X.dtype.kind not in "fiu" or y.dtype.kind not in "fiu":
            raise WeightsFileError(f"{name}: X and y must hold numbers")
        if X.ndim != 2 or X.shape[1] != 2 or y.shape not in ((len(X), 1), (len(X),)):
            raise WeightsFileError(f"{name}: X must have shape (n, 2) and y (n, 1); got {X.shape} and {y.shape}")
        try:
            data = Dataset(X, y, name=name, task=task)
            if not data.regression:
                check_labels(data.y, network.classes)
        except DataError as exc:
            raise WeightsFileError(f"{name}: saved data points: {exc}") from None

    settings = None
    if "settings" in meta:
        try:
            if not isinstance(meta["settings"], dict):
                raise ConfigError("must be an object")
            settings = TrainSettings.from_dict(meta["settings"])
        except (ConfigError, TypeError) as exc:
            raise WeightsFileError(f"{name}: saved settings: {exc}") from None
    return Loaded(network, epoch, meta, data, settings)
