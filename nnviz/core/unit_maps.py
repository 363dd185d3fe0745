"""What each hidden unit computes: its output over the input plane.

TensorFlow Playground draws, inside every hidden neuron, a small heatmap of
that neuron's output over the input plane; the network diagram uses these
grids to do the same.  One forward pass over a grid gives every unit at once.
"""

from __future__ import annotations

import numpy as np

from nnviz.core.network import Network
from nnviz.core.plane import plane_points


def unit_maps(network: Network, bounds: tuple[float, float, float, float],
              resolution: int = 24) -> list[np.ndarray]:
    """Each layer's unit outputs over the plane: a list, one per layer (hidden and output).

    Entry k has shape (units_k, resolution, resolution), float32, where
    ``[u, r, c]`` is unit u's activation at pixel row r (y, from ymin) and
    column c (x), on the same pixel centres as the decision boundary
    (``plane.plane_points``), so a unit's map lines up with the boundary.
    The values are the activations themselves (sigmoid in 0..1, tanh in -1..1,
    ReLU unbounded), so the caller chooses the colour levels per activation.
    """
    points = plane_points(bounds, resolution)
    _, acts = network.forward(points)
    return [np.ascontiguousarray(a.T.reshape(a.shape[1], resolution, resolution), dtype=np.float32)
            for a in acts]
