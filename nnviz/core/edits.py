"""Edits of a data set's training points: each returns a new ``Dataset`` and leaves the old one alone.

Data sets are treated as immutable values, so the window can hand one to the
training thread, keep the previous one for undo, and never race on an array.
"""

from __future__ import annotations

import math

import numpy as np

from nnviz.core.datasets import MAX_CLASSES, Dataset
from nnviz.core.errors import DataError


def _with(data: Dataset, X: np.ndarray, y: np.ndarray) -> Dataset:
    return Dataset(X, y, data.X_test, data.y_test, data.name, data.task)


def _check_index(data: Dataset, index: int) -> None:
    if not 0 <= index < len(data.X):
        raise DataError(f"there is no point {index}; the data set has {len(data.X)}")


def move_point(data: Dataset, index: int, xy: tuple[float, float]) -> Dataset:
    _check_index(data, index)
    X = data.X.copy()
    X[index] = xy
    return _with(data, X, data.y)


def add_point(data: Dataset, xy: tuple[float, float], label: float) -> Dataset:
    """A new point: ``label`` is its class (0 to 7), or its target for a regression data set."""
    if data.regression:
        if not math.isfinite(label):
            raise DataError(f"a target must be a finite number, got {label}")
    elif label not in range(MAX_CLASSES):
        raise DataError(f"labels must be whole numbers from 0 to {MAX_CLASSES - 1}, got {label}")
    return _with(data, np.vstack([data.X, [xy]]), np.vstack([data.y, [[label]]]))


def delete_point(data: Dataset, index: int) -> Dataset:
    _check_index(data, index)
    if len(data.X) == 1:
        raise DataError("the last point cannot be deleted; a data set needs at least one")
    keep = np.arange(len(data.X)) != index
    return _with(data, data.X[keep], data.y[keep])


def flip_point(data: Dataset, index: int, classes: int | None = None) -> Dataset:
    """The point's next class: 0 and 1 swap in a binary problem; with K classes, k becomes (k + 1) mod K.

    ``classes`` defaults to the data's own (``Dataset.classes``); a K-output
    network passes its K so that every class can be reached.
    """
    _check_index(data, index)
    if data.regression:
        raise DataError("a regression point has a target, not a class to flip")
    classes = data.classes if classes is None else max(int(classes), data.classes)
    y = data.y.copy()
    y[index] = (y[index] + 1.0) % classes
    return _with(data, data.X, y)
