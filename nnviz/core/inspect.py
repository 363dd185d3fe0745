"""Looking inside one training step: a weight's chain rule, its update, and a gradient check.

For a weight ``W_k[i, j]`` (layer k, from unit i of the layer below to unit j
of layer k) the chain rule, summed over the m samples, reads::

    dL/dW_k[i,j] = sum_s  a_{k-1}[s,i]  *  f'(z_k[s,j])  *  dL/da_k[s,j]
                          (dz/dw)          (da/dz)         (upstream)

where ``dL/da_k`` is ``2 (a - y) / m`` at the output of a mean-squared-error
network and ``dz_{k+1} @ W_{k+1}.T`` below it.  With cross-entropy on a
sigmoid output the loss and the output's derivative are folded into one factor
``dL/dz = (a - y) / m`` (their product simplifies, as in the engine), so the
chain there has one factor fewer.  A bias's ``dz/db`` is 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.network import Network, Pass
from nnviz.core.trainer import TrainSettings


@dataclass
class Factor:
    name: str  # e.g. "da/dz"
    formula: str  # e.g. "f'(z2[:, 0])"
    values: np.ndarray  # one value per sample


@dataclass
class WeightChain:
    """How one parameter's gradient comes about, and the step it will take."""

    label: str  # "W2[3,0]" or "b1[0,2]"
    layer: int  # 0-based
    row: int  # index into Wa[layer]: row == fan_in means the bias
    col: int
    value: float
    factors: list[Factor]  # per-sample factors whose product, summed, is the data gradient
    per_sample: np.ndarray  # the product of the factors for each sample
    data_gradient: float  # sum of per_sample: dLoss/dw
    penalty_gradient: float  # from L1/L2, added by the trainer
    gradient: float
    update: float  # -lr * gradient: the plain gradient-descent step at the current lr
    lr: float
    optimizer: str

    @property
    def is_bias(self) -> bool:
        return self.factors[-1].name == "dz/db"


def param_label(network: Network, layer: int, row: int, col: int) -> str:
    """``W{layer+1}[row,col]`` for a weight, ``b{layer+1}[0,col]`` for a bias (the tutorial's names)."""
    if row == network.layers[layer]:
        return f"b{layer + 1}[0,{col}]"
    return f"W{layer + 1}[{row},{col}]"


def param_labels(network: Network) -> list[str]:
    """A label for every entry of ``network.params``, in order."""
    labels = []
    for k, wa in enumerate(network.Wa):
        rows, cols = wa.shape
        labels.extend(param_label(network, k, r, c) for r in range(rows) for c in range(cols))
    return labels


def flat_index(network: Network, layer: int, row: int, col: int) -> int:
    start = sum(wa.size for wa in network.Wa[:layer])
    return start + row * network.Wa[layer].shape[1] + col


def locate(network: Network, index: int) -> tuple[int, int, int]:
    """(layer, row, col) of flat parameter ``index``; the inverse of ``flat_index``."""
    for k, wa in enumerate(network.Wa):
        if index < wa.size:
            return (k, *divmod(index, wa.shape[1]))
        index -= wa.size
    raise IndexError("parameter index out of range")


