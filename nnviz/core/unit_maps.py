"""What each hidden unit computes: its output over the input plane.

TensorFlow Playground draws, inside every hidden neuron, a small heatmap of
that neuron's output over the input plane; the network diagram uses these
grids to do the same.  One forward pass over a grid gives every unit at once.
"""

from __future__ import annotations

import numpy as np

from nnviz.core.network import Network


def grid(bounds: tuple[float, float, float, float], resolution: int) -> np.ndarray:
    """Points of a ``resolution`` x ``resolution`` grid over (xmin, xmax, ymin, ymax), row-major.

    Row r of the image is y = ymin + r * step, column c is x = xmin + c * step,
    matching a pyqtgraph ``ImageItem`` given the transposed image or a
    ``QImage`` drawn bottom-up.
    """
    xmin, xmax, ymin, ymax = bounds
    xs = np.linspace(xmin, xmax, resolution)
    ys = np.linspace(ymin, ymax, resolution)
    gx, gy = np.meshgrid(xs, ys)
    return np.c_[gx.ravel(), gy.ravel()]


def unit_maps(network: Network, bounds: tuple[float, float, float, float],
              resolution: int = 24) -> list[np.ndarray]:
    """Each layer's unit outputs over the plane: a list, one per layer (hidden and output).

    Entry k has shape (units_k, resolution, resolution), float32, where
    ``[u, r, c]`` is unit u's activation at grid row r (y) and column c (x).
    The values are the activations themselves (sigmoid in 0..1, tanh in -1..1,
    ReLU unbounded), so the caller chooses the colour levels per activation.
    """
    points = grid(bounds, resolution)
    _, acts = network.forward(points)
    return [np.ascontiguousarray(a.T.reshape(a.shape[1], resolution, resolution), dtype=np.float32)
            for a in acts]
