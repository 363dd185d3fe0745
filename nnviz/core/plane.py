"""The input plane behind the decision boundary: its extent and the network's output over it.

The window's worker thread calls ``PlaneSampler.image`` once per display
frame, so the GUI thread only hands a ready float32 image to pyqtgraph.

What the image holds follows the network's output:

* one output, classification: (r, r) P(class 1), in 0..1;
* softmax with K classes: (r, r, K) class probabilities, each pixel summing to 1;
* regression: (r, r) the predicted value, in the targets' units.
"""

from __future__ import annotations

import numpy as np

from nnviz.core import features, losses
from nnviz.core.datasets import Dataset
from nnviz.core.network import Network

Bounds = tuple[float, float, float, float]  # (xmin, xmax, ymin, ymax)
VALUE_LIMIT = 1e30  # a regression image's values are clipped to +-this


def square_bounds(data: Dataset) -> Bounds:
    """A square around every point (train and test) with a margin of a fifth of its side.

    Square, so that the plane is drawn without distortion; the margin lets the
    learner see what the network does beyond the data.
    """
    xmin, xmax, ymin, ymax = data.bounds(0.0)
    side = max(xmax - xmin, ymax - ymin, 1.0)
    half = side * (0.5 + 0.2)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return (cx - half, cx + half, cy - half, cy + half)


def grow_bounds(old: Bounds | None, data: Dataset) -> Bounds:
    """``old`` widened (never narrowed) to hold ``data``: a dragged point never makes the plane jump back."""
    new = square_bounds(data)
    if old is None:
        return new
    xmin, xmax = min(old[0], new[0]), max(old[1], new[1])
    ymin, ymax = min(old[2], new[2]), max(old[3], new[3])
    if (xmin, xmax, ymin, ymax) == tuple(old):
        return old
    side = max(xmax - xmin, ymax - ymin)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return (cx - side / 2, cx + side / 2, cy - side / 2, cy + side / 2)


def plane_points(bounds: Bounds, resolution: int) -> np.ndarray:
    """Pixel centres of a ``resolution`` x ``resolution`` image over ``bounds``, row-major (row = y)."""
    xmin, xmax, ymin, ymax = bounds
    step_x, step_y = (xmax - xmin) / resolution, (ymax - ymin) / resolution
    xs = xmin + (np.arange(resolution) + 0.5) * step_x
    ys = ymin + (np.arange(resolution) + 0.5) * step_y
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def probability32(network: Network, points: np.ndarray, buffers: list[np.ndarray] | None = None) -> np.ndarray:
    """``network.predict`` in float32 (m, outputs): plenty for a picture, and several times faster.

    The window computes this for tens of thousands of pixels every frame, on
    the training thread's time, so it is written for speed:

    * one unit per *row* (units x points): adding the biases then runs along
      rows of m numbers, not m rows of a few numbers (ten times faster);
    * each activation alone, without its derivative (training needs that, a
      picture does not); the sigmoid through tanh, which NumPy vectorises;
    * float32 buffers that ``PlaneSampler`` keeps between frames.

    The result is a new array.
    """
    a = np.ascontiguousarray(features.expand(np.asarray(points, dtype=np.float32), network.features).T)
    last = len(network.W) - 1
    if buffers is None:
        buffers = _buffers(network, a.shape[1])
    for k, (W, b, z) in enumerate(zip(network.W, network.b, buffers)):
        np.matmul(W.T.astype(np.float32), a, out=z)
        z += b.astype(np.float32).reshape(-1, 1)
        _activate(network.output_activation if k == last else network.activation, z)
        a = z
    return np.array(losses.probability(a.T, network.loss, network.output_activation), dtype=np.float32)


def _activate(name: str, z: np.ndarray) -> None:
    """The activation ``name`` of z (units x points), in place."""
    if name == "sigmoid":
        # 1 / (1 + e^-z) = (1 + tanh(z / 2)) / 2, without overflow for any z.
        z *= 0.5
        np.tanh(z, out=z)
        z *= 0.5
        z += 0.5
    elif name == "tanh":
        np.tanh(z, out=z)
    elif name == "relu":
        np.maximum(z, 0.0, out=z)
    elif name == "softmax":
        z -= z.max(axis=0)
        np.exp(z, out=z)
        z /= z.sum(axis=0)
    elif name != "linear":
        raise ValueError(f"no picture form for the activation {name!r}")


def _buffers(network: Network, m: int) -> list[np.ndarray]:
    return [np.empty((n, m), np.float32) for n in network.layers[1:]]


class PlaneSampler:
    """Remembers the grid of the last bounds, so each frame costs one forward pass only."""

    def __init__(self, resolution: int = 160) -> None:
        self.resolution = resolution
        self._bounds: Bounds | None = None
        self._points = np.empty((0, 2))
        self._buffers: tuple[tuple, list[np.ndarray]] = ((), [])

    def image(self, network: Network, bounds: Bounds) -> np.ndarray:
        """The network's prediction over the plane: a new float32 array, row 0 at ymin.

        (resolution, resolution) P(class 1) for one output, or the predicted
        value for regression; (resolution, resolution, K) class probabilities
        for a softmax output.
        """
        if bounds != self._bounds:
            self._bounds = bounds
            self._points = plane_points(bounds, self.resolution).astype(np.float32)
        key = (tuple(network.layers), network.features, len(self._points))
        if self._buffers[0] != key:
            self._buffers = (key, _buffers(network, len(self._points)))
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            p = probability32(network, self._points, self._buffers[1])
            r = self.resolution
            shape = (r, r) if network.outputs == 1 else (r, r, network.outputs)
            image = np.asarray(p, dtype=np.float32).reshape(shape)
        if network.regression:
            # A value in the targets' units; a diverged network's NaN shows as 0, and the range stays
            # far inside float32 so that a view may scale it.
            image = np.nan_to_num(image, nan=0.0, posinf=VALUE_LIMIT, neginf=-VALUE_LIMIT)
            return np.clip(image, -VALUE_LIMIT, VALUE_LIMIT, out=image)
        if network.outputs > 1:
            # A diverged softmax: every class equally likely.
            return np.nan_to_num(image, nan=1.0 / network.outputs, posinf=1.0, neginf=0.0)
        # A diverged network gives NaN: show it as undecided.  A linear output under MSE is not a
        # probability and may be far outside 0..1: the colour scale ends there, and so does the image
        # (the view multiplies it by 255, which would overflow float32).
        image = np.nan_to_num(image, nan=0.5, posinf=1.0, neginf=0.0)
        return np.clip(image, 0.0, 1.0, out=image)
