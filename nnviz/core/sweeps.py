"""Run comparisons: several training configurations side by side.

The tutorial compares learning rates 0.1, 1 and 10 (500 epochs each, on a log
scale) and hidden-layer sizes 2, 4, 8 and 16 (1000 epochs each, bars of final
loss and accuracy).  Here a comparison is a list of ``RunConfig``; each run
gets its own ``Trainer`` (the one training loop of nnviz), so a sweep's curve
is exactly the curve of a separate run with the same settings.

Unlike the tutorial's hidden-size loop, which keeps drawing from one random
stream so that each size starts from whatever the previous one left behind,
every run here is initialised from its own seed: a run is reproducible on its
own and comparable with the same run on the command line.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nnviz.core import features
from nnviz.core.datasets import Dataset
from nnviz.core.errors import ConfigError, Interrupted, TrainingDiverged
from nnviz.core.history import LossHistory
from nnviz.core.kernel import Kernel
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings

DEFAULT_LRS = (0.1, 1.0, 10.0)
DEFAULT_HIDDEN_SIZES = (2, 4, 8, 16)
LR_SWEEP_EPOCHS = 500  # the tutorial's learning-rate figure
HIDDEN_SWEEP_EPOCHS = 1000  # the tutorial's hidden-size figure


@dataclass
class RunConfig:
    """Everything needed to train one run from scratch (or from given weights)."""

    label: str
    layers: list[int] = field(default_factory=lambda: [2, 4, 1])
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    loss: str = "mse"
    init: str = "tutorial"
    init_seed: int = 42
    settings: TrainSettings = field(default_factory=TrainSettings)
    epochs: int = 1000
    params: np.ndarray | None = None  # start from these weights instead of initialising
    start_epoch: int = 0
    features: tuple[str, ...] = features.DEFAULT
    task: str = "classification"

    def network(self) -> Network:
        if self.params is not None:
            return Network(self.layers, self.activation, self.output_activation, self.loss, self.params,
                           self.features, self.task)
        return Network.initialised(self.layers, self.activation, self.output_activation, self.loss,
                                   self.init, self.init_seed, self.features, self.task)

    def trainer(self, data: Dataset, stop: Callable[[], bool] | None = None) -> Trainer:
        """A fresh trainer for this run; the settings are copied so runs never share them.

        With ``stop``, its passes run in blocks of rows and can be interrupted (``BlockKernel``).
        """
        settings = dataclasses.replace(self.settings)
        if stop is None:
            trainer = Trainer(self.network(), data, settings)
        else:
            trainer = _BlockTrainer(self.network(), data, settings, stop)
        trainer.epoch = self.start_epoch
        return trainer

    @classmethod
    def from_network(cls, label: str, network: Network, settings: TrainSettings, epochs: int,
                     init: str = "tutorial", init_seed: int = 42) -> RunConfig:
        """A run with ``network``'s architecture, initialised afresh."""
        return cls(label, list(network.layers), network.activation, network.output_activation,
                   network.loss, init, init_seed, dataclasses.replace(settings), epochs,
                   features=network.features, task=network.task)


def lr_sweep(base: RunConfig, lrs=DEFAULT_LRS, epochs: int | None = None) -> list[RunConfig]:
    """One run per learning rate, otherwise identical to ``base``."""
    runs = []
    for lr in lrs:
        lr = float(lr)
        TrainSettings(lr=lr).check()
        settings = dataclasses.replace(base.settings, lr=lr)
        runs.append(dataclasses.replace(base, label=f"lr {lr:g}", settings=settings,
                                        epochs=base.epochs if epochs is None else epochs))
    return runs


def hidden_sweep(base: RunConfig, sizes=DEFAULT_HIDDEN_SIZES, epochs: int | None = None) -> list[RunConfig]:
    """One run per hidden size: every hidden layer of ``base`` gets that many units.

    A base without hidden layers gets one, since a sweep over hidden sizes of
    a network without a hidden layer would compare nothing.
    """
    depth = max(1, len(base.layers) - 2)
    runs = []
    for n in sizes:
        n = int(n)
        if not 1 <= n <= 64:
            raise ConfigError(f"a hidden layer has 1 to 64 units, got {n}")
        layers = [base.layers[0]] + [n] * depth + [base.layers[-1]]
        runs.append(dataclasses.replace(base, label=f"hidden {n}", layers=layers, params=None,
                                        epochs=base.epochs if epochs is None else epochs))
    return runs


def parse_numbers(text: str, kind=float) -> list:
    """Parse an editable list like ``"0.1, 1, 10"``; raises ConfigError naming the bad item."""
    items = [s for s in text.replace(";", ",").replace(" ", ",").split(",") if s]
    if not items:
        raise ConfigError("enter at least one value, separated by commas")
    values = []
    for item in items:
        try:
            value = kind(item)
        except ValueError:
            raise ConfigError(f"{item!r} is not a {'whole ' if kind is int else ''}number") from None
        if kind is float and not math.isfinite(value):
            raise ConfigError(f"{item!r} is not a finite number")
        values.append(value)
    return values


