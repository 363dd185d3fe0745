"""Edits of a data set's training points: each returns a new ``Dataset`` and leaves the old one alone.

Data sets are treated as immutable values, so the window can hand one to the
training thread, keep the previous one for undo, and never race on an array.
"""

from __future__ import annotations

import numpy as np

from nnviz.core.datasets import Dataset
from nnviz.core.errors import DataError


def _with(data: Dataset, X: np.ndarray, y: np.ndarray) -> Dataset:
    return Dataset(X, y, data.X_test, data.y_test, data.name)


def _check_index(data: Dataset, index: int) -> None:
    if not 0 <= index < len(data.X):
        raise DataError(f"there is no point {index}; the data set has {len(data.X)}")


def move_point(data: Dataset, index: int, xy: tuple[float, float]) -> Dataset:
    _check_index(data, index)
    X = data.X.copy()
    X[index] = xy
    return _with(data, X, data.y)


def add_point(data: Dataset, xy: tuple[float, float], label: int) -> Dataset:
    if label not in (0, 1):
        raise DataError(f"labels must be 0 or 1, got {label}")
    return _with(data, np.vstack([data.X, [xy]]), np.vstack([data.y, [[label]]]))


def delete_point(data: Dataset, index: int) -> Dataset:
    _check_index(data, index)
    if len(data.X) == 1:
        raise DataError("the last point cannot be deleted; a data set needs at least one")
    keep = np.arange(len(data.X)) != index
    return _with(data, data.X[keep], data.y[keep])


def flip_point(data: Dataset, index: int) -> Dataset:
    _check_index(data, index)
    y = data.y.copy()
    y[index] = 1.0 - y[index]
    return _with(data, data.X, y)
