from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nnviz.core import datasets, sweeps
from nnviz.core.errors import ConfigError
from nnviz.core.network import Network
from nnviz.core.sweeps import RunConfig
from nnviz.core.trainer import Trainer, TrainSettings


def tutorial(epochs: int) -> RunConfig:
    return RunConfig("tutorial", [2, 4, 1], epochs=epochs)


def test_lr_sweep_reproduces_the_tutorial():
    runs = [sweeps.train(c, datasets.xor()) for c in sweeps.lr_sweep(tutorial(500))]
    assert [r.config.settings.lr for r in runs] == [0.1, 1.0, 10.0]
    assert all(len(r.losses) == 500 for r in runs)
    assert round(runs[2].final_loss(), 6) == 0.000796
    assert runs[2].final_loss() == runs[2].losses[499]
    assert runs[0].losses[0] == pytest.approx(0.2556753002, abs=1e-9)


def test_sweep_curves_equal_separate_runs():
    data = datasets.xor()
    for config in sweeps.lr_sweep(tutorial(300)) + sweeps.hidden_sweep(tutorial(300)):
        run = sweeps.Run(config, data)
        while not run.done:
            run.advance(37)  # in chunks, as the background thread does
        separate = Trainer(Network.initialised(config.layers, seed=42), data,
                           TrainSettings(lr=config.settings.lr))
        assert np.array_equal(run.losses, separate.run(300)), config.label


def test_hidden_sweep_sets_every_hidden_layer():
    base = dataclasses.replace(tutorial(10), layers=[2, 3, 5, 1], activation="tanh")
    runs = sweeps.hidden_sweep(base, [2, 16])
    assert [c.layers for c in runs] == [[2, 2, 2, 1], [2, 16, 16, 1]]
    assert all(c.activation == "tanh" for c in runs)
    assert sweeps.hidden_sweep(dataclasses.replace(base, layers=[2, 1]), [4])[0].layers == [2, 4, 1]


def test_runs_do_not_share_settings():
    configs = sweeps.lr_sweep(tutorial(5))
    trainers = [c.trainer(datasets.xor()) for c in configs]
    trainers[0].set_lr(3.0)
    assert trainers[1].settings.lr == 1.0 and configs[0].settings.lr == 0.1


def test_a_run_from_weights_continues_from_them():
    data = datasets.xor()
    first = Trainer(Network.initialised([2, 4, 1], seed=42), data)
    first.run(200)
    config = RunConfig("file", [2, 4, 1], params=first.network.params.copy(), start_epoch=200, epochs=100)
    run = sweeps.train(config, data)
    assert run.trainer.epoch == 300 and run.trained == 100
    assert np.array_equal(run.losses, first.run(100))


def test_a_diverging_run_stops_with_a_message_and_others_go_on():
    data = datasets.generate("gaussians", n=40, seed=1)
    config = dataclasses.replace(tutorial(50), layers=[2, 4, 1], output_activation="linear",
                                 activation="linear", init="he")
    run = sweeps.Run(dataclasses.replace(config, settings=TrainSettings(lr=1000.0)), data)
    while not run.done:
        run.advance(10)
    assert run.error and "lower the learning rate" in run.error


def test_parse_numbers():
    assert sweeps.parse_numbers("0.1, 1 10") == [0.1, 1.0, 10.0]
    assert sweeps.parse_numbers("2,4;8", int) == [2, 4, 8]
    with pytest.raises(ConfigError, match="'x'"):
        sweeps.parse_numbers("1, x")
    with pytest.raises(ConfigError):
        sweeps.parse_numbers(" ")
    with pytest.raises(ConfigError):
        sweeps.lr_sweep(tutorial(5), [-1])
    with pytest.raises(ConfigError):
        sweeps.hidden_sweep(tutorial(5), [0])
