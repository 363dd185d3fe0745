"""Activation functions, each with its derivative.

Two forms of every function live here:

* ``apply`` / ``derivative`` allocate new arrays and read like the maths; the
  step inspector, the activation plot and the gradient checks use them.
* ``forward_into`` writes the activation *and* its derivative into buffers the
  caller owns.  The training kernel calls it once per layer per epoch, so it
  avoids temporaries and never recomputes the function in the backward pass.
"""

from __future__ import annotations

import numpy as np

NAMES = ("sigmoid", "tanh", "relu", "linear")  # for hidden layers; an output may also be ``softmax``


def sigmoid(z: np.ndarray) -> np.ndarray:
    # Clipping keeps exp() finite; the tutorial clips at the same bound.
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


class Activation:
    name: str = ""

    def apply(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward_into(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> None:
        """Write f(z) into ``a`` and f'(z) into ``da``; ``z`` may be overwritten."""
        raise NotImplementedError


class Sigmoid(Activation):
    name = "sigmoid"

    def apply(self, z):
        return sigmoid(z)

    def derivative(self, z):
        s = sigmoid(z)
        return s * (1.0 - s)

    def forward_into(self, z, a, da):
        # 1 - sigmoid(z) = 1 / (1 + e^z): computing that first gives both a and
        # 1 - a, whose product is the derivative, in five ufunc calls.  For
        # z > 709 exp overflows to inf and 1/inf = 0, the correct limit; the
        # caller runs under np.errstate(over="ignore").
        np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)  # z now holds 1 - a
        np.subtract(1.0, z, out=a)
        np.multiply(a, z, out=da)


class Tanh(Activation):
    name = "tanh"

    def apply(self, z):
        return np.tanh(z)

    def derivative(self, z):
        return 1.0 - np.tanh(z) ** 2

    def forward_into(self, z, a, da):
        # In place in z first: ``a`` is usually a strided view (the next layer's input beside its
        # column of ones), and tanh and the square run twice as fast on contiguous memory.
        np.tanh(z, out=z)
        np.copyto(a, z)
        np.multiply(z, z, out=da)
        np.subtract(1.0, da, out=da)


class ReLU(Activation):
    name = "relu"

    def apply(self, z):
        return np.maximum(z, 0.0)

    def derivative(self, z):
        return (z > 0).astype(np.float64)

    def forward_into(self, z, a, da):
        np.maximum(z, 0.0, out=a)
        np.sign(a, out=da)  # a >= 0, so its sign is 1 where z > 0 and 0 elsewhere


class Linear(Activation):
    name = "linear"

    def apply(self, z):
        return np.array(z, dtype=np.float64, copy=True)

    def derivative(self, z):
        return np.ones_like(z, dtype=np.float64)

    def forward_into(self, z, a, da):
        np.copyto(a, z)
        da.fill(1.0)


def softmax(z: np.ndarray) -> np.ndarray:
    """Each row's exponentials normalised to sum to 1, shifted by the row's maximum so that none overflows."""
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


class Softmax(Activation):
    """The output of a K-class network: one probability per class, each row summing to 1.

    Its Jacobian is not elementwise, so ``derivative`` gives ones: softmax only
    ever goes with cross-entropy, whose gradient at the logits, p - onehot(y),
    folds the two together (as binary cross-entropy folds in the sigmoid).
    """

    name = "softmax"

    def apply(self, z):
        z = np.asarray(z, dtype=np.float64)
        if z.ndim == 1:
            # One logit on its own (a plot of the function): its probability against a class
            # whose logit is 0, which is the sigmoid.
            return sigmoid(z)
        return softmax(z)

    def derivative(self, z):
        return np.ones_like(z, dtype=np.float64)

    def forward_into(self, z, a, da):
        m = len(z)
        softmax_into(z, a, np.empty((m, 1), z.dtype), np.empty((m, 1), z.dtype), np.ones((z.shape[1], 1), z.dtype))
        da.fill(1.0)


def softmax_into(z: np.ndarray, a: np.ndarray, row_max: np.ndarray, row_sum: np.ndarray, ones: np.ndarray) -> None:
    """Softmax of the rows of z into a, leaving z - max in z and each row's sum of exponentials in row_sum.

    The training kernel reads the cross-entropy off those two (log-sum-exp, never the log of a
    probability).  A reduction along rows of K <= 8 values costs a NumPy call per row; column by
    column (the maximum) and as a matrix product with ``ones`` (K, 1) (the sum) it is a few calls
    for all rows.  ``row_max`` and ``row_sum`` are (m, 1) buffers.
    """
    top = row_max.reshape(-1)
    np.maximum(z[:, 0], z[:, 1], out=top)
    for j in range(2, z.shape[1]):
        np.maximum(top, z[:, j], out=top)
    z -= row_max
    np.exp(z, out=a)
    np.matmul(a, ones, out=row_sum)
    a /= row_sum


_BY_NAME = {cls.name: cls() for cls in (Sigmoid, Tanh, ReLU, Linear, Softmax)}


def get(name: str) -> Activation:
    from nnviz.core.errors import ConfigError

    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigError(f"unknown activation {name!r}; choose one of {', '.join(NAMES)}") from None
