"""The loss landscape: the loss on a 2-D slice of weight space around the current weights.

``L(θ + a·d₁ + b·d₂)`` over a grid of ``a, b ∈ [−1, 1]``, and the loss along
the straight line from the initial weights to the current ones.  Two choices
of directions, both from Li et al. (2018), "Visualizing the Loss Landscape of
Neural Nets":

- filter-normalised random directions: each unit's incoming weights get a
  random direction scaled to the norm of that unit's own weights (biases do
  not move), so that a step of 1 means the same for a large and a small unit;
- the top two principal directions of the weight trajectory (the history's
  snapshots minus the current weights), so the path training took lies in
  (or close to) the plane and can be drawn on it.

Thousands of weight vectors are evaluated per NumPy call: every layer's
weights for a chunk of grid points form one stack of matrices, and one
batched ``matmul`` runs the whole chunk's forward pass.  Chunks are sized so
that a layer's activations stay within a few MB; when the data alone would
exceed that (100,000 points), the data's rows are split into blocks too.

The loss is the one the optimizer minimises: the data's loss plus the
training settings' L1/L2 penalty on the weights (never the biases), as the
trainer computes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnviz.core import activations, losses
from nnviz.core.errors import ConfigError, Interrupted
from nnviz.core.hidden_space import network_inputs
from nnviz.core.network import Network

DEFAULT_RESOLUTION = 41
MAX_RESOLUTION = 101
MIN_RESOLUTION = 5
# The float64 elements one layer's activations may take for a chunk of weight vectors (2M = 16 MB).
CHUNK_ELEMENTS = 2_000_000
# The PCA plane is scaled so that the farthest snapshot lies at 0.8 of the grid's half-width:
# a grid node for 21, 41 and 101 points per side, with room around the path.
PATH_REACH = 0.8
# The second axis's scale is at least this share of the first's.
MIN_SECOND_REACH = 0.01
LINE_ALPHAS = (-0.5, 1.5)
LINE_POINTS = 81


@dataclass(frozen=True)
class Directions:
    """Two directions in weight space (rows of ``d``, laid out like ``Network.params``)."""

    d: np.ndarray  # (2, n_params)
    kind: str  # "random" or "pca"
    # The history's snapshots in the plane's coordinates (a, b), oldest first; None for random directions.
    path: np.ndarray | None = None
    path_epochs: np.ndarray | None = None
    explained: tuple[float, float] | None = None  # share of the trajectory's variance along d₁, d₂


@dataclass(frozen=True)
class Slice:
    """The loss over the grid; ``losses[i, j]`` is at a = axis[j], b = axis[i]."""

    axis: np.ndarray
    losses: np.ndarray
    directions: Directions

    @property
    def centre(self) -> float:
        """The loss at a = b = 0: the current weights' own loss."""
        mid = len(self.axis) // 2
        return float(self.losses[mid, mid])

    def at(self, a: float, b: float) -> float:
        """The loss at the grid node nearest to (a, b)."""
        step = self.axis[1] - self.axis[0]
        j = int(round((a - self.axis[0]) / step))
        i = int(round((b - self.axis[0]) / step))
        return float(self.losses[i, j])


@dataclass(frozen=True)
class Line:
    """The loss along θ₀ + α (θ − θ₀): α = 0 is the initial weights, α = 1 the current ones."""

    alphas: np.ndarray
    losses: np.ndarray


def grid_axis(resolution: int) -> np.ndarray:
    """``resolution`` values from −1 to 1, with 0 exactly in the middle (an odd count is required)."""
    half = (resolution - 1) // 2
    return np.arange(-half, half + 1, dtype=np.float64) / half


def check_resolution(resolution: int) -> int:
    resolution = int(resolution)
    if not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION or resolution % 2 == 0:
        raise ConfigError(f"the landscape's grid is an odd number of points per side from {MIN_RESOLUTION} "
                          f"to {MAX_RESOLUTION}, got {resolution}")
    return resolution


@dataclass(frozen=True)
class Penalty:
    """The training settings' weight penalty: ``l1·Σ|w| + ½·l2·Σw²`` over the weights, not the biases."""

    l1: float = 0.0
    l2: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.l1 or self.l2)

    def of(self, network: Network, thetas: np.ndarray) -> np.ndarray:
        """The penalty of each row of ``thetas`` (B, n_params), the trainer's formula."""
        weights = thetas * network.weight_mask
        out = np.zeros(len(thetas))
        if self.l2:
            out += 0.5 * self.l2 * np.einsum("ij,ij->i", weights, weights)
        if self.l1:
            out += self.l1 * np.abs(weights).sum(axis=1)
        return out


