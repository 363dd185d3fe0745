"""The trainer: a network, its data and an optimizer, advanced epoch by epoch.

It is the one training loop of nnviz: the command line calls ``run`` for all
epochs at once, the window's worker thread calls it for a few epochs per
display frame.  Settings that do not change the shape of the problem (the
learning rate, the optimizer, the data's positions) take effect at the next
epoch without disturbing the weights.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import NamedTuple

import numpy as np

from nnviz.core import optimizers
from nnviz.core.datasets import Dataset
from nnviz.core.errors import ConfigError, Interrupted, TrainingDiverged
from nnviz.core.history import LossRecord
from nnviz.core.kernel import Kernel
from nnviz.core.network import Network, accuracy  # noqa: F401 (accuracy: part of this module's interface)

MAX_LR = 1e3
# Below this a step changes nothing a person could see in any view, and the
# value is far from float64's subnormal range, where arithmetic turns odd.
MIN_LR = 1e-10
MAX_PENALTY = 10.0


class RunLosses(NamedTuple):
    """The losses of the epochs completed by the last call to ``Trainer.run`` (arrays nobody writes again)."""

    train: np.ndarray
    test: np.ndarray | None


@dataclass(frozen=True)
class TrainSettings:
    """Everything about training that is not the network itself (a value: change it with ``replace``)."""

    lr: float = 1.0
    optimizer: str = "sgd"
    batch_size: int | None = None  # None: the full batch, as in the tutorial
    l1: float = 0.0
    l2: float = 0.0
    seed: int = 42  # shuffles mini-batches

    def check(self) -> TrainSettings:
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and MIN_LR <= self.lr <= MAX_LR):
            raise ConfigError(f"learning rate must be a number from {MIN_LR:g} to {MAX_LR:g}, got {self.lr}")
        if self.optimizer not in optimizers.NAMES:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(optimizers.NAMES)}")
        if self.batch_size is not None and not (isinstance(self.batch_size, int) and self.batch_size >= 1):
            raise ConfigError(f"batch size must be a whole number of at least 1, got {self.batch_size}")
        for name in ("l1", "l2"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value <= MAX_PENALTY):
                raise ConfigError(f"{name.upper()} strength must be between 0 and {MAX_PENALTY:g}, got {value}")
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainSettings:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known).check()


class Trainer:
    def __init__(self, network: Network, data: Dataset, settings: TrainSettings | None = None) -> None:
        self.network = network
        self.settings = (settings or TrainSettings()).check()
        self.epoch = 0
        self.history = LossRecord()
        self.last_run = RunLosses(np.empty(0), None)
        self._rng = np.random.default_rng(self.settings.seed)
        self.optimizer = optimizers.make(self.settings.optimizer, network.params.size, self.settings.lr)
        self._weight_mask = network.weight_mask
        self.set_data(data)

    # -- settings that keep the weights -----------------------------------------
    def set_lr(self, lr: float) -> None:
        self.settings = replace(self.settings, lr=lr).check()
        self.optimizer.lr = lr

    def set_settings(self, settings: TrainSettings) -> None:
        settings.check()
        if settings.optimizer != self.settings.optimizer:
            self.optimizer = optimizers.make(settings.optimizer, self.network.params.size, settings.lr)
        if settings.seed != self.settings.seed:
            self._rng = np.random.default_rng(settings.seed)
        batch_changed = settings.batch_size != self.settings.batch_size
        self.settings = settings
        self.optimizer.lr = settings.lr
        if batch_changed:
            self.set_data(self.data)  # full batch or mini-batches: the kernels differ

    def set_data(self, data: Dataset) -> None:
        """Train on ``data`` from the next epoch on; the weights are kept."""
        self.data = data
        self._kernels: dict[int, Kernel] = {}
        if self.settings.batch_size is None or self.settings.batch_size >= len(data.X):
            self._full = self._kernel(len(data.X))
            self._full.set_data(data.X, data.y)
        else:
            self._full = None

    def set_params(self, params: np.ndarray) -> None:
        """Replace every weight (an edit, a loaded file, a past snapshot); optimizer state is cleared."""
        params = np.asarray(params, dtype=np.float64)
        if params.shape != self.network.params.shape:
            raise ConfigError(f"expected {self.network.params.size} parameters, got {params.size}")
        self.network.params[:] = params
        self.optimizer.reset()

    def rewind(self, epoch: int, params: np.ndarray) -> None:
        """Go back to a past epoch: its weights, and the history up to it."""
        self.set_params(params)
        self.epoch = epoch
        self.history.truncate(epoch - 1)

    def _kernel(self, m: int) -> Kernel:
        if m not in self._kernels:
            self._kernels[m] = self.make_kernel(m)
        return self._kernels[m]

    def make_kernel(self, m: int) -> Kernel:
        """The pass over ``m`` rows (a subclass may compute it another way, with the same numbers)."""
        return Kernel(self.network, m)

    # -- training -------------------------------------------------------------
    def _penalty(self) -> float:
        s, p, w = self.settings, self.network.params, self._weight_mask
        total = 0.0
        if s.l2:
            total += 0.5 * s.l2 * float(np.dot(p * w, p))
        if s.l1:
            total += s.l1 * float(np.abs(p * w).sum())
        return total

    def _add_penalty_gradient(self, grad: np.ndarray) -> None:
        s, p, w = self.settings, self.network.params, self._weight_mask
        if s.l2:
            grad += s.l2 * p * w
        if s.l1:
            grad += s.l1 * np.sign(p) * w

    def run(self, epochs: int, interrupted: Callable[[], bool] | None = None) -> np.ndarray:
        """Train for ``epochs`` epochs; returns their losses (also added to ``history`` and ``last_run``).

        The loss of an epoch is measured on the weights *before* that epoch's
        update, as in the tutorial (for mini-batches: the mean of the batch
        losses, each before its own update).  If it is NaN or infinite,
        training stops before the update and ``TrainingDiverged`` says where;
        the epochs before it are kept in ``history`` and ``last_run`` and counted in ``epoch``.

        ``interrupted`` is polled between mini-batches: when it returns True
        the epoch under way is abandoned and ``Interrupted`` is raised (a
        window quitting in the middle of a long epoch).
        """
        losses = np.empty(epochs)
        test = np.empty(epochs) if self.data.has_test else None
        # Overflow inside exp() is expected and harmless (sigmoid saturates);
        # a loss that stops being finite is caught below, so NumPy need not warn.
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            if self._full is not None and not (self.settings.l1 or self.settings.l2) and test is None:
                done = self._run_plain(losses)
            else:
                done = self._run_general(losses, test, interrupted)
        finished = done if done >= 0 else -1 - done
        # Views, not copies: ``losses`` and ``test`` are new for each call and never written again.
        self.last_run = RunLosses(losses[:finished], None if test is None else test[:finished])
        self.history.add(self.epoch, *self.last_run)
        self.epoch += finished
        if done < 0:
            raise Interrupted()
        if done < epochs:
            raise TrainingDiverged(self.epoch, float(losses[done]))
        return losses

    def _run_plain(self, losses: np.ndarray) -> int:
        """The hot path: full batch, no penalty, no test set.  Returns the epochs completed."""
        loss_and_gradient = self._full.loss_and_gradient
        step, params, grad = self.optimizer.step, self.network.params, self._full.grad
        isfinite = math.isfinite
        for i in range(len(losses)):
            loss = losses[i] = loss_and_gradient()
            if not isfinite(loss):
                return i
            step(params, grad)
        return len(losses)

    def _run_general(self, losses: np.ndarray, test: np.ndarray | None,
                     interrupted: Callable[[], bool] | None = None) -> int:
        """Returns the epochs completed, or -1 - completed when ``interrupted`` said stop."""
        params, step = self.network.params, self.optimizer.step
        n = len(self.data.X)
        for i in range(len(losses)):
            if test is not None:
                test[i] = self.network.loss_value(self.data.X_test, self.data.y_test)
            if self._full is not None:
                batches = [(self._full, None)]
            else:
                order = self._rng.permutation(n)
                size = self.settings.batch_size
                batches = [(self._kernel(len(idx)), idx) for idx in
                           (order[s:s + size] for s in range(0, n, size))]
            total = self._penalty() * n
            for kernel, idx in batches:
                if interrupted is not None and interrupted():
                    return -1 - i
                if idx is not None:
                    kernel.set_data(self.data.X[idx], self.data.y[idx])
                loss = kernel.loss_and_gradient()
                total += loss * kernel.m
                if not math.isfinite(loss):
                    break
                self._add_penalty_gradient(kernel.grad)
                step(params, kernel.grad)
            losses[i] = total / n
            if not math.isfinite(losses[i]):
                return i
        return len(losses)

    # -- reading the state ----------------------------------------------------
    @property
    def rng_state(self) -> dict:
        """A copy of the mini-batch shuffler's state: with it the next batches can be foreseen."""
        return copy.deepcopy(self._rng.bit_generator.state)

    def gradient(self) -> tuple[float, np.ndarray]:
        """Loss and gradient over every training point, computed by the pass that trains.

        The fused kernel plus the L1/L2 penalty, exactly as a full-batch epoch
        computes them; nothing is updated.  Returns a new gradient array.
        """
        kernel = self._full if self._full is not None else Kernel(self.network, len(self.data.X))
        if self._full is None:
            kernel.set_data(self.data.X, self.data.y)
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            loss = kernel.loss_and_gradient() + self._penalty()
            grad = kernel.grad.copy()
        self._add_penalty_gradient(grad)
        return float(loss), grad

    def accuracy(self, test: bool = False) -> float:
        """The share of points classified right; for a regression network, R² (see ``Network.evaluate``)."""
        X, y = (self.data.X_test, self.data.y_test) if test else (self.data.X, self.data.y)
        if len(X) == 0:
            return float("nan")
        if self.network.regression:
            return self.network.evaluate(X, y)[1]
        return accuracy(self.network.predict(X), y)