BLOCK_ROWS = 1024


class BlockKernel:
    """The pass of ``Kernel`` over ``m`` rows, computed ``BLOCK_ROWS`` rows at a time.

    A ``Kernel`` keeps every layer's values for every row: 8 hidden layers of
    64 units on 80,000 rows take 1.3 GB, and four compared runs four times
    that.  In blocks the buffers are those of one block (17 MB here), the loss
    and gradient are the row-weighted sums of the blocks' (the same numbers,
    summed in another order; up to ``BLOCK_ROWS`` rows exactly the same), and
    between blocks ``stop()`` is asked, so a run stops within a block's work
    even when one epoch takes seconds: ``Interrupted`` is raised.
    """

    def __init__(self, net: Network, m: int, stop: Callable[[], bool], rows: int = BLOCK_ROWS) -> None:
        self.m = m
        self._stop = stop
        self._rows = rows
        self._blocks = [Kernel(net, min(m, rows))]
        if m > rows and m % rows:
            self._blocks.append(Kernel(net, m % rows))
        if m <= rows:
            self.grad = self._blocks[0].grad
        else:
            self.grad = np.zeros_like(net.params)
            self._X = np.empty((m, 2))  # raw points: each block's kernel computes their features
            self._y = np.empty((m, 1))

    def set_data(self, X: np.ndarray, y: np.ndarray) -> None:
        if self.m <= self._rows:
            self._blocks[0].set_data(X, y)
        else:
            self._X[:] = X
            self._y[:] = np.reshape(y, (self.m, 1))

    def loss_and_gradient(self) -> float:
        if self._stop():
            raise Interrupted
        if self.m <= self._rows:
            return self._blocks[0].loss_and_gradient()
        loss = 0.0
        self.grad.fill(0.0)
        for start in range(0, self.m, self._rows):
            if start and self._stop():
                raise Interrupted
            end = min(start + self._rows, self.m)
            block = self._blocks[0] if end - start == self._rows else self._blocks[1]
            block.set_data(self._X[start:end], self._y[start:end])
            share = (end - start) / self.m
            loss += share * block.loss_and_gradient()
            self.grad += share * block.grad
        return loss


class _BlockTrainer(Trainer):
    """A trainer whose passes run in blocks and can be interrupted (see ``BlockKernel``)."""

    def __init__(self, network: Network, data: Dataset, settings: TrainSettings,
                 stop: Callable[[], bool]) -> None:
        self._stop = stop  # before the base class builds its kernels
        super().__init__(network, data, settings)

    def make_kernel(self, m: int) -> Kernel | BlockKernel:
        if m == len(self.data.X) and m <= BLOCK_ROWS:
            # A whole-data pass that fits in one block is short: asking between
            # calls of ``run`` is soon enough, and the tutorial's tiny epochs stay fast.
            return super().make_kernel(m)
        return BlockKernel(self.network, m, self._stop)


class Run:
    """One configuration being trained: its trainer, its progress, its fate.

    With ``stop`` (asked between blocks of rows and between mini-batches) the
    run trains in blocks (``BlockKernel``); once stopped it is over, and its
    trainer's state is left where the interruption found it.
    """

    def __init__(self, config: RunConfig, data: Dataset, stop: Callable[[], bool] | None = None) -> None:
        self.config = config
        self.trainer = config.trainer(data, stop)
        self._stop = stop
        self.history = LossHistory()  # every epoch: a compared run's length is known in advance
        self.error: str | None = None

    @property
    def trained(self) -> int:
        return self.trainer.epoch - self.config.start_epoch

    @property
    def done(self) -> bool:
        return self.error is not None or self.trained >= self.config.epochs

    @property
    def losses(self) -> np.ndarray:
        return self.history.train

    def advance(self, epochs: int) -> int:
        """Train up to ``epochs`` more epochs (never past the run's end); returns how many ran."""
        n = min(epochs, self.config.epochs - self.trained)
        if n <= 0 or self.error is not None:
            return 0
        before = self.trainer.epoch
        try:
            self.trainer.run(n)
        except TrainingDiverged as exc:
            self.error = str(exc)
        except Interrupted:
            self.error = "stopped"
            return self.trainer.epoch - before  # the epochs of this call are abandoned
        self.history.append(self.trainer.last_run.train)
        return self.trainer.epoch - before

    def final_loss(self) -> float:
        return float(self.losses[-1]) if len(self.losses) else float("nan")

    def accuracy(self) -> float:
        data = self.trainer.data
        try:
            return self.trainer.network.evaluate(data.X, data.y, BLOCK_ROWS, self._stop)[1]
        except Interrupted:
            return float("nan")


def train(config: RunConfig, data: Dataset) -> Run:
    """Train one configuration to its end, in one go."""
    run = Run(config, data)
    run.advance(config.epochs)
    return run