NO_PENALTY = Penalty()


# -- the loss of many weight vectors at once ------------------------------------------
def _layer_stacks(network: Network, thetas: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each layer's (W, b) for every row of ``thetas``: views of shape (B, fan_in, fan_out) and (B, 1, fan_out)."""
    stacks, start = [], 0
    for fan_in, fan_out in zip(network.layers[:-1], network.layers[1:]):
        size = (fan_in + 1) * fan_out
        wa = thetas[:, start:start + size].reshape(len(thetas), fan_in + 1, fan_out)
        stacks.append((wa[:, :fan_in], wa[:, fan_in:]))
        start += size
    return stacks


def batched_output(network: Network, thetas: np.ndarray, X: np.ndarray,
                   inputs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The output layer's activations and pre-activations, (B, m, K) each, for every weight vector in ``thetas``.

    ``inputs``: ``network.inputs(X)`` when the caller already has them.
    """
    a = network_inputs(network, X) if inputs is None else inputs
    last = len(network.layers) - 2
    z = a
    for k, (W, b) in enumerate(_layer_stacks(network, thetas)):
        z = np.matmul(a, W) + b  # (m, n) @ (B, n, k) broadcasts to (B, m, k)
        name = network.output_activation if k == last else network.activation
        a = z if name in ("linear", "softmax") else activations.get(name).apply(z)
    return a, z


def stacked_loss(output: np.ndarray, z: np.ndarray, y: np.ndarray, loss: str, output_activation: str) -> np.ndarray:
    """``losses.value`` for a stack of outputs (B, m, K): one loss per weight vector, shape (B,)."""
    axes = (1, 2)
    if loss == "mse":
        return np.mean((output - y) ** 2, axis=axes)
    if loss == "ce":
        # Softmax cross-entropy from the logits: mean(logsumexp(z) − z[label]).
        labels = np.asarray(y).reshape(-1).astype(np.intp)
        top = z.max(axis=2, keepdims=True)
        logsumexp = np.log(np.exp(z - top).sum(axis=2)) + top[..., 0]
        picked = np.take_along_axis(z, labels[None, :, None], axis=2)[..., 0]
        return np.mean(logsumexp - picked, axis=1)
    if output_activation == "linear":
        return np.mean(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z))), axis=axes)
    p = np.clip(output, losses.EPS, 1.0 - losses.EPS)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p), axis=axes)


def chunk_size(network: Network, points: int) -> int:
    """How many weight vectors one NumPy call evaluates: a layer's activations, and the chunk's
    weights, within ``CHUNK_ELEMENTS`` each."""
    widest = max(network.layers)
    return max(1, min(CHUNK_ELEMENTS // max(1, points * widest), CHUNK_ELEMENTS // network.params.size))


def block_rows(network: Network, points: int) -> int:
    """How many data rows one NumPy call takes: all of them unless one weight vector's activations
    over all the rows would exceed ``CHUNK_ELEMENTS`` (then as many as fit)."""
    return max(1, min(points, CHUNK_ELEMENTS // max(network.layers)))


def batched_loss(network: Network, thetas: np.ndarray, X: np.ndarray, y: np.ndarray,
                 progress: Callable[[int, int], None] | None = None,
                 stop: Callable[[], bool] | None = None, penalty: Penalty = NO_PENALTY) -> np.ndarray:
    """The loss of ``network``'s architecture with each row of ``thetas`` as its weights, on (X, y).

    Equal to ``Network.loss_value`` for each row (the same formulas), plus
    ``penalty`` of the row.  ``stop`` is asked between chunks (``Interrupted``
    when it says so); ``progress(done, total)`` is told after each.
    """
    thetas = np.asarray(thetas, dtype=np.float64).reshape(-1, network.params.size)
    return _chunked(network, len(thetas), lambda rows: thetas[rows], X, y, progress, stop, penalty)


def loss_along(network: Network, origin: np.ndarray, directions: np.ndarray, coefficients: np.ndarray,
               X: np.ndarray, y: np.ndarray, progress: Callable[[int, int], None] | None = None,
               stop: Callable[[], bool] | None = None, penalty: Penalty = NO_PENALTY) -> np.ndarray:
    """The loss at ``origin + coefficients @ directions``, one weight vector per row of ``coefficients``.

    The weight vectors are made a chunk at a time: a 101 × 101 grid of the
    largest network's weights would take gigabytes at once.
    """
    origin = np.asarray(origin, dtype=np.float64)
    directions = np.asarray(directions, dtype=np.float64).reshape(-1, network.params.size)
    coefficients = np.asarray(coefficients, dtype=np.float64).reshape(-1, len(directions))
    return _chunked(network, len(coefficients), lambda rows: origin + coefficients[rows] @ directions,
                    X, y, progress, stop, penalty)


def _chunked(network: Network, total: int, weights: Callable[[slice], np.ndarray], X: np.ndarray, y: np.ndarray,
             progress: Callable[[int, int], None] | None, stop: Callable[[], bool] | None,
             penalty: Penalty = NO_PENALTY) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    m = len(X)
    out = np.empty(total)
    step = chunk_size(network, m)
    rows_per_block = block_rows(network, m)
    with np.errstate(all="ignore"):
        inputs = network_inputs(network, X)
        for start in range(0, total, step):
            if stop is not None and stop():
                raise Interrupted()
            rows = slice(start, min(start + step, total))
            thetas = weights(rows)
            if rows_per_block >= m:
                output, z = batched_output(network, thetas, X, inputs)
                out[rows] = stacked_loss(output, z, y, network.loss, network.output_activation)
            else:
                # Every loss here is a mean over the rows: each block's mean weighs by its share of them.
                out[rows] = 0.0
                for first in range(0, m, rows_per_block):
                    if stop is not None and stop():
                        raise Interrupted()
                    block = slice(first, min(first + rows_per_block, m))
                    output, z = batched_output(network, thetas, X[block], inputs[block])
                    out[rows] += stacked_loss(output, z, y[block], network.loss,
                                              network.output_activation) * ((block.stop - block.start) / m)
            if penalty:
                out[rows] += penalty.of(network, thetas)
            if progress is not None:
                progress(rows.stop, total)
    return out


# -- directions -----------------------------------------------------------------------------
def filter_normalised(network: Network, seed: int) -> np.ndarray:
    """A random direction: each unit's incoming weights scaled to that unit's own weights' norm; biases 0."""
    rng = np.random.default_rng(seed)
    d = np.zeros_like(network.params)
    start = 0
    for W in network.W:
        fan_in, fan_out = W.shape
        r = rng.standard_normal((fan_in, fan_out))
        norms = np.linalg.norm(r, axis=0)
        scale = np.divide(np.linalg.norm(W, axis=0), norms, out=np.zeros(fan_out), where=norms > 0)
        block = np.zeros((fan_in + 1, fan_out))
        block[:fan_in] = r * scale
        d[start:start + block.size] = block.ravel()
        start += block.size
    return d


def random_directions(network: Network, seed: int) -> Directions:
    """Two filter-normalised random directions (seeds ``seed`` and ``seed + 1``)."""
    return Directions(np.stack([filter_normalised(network, seed), filter_normalised(network, seed + 1)]), "random")


def pca_directions(network: Network, trajectory: np.ndarray, epochs: np.ndarray | None = None,
                   max_rows: int | None = None) -> Directions:
    """The top two principal directions of ``trajectory − θ`` (one snapshot's params per row).

    With ``max_rows``, the directions come from that many snapshots chosen
    evenly (the SVD's cost grows with the square of the rows); every
    snapshot is still projected onto them.

    Each direction is scaled so that the farthest snapshot lies at
    ``PATH_REACH`` along it; the snapshots' coordinates in the plane come with
    it.  A trajectory with a single direction of change gets a second one at
    random (filter-normalised, made orthogonal to the first).
    """
    trajectory = np.asarray(trajectory, dtype=np.float64).reshape(-1, network.params.size)
    diffs = trajectory - network.params
    if len(trajectory) < 2 or not np.all(np.isfinite(diffs)) or not np.any(diffs):
        raise ConfigError("the training path needs at least two different snapshots in the history: "
                          "train a little first, or use random directions")
    rows = diffs
    if max_rows is not None and len(diffs) > max_rows:
        rows = diffs[np.unique(np.linspace(0, len(diffs) - 1, max_rows).round().astype(int))]
    _, s, vt = np.linalg.svd(rows, full_matrices=False)
    units = [vt[0]]
    if len(s) > 1 and s[1] > s[0] * 1e-9:
        units.append(vt[1])
    else:
        extra = filter_normalised(network, 0)
        extra -= units[0] * (extra @ units[0])
        norm = np.linalg.norm(extra)
        if norm == 0:
            extra = np.zeros_like(extra)
            extra[int(np.argmin(np.abs(units[0])))] = 1.0
            extra -= units[0] * (extra @ units[0])
            norm = np.linalg.norm(extra)
        units.append(extra / norm)
    units = np.stack(units)
    coords = diffs @ units.T  # (T, 2) in the units' lengths
    reach = np.abs(coords).max(axis=0) / PATH_REACH
    # Each axis is scaled to the path's extent along it, so a bend in the path shows; but a
    # path that barely leaves a straight line is not blown up from rounding noise.
    reach[1] = max(reach[1], reach[0] * MIN_SECOND_REACH)
    variance = s ** 2
    explained = (float(variance[0] / variance.sum()), float(variance[1] / variance.sum()) if len(s) > 1 else 0.0)
    return Directions(units * reach[:, None], "pca", coords / reach, None if epochs is None else np.asarray(epochs),
                      explained)


# -- the slice and the line ------------------------------------------------------------
def compute_slice(network: Network, X: np.ndarray, y: np.ndarray, directions: Directions,
                  resolution: int = DEFAULT_RESOLUTION, progress: Callable[[int, int], None] | None = None,
                  stop: Callable[[], bool] | None = None, penalty: Penalty = NO_PENALTY) -> Slice:
    """The loss (plus ``penalty``) at θ + a·d₁ + b·d₂ over a ``resolution``² grid of a, b ∈ [−1, 1]."""
    axis = grid_axis(check_resolution(resolution))
    b_grid, a_grid = np.meshgrid(axis, axis, indexing="ij")
    coefficients = np.column_stack([a_grid.ravel(), b_grid.ravel()])
    values = loss_along(network, network.params, directions.d, coefficients, X, y, progress, stop, penalty)
    return Slice(axis, values.reshape(len(axis), len(axis)), directions)


def interpolation_line(network: Network, initial: np.ndarray, X: np.ndarray, y: np.ndarray,
                       count: int = LINE_POINTS, stop: Callable[[], bool] | None = None,
                       penalty: Penalty = NO_PENALTY) -> Line:
    """The loss along the straight line through the initial weights (α = 0) and the current ones (α = 1)."""
    alphas = np.linspace(*LINE_ALPHAS, count)
    initial = np.asarray(initial, dtype=np.float64)
    return Line(alphas, loss_along(network, initial, network.params - initial, alphas[:, None], X, y, stop=stop,
                                   penalty=penalty))


@dataclass(frozen=True)
class Landscape:
    """What the panel draws: the slice, the line (None without an initial snapshot) and whose they are."""

    slice: Slice
    line: Line | None
    epoch: int
    seconds: float
    penalty: Penalty = NO_PENALTY  # included in every loss drawn


def compute(network: Network, X: np.ndarray, y: np.ndarray, directions: Directions, epoch: int,
            initial: np.ndarray | None = None, resolution: int = DEFAULT_RESOLUTION,
            progress: Callable[[int, int], None] | None = None,
            stop: Callable[[], bool] | None = None, penalty: Penalty = NO_PENALTY) -> Landscape:
    """The slice and the interpolation line together, with one progress count over both.

    ``penalty``: the training settings' L1/L2, added to every loss so that the
    picture is of what the optimizer minimises.
    """
    import time

    started = time.perf_counter()
    n = check_resolution(resolution) ** 2
    line_points = LINE_POINTS if initial is not None else 0
    total = n + line_points
    report = None if progress is None else (lambda done, _total: progress(done, total))
    slice_ = compute_slice(network, X, y, directions, resolution, report, stop, penalty)
    line = None
    if initial is not None:
        line = interpolation_line(network, initial, X, y, line_points, stop, penalty)
        if progress is not None:
            progress(total, total)
    return Landscape(slice_, line, int(epoch), time.perf_counter() - started, penalty)


def log_levels(values: np.ndarray, count: int = 8) -> np.ndarray:
    """``count`` contour levels of log10(loss), evenly spaced over the finite values' range."""
    finite = values[np.isfinite(values)]
    if not len(finite) or finite.max() - finite.min() < 1e-12:
        return np.empty(0)
    low, high = float(finite.min()), float(finite.max())
    return np.linspace(low, high, count + 2)[1:-1]


def log_loss(values: np.ndarray) -> np.ndarray:
    """log10 of the losses, with losses of 0 and overflow kept finite (for a colour scale)."""
    with np.errstate(all="ignore"):
        out = np.log10(np.clip(values, 1e-300, None))
    return np.nan_to_num(out, nan=math.log10(1e300), posinf=300.0, neginf=-300.0)
