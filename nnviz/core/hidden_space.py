"""Where the data lands in a layer's space, the input plane's grid warped into it, and the output's decision line.

Layer 0 is the input itself; layers 1 … L−1 are the hidden layers'
activations; the last is the output's pre-activations (its logits).  A layer
of two units is drawn as it is; of one unit along a line; of more, either two
chosen units or a 2-D PCA projection of the current activations.  The PCA
axes are aligned with the previous frame's by orthogonal Procrustes, so the
picture does not flip or spin while the network trains.

Everything here is NumPy on arrays given to it: the panel runs it in a
background job on a copy of the shown network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core import activations, losses
from nnviz.core.datasets import Dataset
from nnviz.core.network import Network
from nnviz.core.plane import Bounds, square_bounds

GRID_LINES = 21
GRID_SAMPLES = 41  # points along each grid line: enough for its bends to look smooth


def network_inputs(network: Network, X: np.ndarray) -> np.ndarray:
    """The columns layer 0 sees for raw points X (m, 2): the one place here where points become inputs."""
    return network.inputs(X)


def layer_count(network: Network) -> int:
    """How many spaces can be shown: the input, each hidden layer, the output's logits."""
    return len(network.layers)


def layer_names(network: Network) -> list[str]:
    last = len(network.layers) - 1
    names = []
    for k, units in enumerate(network.layers):
        if k == 0:
            names.append(f"input ({', '.join(network.features)})")
            continue
        what = "output logits" if k == last else f"hidden layer {k}"
        names.append(f"{what} ({units} unit{'s' if units != 1 else ''})")
    return names


def layer_values(network: Network, X: np.ndarray, layer: int) -> np.ndarray:
    """Layer ``layer``'s values for points X: the inputs, a hidden layer's activations, or the output's z."""
    a = network_inputs(network, X)
    last = len(network.W) - 1
    for k in range(min(layer, last + 1)):
        z = a @ network.W[k] + network.b[k]
        a = z if k == last else activations.get(network.activation).apply(z)
    return a


def grid_lines(bounds: Bounds, lines: int = GRID_LINES, samples: int = GRID_SAMPLES) -> np.ndarray:
    """Points along ``lines`` vertical then ``lines`` horizontal lines over ``bounds``: shape (2·lines, samples, 2)."""
    xmin, xmax, ymin, ymax = bounds
    xs, ys = np.linspace(xmin, xmax, lines), np.linspace(ymin, ymax, lines)
    along_x, along_y = np.linspace(xmin, xmax, samples), np.linspace(ymin, ymax, samples)
    vertical = np.stack([np.repeat(xs[:, None], samples, 1), np.repeat(along_y[None, :], lines, 0)], axis=2)
    horizontal = np.stack([np.repeat(along_x[None, :], lines, 0), np.repeat(ys[:, None], samples, 1)], axis=2)
    return np.concatenate([vertical, horizontal])


@dataclass(frozen=True)
class Projection:
    """How a layer's values become 2-D points: ``(h − mean) @ basis`` (basis (n, 2))."""

    mean: np.ndarray  # (n,)
    basis: np.ndarray  # (n, 2)
    mode: str  # "direct", "line", "units" or "pca"
    units: tuple[int, int] | None = None  # the units shown, in "units" and "direct" mode
    explained: tuple[float, float] | None = None  # PCA: share of the variance along each axis

    def apply(self, values: np.ndarray) -> np.ndarray:
        return (values - self.mean) @ self.basis


def unit_projection(units: int, pair: tuple[int, int]) -> Projection:
    """Two units as the axes (or the only unit along x)."""
    if units == 1:
        return Projection(np.zeros(1), np.array([[1.0, 0.0]]), "line", (0, 0))
    basis = np.zeros((units, 2))
    basis[pair[0], 0] = basis[pair[1], 1] = 1.0
    return Projection(np.zeros(units), basis, "direct" if units == 2 else "units", pair)


