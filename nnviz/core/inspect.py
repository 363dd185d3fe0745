"""Looking inside one training step: a weight's chain rule, its next update, and a gradient check.

For a weight ``W_k[i, j]`` (layer k, from unit i of the layer below to unit j
of layer k) the chain rule, summed over the m samples, reads::

    dL/dW_k[i,j] = sum_s  a_{k-1}[s,i]  *  f'(z_k[s,j])  *  dL/da_k[s,j]
                          (dz/dw)          (da/dz)         (upstream)

where ``dL/da_k`` is ``2 (a - y) / m`` at the output of a mean-squared-error
network and ``dz_{k+1} @ W_{k+1}.T`` below it.  With cross-entropy on a
sigmoid output the loss and the output's derivative are folded into one factor
``dL/dz = (a - y) / m`` (their product simplifies, as in the engine), so the
chain there has one factor fewer; so has a softmax output with categorical
cross-entropy, whose combined factor is ``dL/dz = (p - onehot(y)) / m``
(column j: ``p_j - [y = j]``).  A bias's ``dz/db`` is 1.

For a weight of layer 1, ``a_0`` is what the first layer sees: the point's
features (x1, x2 by default; x1², sin(x2)... when chosen), so ``dz/dw`` is
the value of the weight's feature at each point.

The L1/L2 penalty is written out here a second time, independently of the
trainer, so that tests can hold the two against each other (as the readable
pass is held against the fused kernel).
"""

from __future__ import annotations

from collections.abc import Callable

import math
from dataclasses import dataclass, replace

import numpy as np

from nnviz.core import features, optimizers
from nnviz.core.datasets import Dataset
from nnviz.core.network import Network, Pass
from nnviz.core.optimizers import Optimizer
from nnviz.core.trainer import Trainer, TrainSettings


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def unit_name(layer: int, unit: int, n_layers: int, network: Network | None = None) -> str:
    """The diagram's names: inputs x₁, x₂ (or the network's features: x₁², sin(x₂)...), hidden units
    h1.3 (1-based), the output ŷ, or ŷ₁ … ŷ_K for K softmax outputs (ŷ_k is class k - 1's probability).

    Without ``network`` the inputs are x₁, x₂, x₃... and the output is one unit (the old call).
    """
    if layer == 0:
        if network is None:
            return "x" + str(unit + 1).translate(_SUBSCRIPTS)  # x₁, x₂ (and x₃... for a caller that passes no network)
        return features.label(network.features[unit])
    if layer == n_layers - 1:
        if network is not None and network.outputs > 1:
            return "ŷ" + str(unit + 1).translate(_SUBSCRIPTS)
        return "ŷ"
    return f"h{layer}.{unit + 1}"


def param_name(network: Network, layer: int, row: int, col: int) -> str:
    """``W{layer+1}[row,col]`` for a weight, ``b{layer+1}[0,col]`` for a bias (the tutorial's names)."""
    if row == network.layers[layer]:
        return f"b{layer + 1}[0,{col}]"
    return f"W{layer + 1}[{row},{col}]"


def param_units(network: Network, layer: int, row: int, col: int) -> str:
    """What the parameter connects, in the diagram's unit names: ``h1.3 → ŷ`` or ``bias of h1.2``."""
    n = len(network.layers)
    target = unit_name(layer + 1, col, n, network)
    if row == network.layers[layer]:
        return f"bias of {target}"
    return f"{unit_name(layer, row, n, network)} → {target}"


def param_label(network: Network, layer: int, row: int, col: int) -> str:
    """The tutorial's name and the diagram's: ``W2[2,0] (h1.3 → ŷ)``."""
    return f"{param_name(network, layer, row, col)} ({param_units(network, layer, row, col)})"


def param_labels(network: Network) -> list[str]:
    """A label for every entry of ``network.params``, in order."""
    return [param_label(network, *locate(network, i)) for i in range(network.params.size)]


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


def penalty(network: Network, settings: TrainSettings) -> float:
    """The L1/L2 penalty added to the loss: ``l2/2 Σw² + l1 Σ|w|`` over the weights, never the biases."""
    w = network.params[network.weight_mask == 1.0]
    return 0.5 * settings.l2 * float(w @ w) + settings.l1 * float(np.abs(w).sum())


def penalty_gradient(network: Network, settings: TrainSettings) -> np.ndarray:
    """The penalty's share of the gradient, laid out like ``params`` (zero for every bias)."""
    p = network.params
    return (settings.l2 * p + settings.l1 * np.sign(p)) * network.weight_mask


