"""A whole training set-up as plain values: the architecture, the data set and the training settings.

The window edits one of these with its controls, persists it between runs
and builds the network and data set from it; nothing here knows about Qt.
The defaults are the tutorial's: XOR, 2-4-1 sigmoid, MSE, plain gradient
descent at a learning rate of 1.0 on the full batch, seed 42.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from nnviz.core import datasets
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

    @property
    def layers(self) -> list[int]:
        return [2, *self.hidden, 1]

    def check(self) -> ModelSpec:
        check_architecture(self.layers, self.activation, self.output_activation, self.loss)
        return self

    def build(self) -> Network:
        """The network at its initial weights: the same weights every time for the same spec."""
        return Network.initialised(self.layers, self.activation, self.output_activation, self.loss,
                                   self.init, self.seed)

    @classmethod
    def of(cls, network: Network, init: str = "tutorial", seed: int = 42) -> ModelSpec:
        return cls(tuple(network.layers[1:-1]), network.activation, network.output_activation,
                   network.loss, init, seed)


@dataclass(frozen=True)
class DataSpec:
    """A preset (``xor`` or a generator with its knobs), or ``custom`` for points from a file."""

    name: str = "xor"
    n: int = 200
    noise: float = 0.1
    seed: int = 0
    test_fraction: float = 0.2

    @property
    def generated(self) -> bool:
        return self.name in datasets.GENERATORS

    def build(self) -> Dataset:
        """The points; an unknown name raises ``DataError`` saying which names there are."""
        return datasets.generate(self.name, self.n, self.noise, self.seed, self.test_fraction)


@dataclass(frozen=True)
class Setup:
    model: ModelSpec = field(default_factory=ModelSpec)
    data: DataSpec = field(default_factory=DataSpec)
    settings: TrainSettings = field(default_factory=TrainSettings)

    def with_settings(self, settings: TrainSettings) -> Setup:
        return replace(self, settings=settings.check())

    def to_dict(self) -> dict:
        return {"model": asdict(self.model), "data": asdict(self.data), "train": self.settings.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> Setup:
        """Rebuild a set-up saved by ``to_dict``; anything unusable raises ``ConfigError``."""
        try:
            model = dict(d.get("model", {}))
            if "hidden" in model:
                model["hidden"] = tuple(int(n) for n in model["hidden"])
            spec = ModelSpec(**model).check()
            data = DataSpec(**d.get("data", {}))
            if data.name not in datasets.NAMES:
                data = replace(data, name="xor")
            train = TrainSettings.from_dict(d.get("train", {}))
        except (TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"saved settings are not usable ({exc})") from None
        return cls(spec, data, train)