def procrustes_rotation(basis: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """The 2×2 orthogonal R that brings ``basis @ R`` closest to ``previous`` (orthogonal Procrustes)."""
    u, _, vt = np.linalg.svd(basis.T @ previous)
    return u @ vt


def pca_projection(values: np.ndarray, previous: Projection | None = None) -> Projection:
    """The plane of the two largest principal components of ``values`` (m, n), turned to match ``previous``.

    PCA fixes the plane but not the axes' signs, nor their rotation when
    two variances are close: both may change from one frame to the next.
    Rotating (or mirroring) within the plane to the previous frame's basis
    keeps the picture still.
    """
    finite = values[np.all(np.isfinite(values), axis=1)]
    n = values.shape[1]
    if len(finite) < 2:
        return unit_projection(n, (0, 1)) if n > 1 else unit_projection(1, (0, 0))
    mean = finite.mean(axis=0)
    _, s, vt = np.linalg.svd(finite - mean, full_matrices=False)
    basis = vt[:2].T.copy()
    if basis.shape[1] < 2:
        basis = np.column_stack([basis, np.zeros(n)])
    if previous is not None and previous.mode == "pca" and previous.basis.shape == basis.shape:
        basis = basis @ procrustes_rotation(basis, previous.basis)
    variance = s ** 2
    total = variance.sum() or 1.0
    explained = (float(variance[0] / total), float(variance[1] / total) if len(s) > 1 else 0.0)
    return Projection(mean, basis, "pca", None, explained)


def decision_threshold(network: Network) -> float:
    """The output's z at the decision boundary: 0 for a sigmoid or logit output, 0.5 for a linear output under MSE."""
    if network.output_activation == "linear" and network.loss == "mse":
        return 0.5
    return 0.0


def decision_line(network: Network, projection: Projection) -> tuple[np.ndarray, float] | None:
    """The output's boundary w·h + b = t in the last hidden layer's space, as (normal, offset): normal·p = offset.

    ``p`` are the panel's 2-D coordinates: ``h = mean + basis @ p``.  With two
    units it is the boundary itself; with more, where the boundary crosses
    the plane shown.  None for a network with several outputs (softmax).
    """
    W, b = network.W[-1], network.b[-1]
    if W.shape[1] != 1 or network.task == "regression":
        return None  # several classes' boundaries are not one line; a regression has no classes
    w = W[:, 0]
    normal = projection.basis.T @ w
    offset = decision_threshold(network) - float(b[0, 0]) - float(w @ projection.mean)
    if not np.any(normal) or not np.all(np.isfinite(normal)) or not np.isfinite(offset):
        return None
    return normal, offset


def output_kind(network: Network) -> str:
    """What the output says at a place: "binary" (P(class 1)), "classes" (K softmax probabilities)
    or "values" (a regression's prediction)."""
    if network.task == "regression":
        return "values"
    return "classes" if network.W[-1].shape[1] > 1 else "binary"


def plane_points(rect: Bounds, resolution: int) -> np.ndarray:
    """The pixel centres' 2-D coordinates over ``rect``, row by row from ymin: shape (resolution², 2)."""
    xmin, xmax, ymin, ymax = rect
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, resolution), np.linspace(ymin, ymax, resolution))
    return np.column_stack([gx.ravel(), gy.ravel()])


# Pixels per side of the output's shading: its rectangle is three times the points' span (room for the
# view to keep a wider range), so about a third of them cross the points.
OUTPUT_RESOLUTION = 192


def output_over_plane(network: Network, projection: Projection, rect: Bounds,
                      resolution: int = OUTPUT_RESOLUTION) -> np.ndarray:
    """What the output says over ``rect`` of the last hidden layer's 2-D view, row 0 at ymin (float32).

    Each pixel is the hidden vector ``mean + basis @ p`` fed to the output
    layer: the colours the boundary view shows, drawn in the hidden space.
    One sigmoid output: P(class 1), (r, r).  Softmax: the K classes'
    probabilities, (r, r, K).  Regression: the prediction, (r, r).
    """
    hidden = projection.mean + plane_points(rect, resolution) @ projection.basis.T
    kind = output_kind(network)
    with np.errstate(all="ignore"):
        z = hidden @ network.W[-1] + network.b[-1]
        if kind == "classes":
            probabilities = activations.get("softmax").apply(z)
            image = np.nan_to_num(probabilities.astype(np.float32), nan=1.0 / z.shape[1])
            return np.clip(image, 0.0, 1.0).reshape(resolution, resolution, z.shape[1])
        if kind == "values":
            # A diverged network's predictions stay finite in float32 for the colour scale.
            finite = np.nan_to_num(z[:, 0], nan=0.0, posinf=1e30, neginf=-1e30)
            return np.clip(finite, -1e30, 1e30).astype(np.float32).reshape(resolution, resolution)
        p = losses.probability(activations.get(network.output_activation).apply(z), network.loss,
                               network.output_activation)
    image = np.nan_to_num(np.asarray(p[:, 0], dtype=np.float32), nan=0.5).reshape(resolution, resolution)
    return np.clip(image, 0.0, 1.0)