def pass_gradient(p: Pass) -> np.ndarray:
    """The data gradient of a readable pass as a flat vector laid out like ``params``."""
    return np.concatenate([np.vstack([dW, db]).ravel() for dW, db in zip(p.dW, p.db)])


@dataclass
class Factor:
    name: str  # e.g. "da/dz"
    formula: str  # e.g. "f'(z2[:, 0])"
    values: np.ndarray  # one value per sample


@dataclass
class WeightChain:
    """How one parameter's gradient over all training points comes about."""

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

    @property
    def is_bias(self) -> bool:
        return self.factors[-1].name == "dz/db"


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
    elif last and network.loss == "ce":
        # Softmax and categorical cross-entropy combine into one factor: p_j - [y = j], over m.
        factors.append(Factor("dL/dz", f"(p{col + 1} - [y = {col}]) / m (softmax and cross-entropy combined)",
                              p.dz[layer][:, col]))
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
        below = p.inputs if layer == 0 else p.a[layer - 1]
        if layer == 0 and not features.is_default(network.features):
            formula = f"{network.features[row]} of each point"  # the chain's first factor is the feature
        else:
            formula = f"{'X' if layer == 0 else f'a{layer}'}[:, {row}]"
        factors.append(Factor("dz/dw", formula, below[:, row]))
    per_sample = np.prod([f.values for f in factors], axis=0)
    data_gradient = float(per_sample.sum())
    value = float(network.Wa[layer][row, col])
    penalty_share = 0.0 if bias else settings.l2 * value + settings.l1 * float(np.sign(value))
    return WeightChain(param_name(network, layer, row, col), layer, row, col, value, factors, per_sample,
                       data_gradient, penalty_share, data_gradient + penalty_share)


@dataclass
class NextUpdate:
    """The change the optimizer will make to every parameter at its next update."""

    step: np.ndarray  # new params - params, laid out like params; zero if training stops here
    gradient: np.ndarray  # the gradient that update uses: its batch's, with the L1/L2 penalty
    batch: np.ndarray | None  # indices of the points in the next mini-batch; None: all points
    batches: int  # updates in one epoch
    optimizer: str
    stops: bool  # the loss is not finite: the trainer stops before updating
    sentences: tuple[str, ...]  # in plain words: how the step is made, and from which points

    @property
    def description(self) -> str:
        return " ".join(self.sentences)


def next_update(network: Network, data: Dataset, settings: TrainSettings, optimizer: Optimizer | None = None,
                rng_state: dict | None = None,
                full_batch: tuple[float, np.ndarray] | None = None) -> NextUpdate:
    """The very next step training will take from these weights.

    ``optimizer`` is the trainer's optimizer (its velocity or moments), left
    unchanged; without it, or if it is not of ``settings.optimizer``'s kind,
    the step is the first of a fresh optimizer.  ``rng_state`` is the
    trainer's ``rng_state``: with mini-batches it foresees the next batch (the
    first of the next epoch); without it the batch is the first of a new run
    with ``settings.seed``.  ``full_batch`` may give the loss and gradient
    over all points (with the penalty) if they are already at hand; they are
    used only when the update is a full-batch one.
    """
    n = len(data.X)
    size = settings.batch_size
    fresh = optimizer is None or optimizer.name != settings.optimizer or optimizer.size != network.params.size
    opt = optimizers.make(settings.optimizer, network.params.size, settings.lr) if fresh else optimizer.copy()
    opt.lr = settings.lr
    if size is None or size >= n:
        batch, batches = None, 1
        loss, gradient = full_batch if full_batch is not None else _training_pass(network, data.X, data.y,
                                                                                  settings)
    else:
        shuffler = np.random.default_rng(settings.seed)
        if rng_state is not None:
            shuffler.bit_generator.state = rng_state
        batch, batches = shuffler.permutation(n)[:size], math.ceil(n / size)
        loss, gradient = _training_pass(network, data.X[batch], data.y[batch], settings)
    stops = not (math.isfinite(loss) and np.all(np.isfinite(gradient)))
    step = np.zeros_like(network.params) if stops else opt.preview(network.params, gradient)
    words = _rule(opt, settings.lr, fresh)
    if batch is None:
        words.append(f"The gradient is over all {n} points.")
    else:
        words.append(f"The gradient is over the next mini-batch: {len(batch)} of the {n} points, "
                     f"the first of {batches} updates in the next epoch.")
        if rng_state is None:
            words.append(f"Its points are the first batch of a new run with shuffle seed {settings.seed}.")
    if stops:
        words = ["The loss is not a finite number, so training stops here: there is no next update."]
    return NextUpdate(step, gradient, batch, batches, settings.optimizer, stops, tuple(words))


