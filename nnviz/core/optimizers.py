"""Gradient descent and its two popular refinements, acting on flat parameter vectors.

Each optimizer updates ``params`` in place from ``grad`` with a handful of
NumPy calls and keeps its state (velocity, moments) in buffers of the same
size.  The learning rate is a plain attribute, so it can change between
epochs without losing that state.
"""

from __future__ import annotations

import copy

import numpy as np

from nnviz.core.errors import ConfigError

NAMES = ("sgd", "momentum", "adam")


class Optimizer:
    name = ""

    def __init__(self, size: int, lr: float) -> None:
        self.lr = lr
        self.size = size
        self._tmp = np.empty(size)

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError

    def copy(self) -> Optimizer:
        """An independent copy, state and all: stepping it leaves this optimizer as it was."""
        return copy.deepcopy(self)

    def preview(self, params: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The change ``step(params, grad)`` would make to ``params``; nothing is changed.

        The step is taken on copies, so the result is the very change the
        real step makes, rounding and all.
        """
        after = params.copy()
        self.copy().step(after, grad)
        return after - params

    def reset(self) -> None:
        """Forget accumulated state (after the weights are replaced)."""


class SGD(Optimizer):
    name = "sgd"

    def step(self, params, grad):
        np.multiply(grad, self.lr, out=self._tmp)
        np.subtract(params, self._tmp, out=params)


class Momentum(Optimizer):
    name = "momentum"

    def __init__(self, size: int, lr: float, beta: float = 0.9) -> None:
        super().__init__(size, lr)
        self.beta = beta
        self.velocity = np.zeros(size)

    def step(self, params, grad):
        v = self.velocity
        v *= self.beta
        np.multiply(grad, self.lr, out=self._tmp)
        v -= self._tmp
        params += v

    def reset(self):
        self.velocity[:] = 0.0


class Adam(Optimizer):
    name = "adam"

    def __init__(self, size: int, lr: float, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
        super().__init__(size, lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = np.zeros(size)
        self.v = np.zeros(size)
        self.t = 0

    def step(self, params, grad):
        self.t += 1
        b1, b2, tmp = self.beta1, self.beta2, self._tmp
        self.m *= b1
        self.m += (1.0 - b1) * grad
        self.v *= b2
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - b2
        self.v += tmp
        # Bias-corrected step: lr * m_hat / (sqrt(v_hat) + eps).
        m_scale = self.lr / (1.0 - b1 ** self.t)
        v_scale = 1.0 / (1.0 - b2 ** self.t)
        np.multiply(self.v, v_scale, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.eps
        np.divide(self.m, tmp, out=tmp)
        tmp *= m_scale
        params -= tmp

    def reset(self):
        self.m[:] = 0.0
        self.v[:] = 0.0
        self.t = 0


def make(name: str, size: int, lr: float) -> Optimizer:
    classes = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
    if name not in classes:
        raise ConfigError(f"unknown optimizer {name!r}; choose one of {', '.join(NAMES)}")
    return classes[name](size, lr)
