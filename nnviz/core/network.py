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

Every pass takes raw points X (m, 2) and first computes the network's input
features from them (``features.expand``; the default ``x1, x2`` is X
itself), so data sets keep two columns whatever the network's inputs are.

Three kinds of output:

* one sigmoid (or linear, for a logit or MSE) unit: P(class 1) of a binary
  classification, labels 0 and 1;
* K softmax units (2 <= K <= ``MAX_CLASSES``) with the ``ce`` loss: class
  probabilities, labels 0..K-1;
* one linear unit with MSE and ``task="regression"``: a real-valued
  prediction of real targets, scored by R².
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnviz.core import activations, losses
from nnviz.core import features as _features
from nnviz.core.errors import ConfigError, Interrupted

MAX_HIDDEN_LAYERS = 8
MAX_UNITS = 64
INPUTS = 2
OUTPUTS = 1
INIT_METHODS = ("tutorial", "xavier", "he")
OUTPUT_ACTIVATIONS = ("sigmoid", "linear", "softmax")
TASKS = ("classification", "regression")
MAX_CLASSES = 8
# Rows per block of ``Network.evaluate``: a few MB of activations even for the largest network.
EVALUATION_ROWS = 8192


def check_architecture(layers, activation: str, output_activation: str, loss: str,
                       feature_names=_features.DEFAULT, task: str = "classification") -> list[int]:
    """Validate an architecture; returns the layer sizes as a list of ints."""
    layers = [int(n) for n in layers]
    feature_names = _features.check(feature_names)
    inputs = len(feature_names)
    if output_activation == "softmax":
        if len(layers) < 2 or layers[0] != inputs or not 2 <= layers[-1] <= MAX_CLASSES:
            raise ConfigError(f"layers must run from {inputs} inputs to 2..{MAX_CLASSES} softmax outputs, "
                              f"got {layers}")
    elif len(layers) < 2 or layers[0] != inputs or layers[-1] != OUTPUTS:
        raise ConfigError(f"layers must run from {inputs} inputs to {OUTPUTS} output, got {layers}")
    hidden = layers[1:-1]
    if len(hidden) > MAX_HIDDEN_LAYERS:
        raise ConfigError(f"at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(hidden)}")
    for n in hidden:
        if not 1 <= n <= MAX_UNITS:
            raise ConfigError(f"a hidden layer has 1 to {MAX_UNITS} units, got {n}")
    if activation not in activations.NAMES:
        raise ConfigError(f"unknown activation {activation!r}; choose one of {', '.join(activations.NAMES)}")
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ConfigError(f"unknown output activation {output_activation!r}; "
                          f"choose one of {', '.join(OUTPUT_ACTIVATIONS)}")
    losses.check(loss)
    losses.check_pairing(output_activation, loss)
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; choose classification or regression")
    if task == "regression" and (output_activation, loss) != ("linear", "mse"):
        raise ConfigError("regression needs a linear output and the mse loss, "
                          f"not {output_activation} with {loss}")
    return layers


def param_count(layers: list[int]) -> int:
    return sum((a + 1) * b for a, b in zip(layers[:-1], layers[1:]))


@dataclass
class Pass:
    """Every intermediate of one forward and backward pass, for the inspector."""

    X: np.ndarray  # the raw points (m, 2)
    y: np.ndarray
    z: list[np.ndarray]  # pre-activations, one per layer
    a: list[np.ndarray]  # activations, one per layer (a[-1] is the output)
    dact: list[np.ndarray]  # f'(z), one per layer
    dz: list[np.ndarray]  # dLoss/dz, one per layer
    dW: list[np.ndarray]
    db: list[np.ndarray]
    loss: float
    inputs: np.ndarray | None = None  # what layer 0 sees: the features of X (X itself by default)

    def __post_init__(self) -> None:
        if self.inputs is None:
            self.inputs = self.X