def _training_pass(network: Network, X: np.ndarray, y: np.ndarray, settings: TrainSettings
                   ) -> tuple[float, np.ndarray]:
    """Loss and gradient of these points with the penalty, computed by the pass that trains."""
    data = Dataset(X, y, task=network.task)
    return Trainer(network, data, replace(settings, batch_size=None)).gradient()


def _rule(opt: Optimizer, lr: float, fresh: bool) -> list[str]:
    if isinstance(opt, optimizers.Momentum):
        words = [f"Momentum: the step is {opt.beta:g} × the previous step − lr × gradient, with lr {lr:g}."]
        return words + ["There is no previous step yet: training starts here."] if fresh else words
    if isinstance(opt, optimizers.Adam):
        words = [f"Adam, update {opt.t + 1}: the step is −lr × m / (√v + ε), with lr {lr:g}.",
                 "m and v are running averages of the gradient and of its square, "
                 "corrected for starting at zero."]
        return words + ["Training starts here."] if fresh else words
    return [f"Plain gradient descent: the step is −lr × gradient, with lr {lr:g}."]


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


def gradient_check(network: Network, data: Dataset, settings: TrainSettings | None = None, eps: float = 1e-4,
                   floor: float = 1e-8, progress: Callable[[int, int], bool] | None = None) -> GradientCheck | None:
    """The training pass's gradient beside a finite-difference estimate, for every parameter.

    The gradient checked is the one training uses: ``Trainer.gradient``, the
    fused kernel over every training point plus the L1/L2 penalty's gradient
    (with mini-batch settings too: the check is about the arithmetic, not the
    batches).  The estimate differentiates the same objective, loss plus
    penalty, computed independently: the readable forward pass and this
    module's ``penalty``.

    The estimate is built from central differences ``D(h) = (L(w + h) -
    L(w - h)) / 2h``.  One of them alone cannot reach 1e-6 relative agreement
    once the network has trained: its rounding error is about 1e-16 * L / h,
    which for h = 1e-6 is already 1e-11, as big as a tenth of a percent of
    the 1e-5 gradients of a trained XOR network.  So two step sizes are
    combined (Richardson extrapolation): ``(4 D(h/2) - D(h)) / 3`` cancels the
    h^2 error term, which lets h be 1e-4 and keeps both errors near 1e-13.

    ReLU has a kink at 0, where the derivative jumps, and so has the L1
    penalty; a difference whose step crosses a kink measures neither side.
    For a ReLU network h is therefore shrunk below the distance of the
    nearest pre-activation to the kink, and with L1 below the smallest
    weight's distance to 0 (never below 1e-7).

    The relative difference is floored at ``floor`` in the denominator so that
    parameters whose gradient is essentially zero (a dead ReLU) do not report
    noise as a failure.  The network is left exactly as it was.

    ``progress(done, total)`` is called after each parameter; when it returns
    False the check stops and returns None (the window's Cancel, or quitting).
    """
    settings = settings or TrainSettings()
    X, y = data.X, data.y
    _, analytic = Trainer(network.copy(), data, settings).gradient()
    eps = _step_size(network, X, eps, settings)
    probe = network.copy()
    numeric = np.empty_like(analytic)

    def central(i: int, h: float) -> float:
        original = probe.params[i]
        probe.params[i] = original + h
        up = probe.loss_value(X, y) + penalty(probe, settings)
        probe.params[i] = original - h
        down = probe.loss_value(X, y) + penalty(probe, settings)
        probe.params[i] = original
        return (up - down) / (2.0 * h)

    for i in range(probe.params.size):
        numeric[i] = (4.0 * central(i, eps / 2) - central(i, eps)) / 3.0
        if progress is not None and not progress(i + 1, probe.params.size):
            return None
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    relative = np.abs(analytic - numeric) / scale
    return GradientCheck(analytic, numeric, relative, param_labels(network), eps)


def _step_size(network: Network, X: np.ndarray, eps: float, settings: TrainSettings) -> float:
    if settings.l1:
        weights = np.abs(network.params[network.weight_mask == 1.0])
        eps = float(np.clip(0.25 * weights.min(), 1e-7, eps))
    if network.activation != "relu" or len(network.W) < 2:
        return eps
    zs, acts = network.forward(X)
    nearest = min(float(np.abs(z).min()) for z in zs[:-1])
    # A step h in one parameter moves a pre-activation by about h times the
    # largest input (feature) or activation feeding it.
    reach = max(1.0, float(np.abs(network.inputs(X)).max()), *(float(np.abs(a).max()) for a in acts[:-1]))
    return float(np.clip(0.25 * nearest / reach, 1e-7, eps))