def class_margins(probabilities: np.ndarray) -> np.ndarray:
    """(K, r, r): how far each class's probability is above the best other class's (negative below).

    Class k's region is where its margin is positive; the class boundaries
    (where the two most likely classes tie) are the margins' zero contours.
    """
    rows = np.moveaxis(np.asarray(probabilities, dtype=np.float64), -1, 0)  # (K, r, r)
    order = np.sort(rows, axis=0)
    top, second = order[-1], order[-2]
    # The best other class is the top one, except for the top class itself, whose rival is the second.
    rival = np.where(rows == top, second, top)
    return rows - rival


def padded_bounds(points: np.ndarray, share: float) -> Bounds:
    """(xmin, xmax, ymin, ymax) around the finite points, each side widened by ``share`` of the span."""
    finite = points[np.all(np.isfinite(points), axis=1)]
    if not len(finite):
        return (-1.0, 1.0, -1.0, 1.0)
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    pad = np.maximum(hi - lo, 1e-6) * share
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))


@dataclass(frozen=True)
class HiddenSpace:
    """One frame of the panel: every array new, nothing shared with the network."""

    epoch: int
    layer: int
    units: int
    projection: Projection
    values: np.ndarray  # (m, n) the layer's values for the training points
    points: np.ndarray  # (m, 2) where they are drawn
    test_points: np.ndarray  # (m_test, 2)
    grid: np.ndarray  # (lines, samples, 2) the input plane's grid, warped and projected
    line: tuple[np.ndarray, float] | None  # the output's decision line (last hidden layer only)
    # What the output says at each place of the view (see ``output_over_plane``), and where it lies;
    # only where exact (the last hidden layer, drawn whole: at most two units).
    output_image: np.ndarray | None = None
    output_rect: Bounds | None = None
    output_kind: str = "binary"  # "binary", "classes" (softmax) or "values" (regression)


def compute(network: Network, data: Dataset, layer: int, epoch: int, mode: str = "units",
            pair: tuple[int, int] = (0, 1), previous: Projection | None = None,
            bounds: Bounds | None = None, every: int = 1) -> HiddenSpace:
    """Map the data and the input plane's grid into ``layer``'s space, projected to 2-D.

    ``mode`` ("units" or "pca") matters only for layers of more than two
    units; ``previous`` is the last frame's projection, for PCA's alignment.
    With ``every`` > 1 only every so many points are mapped (a picture of
    100,000 points shows no more than one of 5,000).
    """
    layer = max(0, min(int(layer), len(network.layers) - 1))
    units = network.layers[layer]
    bounds = bounds if bounds is not None else square_bounds(data)
    grid = grid_lines(bounds)
    with np.errstate(all="ignore"):
        values = layer_values(network, data.X[::every], layer)
        test_values = layer_values(network, data.X_test[::every], layer)
        grid_values = layer_values(network, grid.reshape(-1, 2), layer)
        if units > 2 and mode == "pca":
            projection = pca_projection(values, previous)
        else:
            pair = (pair[0] % units, pair[1] % units) if units > 1 else (0, 0)
            projection = unit_projection(units, pair)
        points = projection.apply(values)
        test_points = projection.apply(test_values)
        grid_points = projection.apply(grid_values).reshape(grid.shape)
    last_hidden = layer == len(network.layers) - 2
    line = decision_line(network, projection) if last_hidden else None
    image = rect = None
    kind = output_kind(network)
    # A binary output without a line (its weights all zero) says the same everywhere: nothing to shade.
    if last_hidden and units == 2 and (line is not None or kind != "binary"):
        # Wide enough to fill the view even when it keeps a larger range than this frame needs.
        rect = padded_bounds(np.concatenate([points, test_points, grid_points.reshape(-1, 2)]), 1.0)
        image = output_over_plane(network, projection, rect)
    return HiddenSpace(int(epoch), layer, units, projection, values, points, test_points, grid_points, line,
                       image, rect, kind)


def next_pair(pair: tuple[int, int], units: int, step: int = 1) -> tuple[int, int]:
    """The next pair of distinct units in the order (0,1), (0,2), … (1,2), … and round again."""
    pairs = [(i, j) for i in range(units) for j in range(i + 1, units)]
    if not pairs:
        return (0, 0)
    index = pairs.index(pair) if pair in pairs else -step
    return pairs[(index + step) % len(pairs)]
