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
from dataclasses import dataclass, field

import numpy as np

from nnviz.core.datasets import Dataset
from nnviz.core.errors import ConfigError, TrainingDiverged
from nnviz.core.history import LossHistory
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

    def network(self) -> Network:
        if self.params is not None:
            return Network(self.layers, self.activation, self.output_activation, self.loss, self.params)
        return Network.initialised(self.layers, self.activation, self.output_activation, self.loss,
                                   self.init, self.init_seed)

    def trainer(self, data: Dataset) -> Trainer:
        """A fresh trainer for this run; the settings are copied so runs never share them."""
        trainer = Trainer(self.network(), data, dataclasses.replace(self.settings))
        trainer.epoch = self.start_epoch
        return trainer

    @classmethod
    def from_network(cls, label: str, network: Network, settings: TrainSettings, epochs: int,
                     init: str = "tutorial", init_seed: int = 42) -> RunConfig:
        """A run with ``network``'s architecture, initialised afresh."""
        return cls(label, list(network.layers), network.activation, network.output_activation,
                   network.loss, init, init_seed, dataclasses.replace(settings), epochs)


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


class Run:
    """One configuration being trained: its trainer, its progress, its fate."""

    def __init__(self, config: RunConfig, data: Dataset) -> None:
        self.config = config
        self.trainer = config.trainer(data)
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
        self.history.append(self.trainer.last_run[0])
        return self.trainer.epoch - before

    def final_loss(self) -> float:
        return float(self.losses[-1]) if len(self.losses) else float("nan")

    def accuracy(self) -> float:
        return self.trainer.accuracy()


def train(config: RunConfig, data: Dataset) -> Run:
    """Train one configuration to its end, in one go."""
    run = Run(config, data)
    run.advance(config.epochs)
    return run
