"""The multilayer perceptron: its parameters, and a readable forward and backward pass.

All weights and biases live in one flat float64 vector, ``params``.  Layer k
sees it as an augmented matrix ``Wa[k]`` of shape (fan_in + 1, fan_out) whose
first fan_in rows are ``W[k]`` (the tutorial's shape, (fan_in, fan_out)) and
whose last row is ``b[k]`` (shape (1, fan_out)).  The flat layout lets an
optimizer update every parameter in one NumPy call and lets the training
kernel fold the bias into the matrix product; ``W[k]`` and ``b[k]`` are views,
so writing to them writes to the network.

``forward`` and ``backward`` here allocate fresh arrays and follow the
tutorial's equations one to one.  The step inspector and the gradient checks
use them; the training kernel (``kernel.py``) computes the same numbers with
preallocated buffers, and a test holds the two equal.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnviz.core import activations, losses
from nnviz.core.errors import ConfigError, Interrupted

MAX_HIDDEN_LAYERS = 8
MAX_UNITS = 64
INPUTS = 2
OUTPUTS = 1
INIT_METHODS = ("tutorial", "xavier", "he")
OUTPUT_ACTIVATIONS = ("sigmoid", "linear")
# Rows per block of ``Network.evaluate``: a few MB of activations even for the largest network.
EVALUATION_ROWS = 8192


def check_architecture(layers, activation: str, output_activation: str, loss: str) -> list[int]:
    """Validate an architecture; returns the layer sizes as a list of ints."""
    layers = [int(n) for n in layers]
    if len(layers) < 2 or layers[0] != INPUTS or layers[-1] != OUTPUTS:
        raise ConfigError(f"layers must run from {INPUTS} inputs to {OUTPUTS} output, got {layers}")
    hidden = layers[1:-1]
    if len(hidden) > MAX_HIDDEN_LAYERS:
        raise ConfigError(f"at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(hidden)}")
    for n in hidden:
        if not 1 <= n <= MAX_UNITS:
            raise ConfigError(f"a hidden layer has 1 to {MAX_UNITS} units, got {n}")
    activations.get(activation)
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ConfigError(f"unknown output activation {output_activation!r}; choose sigmoid or linear")
    losses.check(loss)
    return layers


def param_count(layers: list[int]) -> int:
    return sum((a + 1) * b for a, b in zip(layers[:-1], layers[1:]))


@dataclass
class Pass:
    """Every intermediate of one forward and backward pass, for the inspector."""

    X: np.ndarray
    y: np.ndarray
    z: list[np.ndarray]  # pre-activations, one per layer
    a: list[np.ndarray]  # activations, one per layer (a[-1] is the output)
    dact: list[np.ndarray]  # f'(z), one per layer
    dz: list[np.ndarray]  # dLoss/dz, one per layer
    dW: list[np.ndarray]
    db: list[np.ndarray]
    loss: float


class Network:
    def __init__(self, layers, activation: str = "sigmoid", output_activation: str = "sigmoid",
                 loss: str = "mse", params: np.ndarray | None = None) -> None:
        self.layers = check_architecture(layers, activation, output_activation, loss)
        self.activation = activation
        self.output_activation = output_activation
        self.loss = loss
        self.params = np.zeros(param_count(self.layers))
        if params is not None:
            self.params[:] = params
        self._bind_views()

    def _bind_views(self) -> None:
        self.Wa, self.W, self.b = [], [], []
        start = 0
        for fan_in, fan_out in zip(self.layers[:-1], self.layers[1:]):
            size = (fan_in + 1) * fan_out
            wa = self.params[start:start + size].reshape(fan_in + 1, fan_out)
            self.Wa.append(wa)
            self.W.append(wa[:fan_in])
            self.b.append(wa[fan_in:])
            start += size

    # -- construction -------------------------------------------------------
    @classmethod
    def initialised(cls, layers, activation="sigmoid", output_activation="sigmoid", loss="mse",
                    init: str = "tutorial", seed: int = 42) -> Network:
        net = cls(layers, activation, output_activation, loss)
        net.initialise(init, seed)
        return net

    def initialise(self, init: str = "tutorial", seed: int = 42) -> None:
        """Draw new weights; biases start at zero.

        ``tutorial`` is the article's scheme to the bit: ``np.random.seed(seed)``
        and then ``randn(fan_in, fan_out) * 0.5`` for each layer in order.
        """
        if init not in INIT_METHODS:
            raise ConfigError(f"unknown init {init!r}; choose one of {', '.join(INIT_METHODS)}")
        if init == "tutorial":
            np.random.seed(seed)
            draw = np.random.randn  # draw(rows, cols), the article's call
        else:
            rng = np.random.default_rng(seed)
            draw = lambda rows, cols: rng.standard_normal((rows, cols))
        self.params[:] = 0.0
        for W in self.W:
            fan_in, fan_out = W.shape
            scale = {
                "tutorial": 0.5,
                "xavier": np.sqrt(2.0 / (fan_in + fan_out)),
                "he": np.sqrt(2.0 / fan_in),
            }[init]
            W[:] = draw(fan_in, fan_out) * scale

    def copy(self) -> Network:
        return Network(self.layers, self.activation, self.output_activation, self.loss, self.params.copy())

    def same_architecture(self, other: Network) -> bool:
        return (self.layers, self.activation, self.output_activation, self.loss) == (
            other.layers, other.activation, other.output_activation, other.loss)

    @property
    def weight_mask(self) -> np.ndarray:
        """1.0 where ``params`` holds a weight, 0.0 where it holds a bias."""
        mask = np.ones_like(self.params)
        start = 0
        for fan_in, fan_out in zip(self.layers[:-1], self.layers[1:]):
            start += (fan_in + 1) * fan_out
            mask[start - fan_out:start] = 0.0
        return mask

    # -- readable passes ----------------------------------------------------
    def _activation(self, k: int) -> activations.Activation:
        last = k == len(self.W) - 1
        return activations.get(self.output_activation if last else self.activation)

    def forward(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations and activations of every layer for inputs X (m, 2)."""
        zs, acts = [], []
        a = np.asarray(X, dtype=np.float64)
        for k, (W, b) in enumerate(zip(self.W, self.b)):
            z = a @ W + b
            a = self._activation(k).apply(z)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def output(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)[1][-1]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The network's probability of class 1 for each row of X, shape (m, 1)."""
        return losses.probability(self.output(X), self.loss, self.output_activation)

    def loss_value(self, X: np.ndarray, y: np.ndarray) -> float:
        zs, acts = self.forward(X)
        return losses.value(acts[-1], zs[-1], y, self.loss, self.output_activation)

    def evaluate(self, X: np.ndarray, y: np.ndarray, rows: int = EVALUATION_ROWS,
                 stop: Callable[[], bool] | None = None) -> tuple[float, float]:
        """Loss and accuracy on (X, y) from one forward pass, ``rows`` rows at a time.

        On 100,000 points and 8 layers of 64 units one whole pass keeps 0.7 GB
        and takes seconds; in blocks it keeps a few MB, and ``stop`` is asked
        between blocks (``Interrupted`` when it says so).  NaN for no points.
        """
        m = len(X)
        if m == 0:
            return math.nan, math.nan
        total_loss, right = 0.0, 0
        with np.errstate(all="ignore"):
            for start in range(0, m, rows):
                if start and stop is not None and stop():
                    raise Interrupted()
                Xb, yb = X[start:start + rows], y[start:start + rows]
                zs, acts = self.forward(Xb)
                loss = losses.value(acts[-1], zs[-1], yb, self.loss, self.output_activation)
                if m <= rows:
                    total_loss = loss  # one block: exactly ``loss_value``
                else:
                    total_loss += loss * len(Xb) / m
                p = losses.probability(acts[-1], self.loss, self.output_activation)
                right += int(np.count_nonzero(np.round(p) == yb))
                del zs, acts, p  # before the next block's pass: one block's activations at a time
        return float(total_loss), right / m

    def passes(self, X: np.ndarray, y: np.ndarray) -> Pass:
        """One forward and backward pass, keeping every intermediate (new arrays)."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
        zs, acts = self.forward(X)
        dacts = [self._activation(k).derivative(z) for k, z in enumerate(zs)]
        loss = losses.value(acts[-1], zs[-1], y, self.loss, self.output_activation)
        dz = losses.output_delta(acts[-1], zs[-1], y, dacts[-1], self.loss, self.output_activation)
        dzs, dWs, dbs = [None] * len(zs), [None] * len(zs), [None] * len(zs)
        for k in range(len(zs) - 1, -1, -1):
            a_prev = X if k == 0 else acts[k - 1]
            dzs[k] = dz
            # The 1/m of the mean is already inside dz, so these are sums.
            dWs[k] = a_prev.T @ dz
            dbs[k] = dz.sum(axis=0, keepdims=True)
            if k:
                dz = (dz @ self.W[k].T) * dacts[k - 1]
        return Pass(X, y, zs, acts, dacts, dzs, dWs, dbs, loss)

    def gradient(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dLoss/dparams as a flat vector laid out like ``params``."""
        p = self.passes(X, y)
        return np.concatenate([np.vstack([dW, db]).ravel() for dW, db in zip(p.dW, p.db)])


def accuracy(probabilities: np.ndarray, y: np.ndarray) -> float:
    """Share of points whose rounded prediction equals the label (0.5 rounds to 0, as np.round does)."""
    return float(np.mean(np.round(probabilities) == y))