def weight_chain(network: Network, X: np.ndarray, y: np.ndarray, layer: int, row: int, col: int,
                 settings: TrainSettings | None = None, passes: Pass | None = None) -> WeightChain:
    """The chain of factors behind one parameter's gradient (see the module docstring)."""
    settings = settings or TrainSettings()
    p = passes if passes is not None else network.passes(X, y)
    last = layer == len(network.W) - 1
    n = layer + 1  # the tutorial's 1-based layer number
    m = len(p.X)
    factors: list[Factor] = []
    if last and network.loss == "mse":
        factors.append(Factor("dL/da", f"2 (a{n} - y) / m", 2.0 * (p.a[layer][:, col] - p.y[:, 0]) / m))
        factors.append(Factor("da/dz", f"f'(z{n}[:, {col}])", p.dact[layer][:, col]))
    elif last:
        # Cross-entropy and the output function combine into one factor.
        factors.append(Factor("dL/dz", f"dz{n}[:, {col}] (loss and output combined)", p.dz[layer][:, col]))
    else:
        upstream = p.dz[layer + 1] @ network.W[layer + 1][col]
        factors.append(Factor("dL/da", f"(dz{n + 1} @ W{n + 1}.T)[:, {col}]", upstream))
        factors.append(Factor("da/dz", f"f'(z{n}[:, {col}])", p.dact[layer][:, col]))
    bias = row == network.layers[layer]
    if bias:
        factors.append(Factor("dz/db", "1", np.ones(m)))
    else:
        below = p.X if layer == 0 else p.a[layer - 1]
        name = "X" if layer == 0 else f"a{layer}"
        factors.append(Factor("dz/dw", f"{name}[:, {row}]", below[:, row]))
    per_sample = np.prod([f.values for f in factors], axis=0)
    data_gradient = float(per_sample.sum())
    value = float(network.Wa[layer][row, col])
    penalty = 0.0
    if not bias:
        penalty = settings.l2 * value + settings.l1 * float(np.sign(value))
    gradient = data_gradient + penalty
    return WeightChain(param_label(network, layer, row, col), layer, row, col, value, factors, per_sample,
                       data_gradient, penalty, gradient, -settings.lr * gradient, settings.lr,
                       settings.optimizer)


@dataclass
class GradientCheck:
    analytic: np.ndarray
    numeric: np.ndarray
    relative: np.ndarray  # |analytic - numeric| / max(|analytic|, |numeric|, floor)
    labels: list[str]
    eps: float

    @property
    def worst(self) -> int:
        return int(np.argmax(self.relative))

    @property
    def max_relative(self) -> float:
        return float(self.relative.max())


def gradient_check(network: Network, X: np.ndarray, y: np.ndarray, eps: float = 1e-4,
                   floor: float = 1e-8) -> GradientCheck:
    """Backpropagation's gradient beside a finite-difference estimate, for every parameter.

    The estimate is built from central differences ``D(h) = (L(w + h) -
    L(w - h)) / 2h``.  One of them alone cannot reach 1e-6 relative agreement
    once the network has trained: its rounding error is about 1e-16 * L / h,
    which for h = 1e-6 is already 1e-11, as big as a tenth of a percent of
    the 1e-5 gradients of a trained XOR network.  So two step sizes are
    combined (Richardson extrapolation): ``(4 D(h/2) - D(h)) / 3`` cancels the
    h^2 error term, which lets h be 1e-4 and keeps both errors near 1e-13.

    ReLU has a kink at 0, where the derivative jumps; a difference whose
    step pushes some pre-activation across it measures neither side.  For a
    ReLU network h is therefore shrunk below the distance of the nearest
    pre-activation to the kink (never below 1e-7).

    The relative difference is floored at ``floor`` in the denominator so that
    parameters whose gradient is essentially zero (a dead ReLU) do not report
    noise as a failure.  The network is left exactly as it was.
    """
    analytic = network.gradient(X, y)
    eps = _step_size(network, X, eps)
    probe = network.copy()
    numeric = np.empty_like(analytic)

    def central(i: int, h: float) -> float:
        original = probe.params[i]
        probe.params[i] = original + h
        up = probe.loss_value(X, y)
        probe.params[i] = original - h
        down = probe.loss_value(X, y)
        probe.params[i] = original
        return (up - down) / (2.0 * h)

    for i in range(probe.params.size):
        numeric[i] = (4.0 * central(i, eps / 2) - central(i, eps)) / 3.0
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    relative = np.abs(analytic - numeric) / scale
    return GradientCheck(analytic, numeric, relative, param_labels(network), eps)


def _step_size(network: Network, X: np.ndarray, eps: float) -> float:
    if network.activation != "relu" or len(network.W) < 2:
        return eps
    zs, acts = network.forward(X)
    nearest = min(float(np.abs(z).min()) for z in zs[:-1])
    # A step h in one parameter moves a pre-activation by about h times the
    # largest input or activation feeding it.
    reach = max(1.0, float(np.abs(X).max()), *(float(np.abs(a).max()) for a in acts[:-1]))
    return float(np.clip(0.25 * nearest / reach, 1e-7, eps))