class Network:
    def __init__(self, layers, activation: str = "sigmoid", output_activation: str = "sigmoid",
                 loss: str = "mse", params: np.ndarray | None = None,
                 features: tuple[str, ...] = _features.DEFAULT, task: str = "classification") -> None:
        self.features = _features.check(features)
        self.layers = check_architecture(layers, activation, output_activation, loss, self.features, task)
        self.activation = activation
        self.output_activation = output_activation
        self.loss = loss
        self.task = task
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
                    init: str = "tutorial", seed: int = 42, features: tuple[str, ...] = _features.DEFAULT,
                    task: str = "classification") -> Network:
        net = cls(layers, activation, output_activation, loss, features=features, task=task)
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
        return Network(self.layers, self.activation, self.output_activation, self.loss, self.params.copy(),
                       self.features, self.task)

    def same_architecture(self, other: Network) -> bool:
        return self.architecture == other.architecture

    @property
    def architecture(self) -> tuple:
        """Everything but the weights: two networks with the same one can swap weights."""
        return (self.layers, self.activation, self.output_activation, self.loss, self.features, self.task)

    @property
    def outputs(self) -> int:
        """Output units: 1 for a sigmoid or linear output, K for K softmax classes."""
        return self.layers[-1]

    @property
    def classes(self) -> int:
        """Classes the network tells apart: K for softmax, 2 for one output, 0 for regression."""
        if self.task == "regression":
            return 0
        return self.outputs if self.output_activation == "softmax" else 2

    @property
    def regression(self) -> bool:
        return self.task == "regression"

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """What layer 0 sees for raw points X (m, 2): their features, (m, len(features)); X itself by default."""
        return _features.expand(np.asarray(X, dtype=np.float64), self.features)

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
        """Pre-activations and activations of every layer for raw points X (m, 2)."""
        zs, acts = [], []
        a = self.inputs(X)
        for k, (W, b) in enumerate(zip(self.W, self.b)):
            z = a @ W + b
            a = self._activation(k).apply(z)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def output(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)[1][-1]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """What the network says about each row of X.

        (m, 1) P(class 1) for a binary classifier, (m, K) class probabilities
        for a softmax output, (m, 1) the predicted value for regression.
        """
        return losses.probability(self.output(X), self.loss, self.output_activation)

    def predicted_class(self, X: np.ndarray) -> np.ndarray:
        """The class each row of X is given, (m,) ints: argmax for softmax, rounding for one output."""
        return class_of(self.predict(X))

    def confusion(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(K, K) counts: row = true class, column = predicted class (K = 2 for a binary network).

        Rows whose label is not a class of this network (beyond K - 1) are not counted.
        A regression network has no classes: ``ConfigError``.
        """
        if self.regression:
            raise ConfigError("a regression network has no classes, so no confusion matrix")
        k = self.classes
        counts = np.zeros((k, k), dtype=np.int64)
        y = np.asarray(y).reshape(-1)
        for start in range(0, len(y), EVALUATION_ROWS):
            with np.errstate(all="ignore"):
                predicted = class_of(self.predict(X[start:start + EVALUATION_ROWS]))
            true = y[start:start + EVALUATION_ROWS].astype(np.int64)
            valid = (true >= 0) & (true < k)
            counts += np.bincount(true[valid] * k + predicted[valid], minlength=k * k).reshape(k, k)
        return counts

    def loss_value(self, X: np.ndarray, y: np.ndarray) -> float:
        zs, acts = self.forward(X)
        return losses.value(acts[-1], zs[-1], y, self.loss, self.output_activation)

    def evaluate(self, X: np.ndarray, y: np.ndarray, rows: int = EVALUATION_ROWS,
                 stop: Callable[[], bool] | None = None) -> tuple[float, float]:
        """Loss and score on (X, y) from one forward pass, ``rows`` rows at a time.

        The score is the accuracy for classification (argmax = label for
        softmax, the rounded output for one output) and R² for regression
        (NaN when every target is the same: R² is then undefined).
        On 100,000 points and 8 layers of 64 units one whole pass keeps 0.7 GB
        and takes seconds; in blocks it keeps a few MB, and ``stop`` is asked
        between blocks (``Interrupted`` when it says so).  NaN for no points.
        """
        m = len(X)
        if m == 0:
            return math.nan, math.nan
        total_loss, right, squared_error = 0.0, 0, 0.0
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
                if self.regression:
                    squared_error += float(np.sum((p - yb) ** 2))
                elif p.shape[1] > 1:
                    right += int(np.count_nonzero(np.argmax(p, axis=1) == yb[:, 0]))
                else:
                    right += int(np.count_nonzero(np.round(p) == yb))
                del zs, acts, p  # before the next block's pass: one block's activations at a time
        if self.regression:
            return float(total_loss), r_squared(squared_error, y)
        return float(total_loss), right / m

    def passes(self, X: np.ndarray, y: np.ndarray) -> Pass:
        """One forward and backward pass, keeping every intermediate (new arrays)."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
        inputs = self.inputs(X)
        zs, acts = self.forward(X)
        dacts = [self._activation(k).derivative(z) for k, z in enumerate(zs)]
        loss = losses.value(acts[-1], zs[-1], y, self.loss, self.output_activation)
        dz = losses.output_delta(acts[-1], zs[-1], y, dacts[-1], self.loss, self.output_activation)
        dzs, dWs, dbs = [None] * len(zs), [None] * len(zs), [None] * len(zs)
        for k in range(len(zs) - 1, -1, -1):
            a_prev = inputs if k == 0 else acts[k - 1]
            dzs[k] = dz
            # The 1/m of the mean is already inside dz, so these are sums.
            dWs[k] = a_prev.T @ dz
            dbs[k] = dz.sum(axis=0, keepdims=True)
            if k:
                dz = (dz @ self.W[k].T) * dacts[k - 1]
        return Pass(X, y, zs, acts, dacts, dzs, dWs, dbs, loss, inputs)

    def gradient(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dLoss/dparams as a flat vector laid out like ``params``."""
        p = self.passes(X, y)
        return np.concatenate([np.vstack([dW, db]).ravel() for dW, db in zip(p.dW, p.db)])


def class_of(probabilities: np.ndarray) -> np.ndarray:
    """(m,) predicted classes: the most probable column, or the rounded value of a single column."""
    p = np.asarray(probabilities)
    if p.ndim == 2 and p.shape[1] > 1:
        return np.argmax(p, axis=1)
    return np.round(p.reshape(-1)).astype(np.int64)


def accuracy(probabilities: np.ndarray, y: np.ndarray) -> float:
    """Share of points whose predicted class equals the label.

    One column: the rounded prediction (0.5 rounds to 0, as np.round does);
    K columns: the most probable class.
    """
    p = np.asarray(probabilities)
    if p.ndim == 2 and p.shape[1] > 1:
        return float(np.mean(np.argmax(p, axis=1) == np.asarray(y).reshape(-1)))
    return float(np.mean(np.round(probabilities) == y))


def r_squared(squared_error: float, y: np.ndarray) -> float:
    """1 - SS_res / SS_tot: the share of the targets' variance a regression explains (NaN if none varies)."""
    y = np.asarray(y, dtype=np.float64)
    total = float(np.sum((y - y.mean()) ** 2))
    if total == 0.0:
        return math.nan
    return 1.0 - squared_error / total
