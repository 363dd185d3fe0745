"""Loss functions: mean squared error, binary cross-entropy and categorical cross-entropy.

The loss of a batch is a mean over its samples, as in the tutorial, so the
gradient with respect to the output carries a factor 1/m.

With a linear output, binary cross-entropy reads the output as a logit (the
output activation is then effectively a sigmoid folded into the loss, which is
stable for any z); with a sigmoid output it reads it as a probability.

Categorical cross-entropy (``ce``) goes with a softmax output of K units and
only with it.  It is computed from the logits with log-sum-exp, never as the
log of a probability that may have underflowed to 0; its gradient at the
logits is (p - onehot(y)) / m.  Labels ``y`` stay one column of class
numbers 0..K-1.
"""

from __future__ import annotations

import numpy as np

from nnviz.core.activations import sigmoid
from nnviz.core.errors import ConfigError

NAMES = ("mse", "bce", "ce")

# Probabilities are kept this far from 0 and 1 so that log() stays finite.
EPS = 1e-12


def check(name: str) -> str:
    if name not in NAMES:
        raise ConfigError(f"unknown loss {name!r}; choose one of {', '.join(NAMES)}")
    return name


def check_pairing(output_activation: str, loss: str) -> None:
    """``softmax`` goes with ``ce`` and ``ce`` with ``softmax``; any other pairing is refused."""
    if (output_activation == "softmax") != (loss == "ce"):
        raise ConfigError(f"output {output_activation} with loss {loss} is not possible: "
                          "a softmax output goes with the ce loss, and ce only with softmax")


def onehot(y: np.ndarray, classes: int) -> np.ndarray:
    """(m, classes) rows of zeros with a 1 in each row's label column."""
    labels = np.asarray(y).reshape(-1).astype(np.intp)
    out = np.zeros((len(labels), classes))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def log_sum_exp(z: np.ndarray) -> np.ndarray:
    """log(sum(exp(z))) of each row, (m, 1), without overflow or underflow."""
    top = np.max(z, axis=1, keepdims=True)
    return top + np.log(np.sum(np.exp(z - top), axis=1, keepdims=True))


def probability(output: np.ndarray, loss: str, output_activation: str) -> np.ndarray:
    """What the network says about class 1, for tables, accuracy and the boundary."""
    if loss == "bce" and output_activation == "linear":
        return sigmoid(output)
    return output


def value(output: np.ndarray, z: np.ndarray, y: np.ndarray, loss: str, output_activation: str) -> float:
    """The loss of ``output = f(z)`` against labels ``y`` (m, 1); ``output`` and ``z`` are (m, outputs)."""
    if loss == "ce":
        labels = np.asarray(y).reshape(-1).astype(np.intp)
        true_logit = z[np.arange(len(labels)), labels]
        return float(np.mean(log_sum_exp(z)[:, 0] - true_logit))
    if loss == "mse":
        return float(np.mean((output - y) ** 2))
    if output_activation == "linear":
        # log(1 + e^z) - y z, written so that neither large nor small z overflows.
        return float(np.mean(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))))
    p = np.clip(output, EPS, 1.0 - EPS)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)))


def output_delta(output: np.ndarray, z: np.ndarray, y: np.ndarray, dact: np.ndarray,
                 loss: str, output_activation: str) -> np.ndarray:
    """dLoss/dz at the output layer; ``dact`` is f'(z)."""
    m = y.shape[0]
    if loss == "ce":
        return (output - onehot(y, output.shape[1])) / m
    if loss == "mse":
        return 2.0 * (output - y) * dact / m
    if output_activation == "linear":
        return (sigmoid(z) - y) / m
    if output_activation == "sigmoid":
        # dL/da * a(1-a) simplifies to a - y: no division by a tiny a(1-a).
        return (output - y) / m
    p = np.clip(output, EPS, 1.0 - EPS)
    return (p - y) / (p * (1.0 - p)) * dact / m
