"""A whole training set-up as plain values: the architecture, the data set and the training settings.

The window edits one of these with its controls, persists it between runs
and builds the network and data set from it; nothing here knows about Qt.
The defaults are the tutorial's: XOR, 2-4-1 sigmoid, MSE, plain gradient
descent at a learning rate of 1.0 on the full batch, seed 42.

The model and the data must suit each other: K-class data needs K softmax
outputs, regression data a linear output with MSE.  ``fit_model`` changes a
model to suit its data (and says what it changed); ``check_fits`` refuses a
model chosen by hand that cannot learn the data.  The session applies both
on every change, so a set-up is never inconsistent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from nnviz.core import datasets, features
from nnviz.core.datasets import Dataset
from nnviz.core.errors import ConfigError
from nnviz.core.network import Network, check_architecture
from nnviz.core.trainer import TrainSettings


@dataclass(frozen=True)
class ModelSpec:
    hidden: tuple[int, ...] = (4,)
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    loss: str = "mse"
    init: str = "tutorial"
    seed: int = 42
    features: tuple[str, ...] = features.DEFAULT
    classes: int = 2  # the number of softmax outputs; ignored for a one-output network
    task: str = "classification"

    @property
    def outputs(self) -> int:
        return self.classes if self.output_activation == "softmax" else 1

    @property
    def layers(self) -> list[int]:
        return [len(self.features), *self.hidden, self.outputs]

    @property
    def classes_told_apart(self) -> int:
        """How many classes the network can name: K for softmax, 2 for one output, 0 for regression."""
        if self.task == "regression":
            return 0
        return self.classes if self.output_activation == "softmax" else 2

    def check(self) -> ModelSpec:
        check_architecture(self.layers, self.activation, self.output_activation, self.loss, self.features,
                           self.task)
        return self

    def build(self) -> Network:
        """The network at its initial weights: the same weights every time for the same spec."""
        return Network.initialised(self.layers, self.activation, self.output_activation, self.loss,
                                   self.init, self.seed, self.features, self.task)

    @classmethod
    def of(cls, network: Network, init: str = "tutorial", seed: int = 42) -> ModelSpec:
        classes = network.outputs if network.output_activation == "softmax" else 2
        return cls(tuple(network.layers[1:-1]), network.activation, network.output_activation,
                   network.loss, init, seed, network.features, classes, network.task)


# The tutorial's output, to which a model returns when its data is binary again.
BINARY_OUTPUT = {"output_activation": ModelSpec.output_activation, "loss": ModelSpec.loss,
                 "task": "classification", "classes": 2}


# A learning rate that fits the regression data sets; at the tutorial's 1.0 they fit badly.
REGRESSION_LR = 0.1


def fit_model(model: ModelSpec, data: Dataset, exact: bool = True) -> tuple[ModelSpec, str]:
    """``model`` changed as little as needed to learn ``data``, and a line saying what changed ("" if nothing).

    * regression data: a linear output with MSE, task regression;
    * K > 2 classes: K softmax outputs with the ce loss;
    * binary data after regression (or, when ``exact``, after K > 2 softmax
      classes): the tutorial's sigmoid output with MSE.

    With ``exact`` False (points edited one by one) a softmax network keeps
    outputs to spare: deleting the last point of class 4 does not reset it.
    """
    if data.regression:
        if model.task == "regression":
            return model, ""
        fitted = replace(model, output_activation="linear", loss="mse", task="regression")
        return fitted, "Regression data: the output is now linear with the mse loss"
    k = data.classes
    if k > 2:
        if model.output_activation == "softmax" and (model.classes == k or not exact and model.classes > k):
            return model, ""
        fitted = replace(model, output_activation="softmax", loss="ce", task="classification", classes=k)
        return fitted, f"{k} classes: the output is now {k} softmax units with the ce loss"
    if model.task == "regression" or (exact and model.output_activation == "softmax" and model.classes > 2):
        fitted = replace(model, **BINARY_OUTPUT)
        return fitted, "Two classes: the output is back to one sigmoid unit with the mse loss"
    return model, ""


def check_fits(model: ModelSpec, data: Dataset) -> None:
    """Refuse (``ConfigError``, one line) a model that cannot learn ``data``."""
    if data.regression and model.task != "regression":
        raise ConfigError("the points have real-valued targets: the output must be linear with the mse loss")
    if not data.regression and model.task == "regression":
        raise ConfigError("the points have classes: a regression network (linear output, targets) cannot "
                          "learn them")
    if data.classes > model.classes_told_apart:
        raise ConfigError(f"the points have {data.classes} classes but a {model.output_activation} output "
                          f"tells {model.classes_told_apart} apart; choose softmax with {data.classes} outputs")


@dataclass(frozen=True)
class DataSpec:
    """A preset (``xor`` or a generator with its knobs), or ``custom`` for points from a file."""

    name: str = "xor"
    n: int = 200
    noise: float = 0.1
    seed: int = 0
    test_fraction: float = 0.2
    classes: int = 2  # spiral and gaussians: 2 to 8; the other presets have 2

    @property
    def generated(self) -> bool:
        return self.name in datasets.GENERATORS

    @property
    def task(self) -> str:
        return datasets.task_of(self.name)

    def build(self) -> Dataset:
        """The points; an unknown name raises ``DataError`` saying which names there are."""
        return datasets.generate(self.name, self.n, self.noise, self.seed, self.test_fraction, self.classes)


@dataclass(frozen=True)
class Setup:
    model: ModelSpec = field(default_factory=ModelSpec)
    data: DataSpec = field(default_factory=DataSpec)
    settings: TrainSettings = field(default_factory=TrainSettings)

    def with_settings(self, settings: TrainSettings) -> Setup:
        return replace(self, settings=settings.check())

    def fitted(self, data: Dataset, exact: bool = True) -> tuple[Setup, str]:
        """This set-up with its model fitted to ``data`` (see ``fit_model``) and the line saying what changed.

        Turning to regression also lowers a learning rate above ``REGRESSION_LR``:
        the tutorial's 1.0 overshoots on real-valued targets.
        """
        model, message = fit_model(self.model, data, exact)
        if model == self.model:
            return self, ""
        settings = self.settings
        if model.task == "regression" and self.model.task != "regression" and settings.lr > REGRESSION_LR:
            settings = replace(settings, lr=REGRESSION_LR)
            message += f", learning rate {REGRESSION_LR:g} ({self.settings.lr:g} overshoots on real-valued targets)"
        return replace(self, model=model.check(), settings=settings), message

    def to_dict(self) -> dict:
        return {"model": asdict(self.model), "data": asdict(self.data), "train": self.settings.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> Setup:
        """Rebuild a set-up saved by ``to_dict``; anything unusable raises ``ConfigError``."""
        try:
            model = dict(d.get("model", {}))
            if "hidden" in model:
                model["hidden"] = tuple(int(n) for n in model["hidden"])
            if "features" in model:
                model["features"] = features.check(model["features"])
            spec = ModelSpec(**model).check()
            data = DataSpec(**d.get("data", {}))
            if data.name not in datasets.NAMES:
                data = replace(data, name="xor")
            train = TrainSettings.from_dict(d.get("train", {}))
        except (TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"saved settings are not usable ({exc})") from None
        return cls(spec, data, train)
