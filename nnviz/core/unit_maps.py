"""What the network diagram draws besides the weights: unit maps, gradients and the next update.

TensorFlow Playground draws, inside every hidden neuron, a small heatmap of
that neuron's output over the input plane; the network diagram uses these
grids to do the same.  One forward pass over a grid gives every unit at once.

The diagram can also draw, on the same lines and units, the gradient of the
loss for every weight and bias, or the change the optimizer will make next.
These numbers cost a forward and backward pass over the batch, so they are
computed where the snapshot is built (the training thread) and only while the
diagram shows them (``DiagramNeeds``); the window's thread only draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.datasets import Dataset
from nnviz.core.inspect import next_update
from nnviz.core.network import Network
from nnviz.core.optimizers import Optimizer
from nnviz.core.plane import Bounds, plane_points
from nnviz.core.trainer import TrainSettings

MAP_RESOLUTION = 20


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


def map_levels(activation: str, grid: np.ndarray) -> tuple[float, float]:
    """The colour scale's ends for a layer's maps.

    Fixed per activation where its range is (sigmoid 0..1, tanh -1..1) and
    symmetric about 0 otherwise, so 0 is white for ReLU and linear units and a
    unit's colour can be compared across frames.
    """
    if activation == "sigmoid":
        return 0.0, 1.0
    if activation == "tanh":
        return -1.0, 1.0
    finite = np.abs(grid[np.isfinite(grid)])  # a diverged network's maps may be all NaN
    m = float(finite.max()) if finite.size else 1.0
    m = m if m > 0 else 1.0
    return -m, m


def coloured_unit_maps(network: Network, bounds: Bounds, palette: np.ndarray,
                       resolution: int = MAP_RESOLUTION) -> list[np.ndarray]:
    """The unit maps as ready pixels: one (units, resolution, resolution, 4) uint8 array per layer.

    ``palette`` is a (256, 3) RGB table, low to high.  The pixels are in the
    byte order of a 32-bit RGB image on a little-endian machine (blue, green,
    red, 255), and row 0 is the top of the plane (ymax), as an image's is, so
    the window only wraps them.
    """
    with np.errstate(all="ignore"):
        grids = unit_maps(network, bounds, resolution)
    palette = np.asarray(palette, dtype=np.uint8)
    # The palette in the image's byte order, with an opaque alpha byte.
    bgra = np.empty((len(palette), 4), np.uint8)
    bgra[:, 0], bgra[:, 1], bgra[:, 2], bgra[:, 3] = palette[:, 2], palette[:, 1], palette[:, 0], 255
    last = len(grids) - 1
    # Every unit of every layer in one stack, each with its layer's colour levels: a few array
    # operations in all rather than a few per layer (this runs for every frame while training).
    levels = [map_levels(network.output_activation if k == last else network.activation, grid)
              for k, grid in enumerate(grids)]
    sizes = [len(grid) for grid in grids]
    lo = np.repeat([level[0] for level in levels], sizes)[:, None, None]
    span = np.repeat([level[1] - level[0] for level in levels], sizes)[:, None, None]
    with np.errstate(all="ignore"):  # a diverging network's outputs overflow float32 here
        scaled = (np.nan_to_num(np.concatenate(grids)).astype(np.float64) - lo) / span * 255
    index = np.clip(np.nan_to_num(scaled), 0, 255).astype(np.uint8)
    # Row 0 of a grid is the bottom of the plane; row 0 of an image is its top.
    # One 32-bit word per pixel, looked up as such (several times faster than rows of 4 bytes).
    pixels = np.take(bgra.view(np.uint32).ravel(), index[:, ::-1, :]).view(np.uint8).reshape(*index.shape, 4)
    # Slices of one contiguous array along its first axis: each layer's block is contiguous too.
    return list(np.split(pixels, np.cumsum(sizes)[:-1]))


@dataclass(frozen=True)
class DiagramNeeds:
    """What the diagram shows besides the weights, so the training thread computes only that."""

    maps: bool = False  # the unit maps (needs ``palette``)
    gradients: bool = False  # the gradient, the next update and the units' activations
    palette: np.ndarray | None = None  # (256, 3) uint8, low to high
    resolution: int = MAP_RESOLUTION

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DiagramNeeds):
            return NotImplemented
        same_palette = (self.palette is other.palette or (
            self.palette is not None and other.palette is not None
            and np.array_equal(self.palette, other.palette)))
        return (self.maps, self.gradients, self.resolution) == (other.maps, other.gradients,
                                                                other.resolution) and same_palette

    __hash__ = None  # an array inside: compared, never hashed

    @property
    def any(self) -> bool:
        return (self.maps and self.palette is not None) or self.gradients


NOTHING = DiagramNeeds()


@dataclass(frozen=True, eq=False)
class DiagramExtras:
    """What ``DiagramNeeds`` asked for, for one network; every array is new and never written again."""

    maps: list[np.ndarray] | None  # per hidden and output layer, see ``coloured_unit_maps``
    bounds: Bounds | None  # the plane the maps cover
    gradient: np.ndarray | None  # dLoss/dparams (with the L1/L2 penalty), laid out like params
    step: np.ndarray | None  # what the next update adds to params
    activations: list[np.ndarray] | None  # per hidden and output layer: each unit's mean output on the batch
    batch: int  # how many points the gradient is over
    points: int  # how many training points there are
    stops: bool  # the loss is not finite: there is no next update

    def unit_gradients(self, network: Network) -> list[np.ndarray] | None:
        """Per hidden and output layer: dLoss/dz of each unit summed over the batch (its bias's gradient)."""
        return None if self.gradient is None else _bias_parts(network, self.gradient)

    def unit_steps(self, network: Network) -> list[np.ndarray] | None:
        return None if self.step is None else _bias_parts(network, self.step)


def _bias_parts(network: Network, flat: np.ndarray) -> list[np.ndarray]:
    """The bias rows of a vector laid out like ``params``, one array per layer."""
    parts, start = [], 0
    for fan_in, fan_out in zip(network.layers[:-1], network.layers[1:]):
        start += (fan_in + 1) * fan_out
        parts.append(flat[start - fan_out:start].copy())
    return parts


def weight_parts(network: Network, flat: np.ndarray) -> np.ndarray:
    """The weight entries (no biases) of a vector laid out like ``params``, in the order of ``W``'s ravel."""
    return flat[network.weight_mask == 1.0]


def diagram_extras(network: Network, data: Dataset, settings: TrainSettings, bounds: Bounds | None,
                   needs: DiagramNeeds, optimizer: Optimizer | None = None,
                   rng_state: dict | None = None) -> DiagramExtras:
    """Compute what ``needs`` asks for about ``network`` (which is only read).

    The gradient is the one the next update uses (its batch's, with the
    penalty), and the step is that update, from ``optimizer``'s state
    (``inspect.next_update``): "what training does next", with the same
    numbers as the step inspector.
    """
    maps = None
    if needs.maps and needs.palette is not None and bounds is not None:
        maps = coloured_unit_maps(network, bounds, needs.palette, needs.resolution)
    gradient = step = activations = None
    batch, stops = len(data.X), False
    if needs.gradients and len(data.X):
        with np.errstate(all="ignore"):
            update = next_update(network, data, settings, optimizer, rng_state)
            X = data.X if update.batch is None else data.X[update.batch]
            _, acts = network.forward(X)
        gradient, step, stops = update.gradient.copy(), update.step.copy(), update.stops
        batch = len(X)
        activations = [np.asarray(a.mean(axis=0)) for a in acts]
    return DiagramExtras(maps, bounds if maps is not None else None, gradient, step, activations, batch,
                         len(data.X), stops)
