from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import pytest

from nnviz.core import datasets, sweeps
from nnviz.core.errors import ConfigError
from nnviz.core.kernel import Kernel
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


def big_run_config(layers, epochs=10, **settings) -> RunConfig:
    return RunConfig("big", layers, activation="tanh", init="he", epochs=epochs,
                     settings=TrainSettings(lr=0.05, **settings))


@pytest.mark.parametrize("activation, output, loss", [("tanh", "sigmoid", "mse"), ("relu", "sigmoid", "bce"),
                                                      ("sigmoid", "linear", "bce")])
def test_a_pass_in_blocks_gives_the_loss_and_gradient_of_the_whole_pass(activation, output, loss):
    data = datasets.generate("moons", n=2500, seed=3, test_fraction=0)
    net = Network.initialised([2, 6, 5, 1], activation, output, loss, "he", 7)
    whole = Kernel(net, 2500)
    whole.set_data(data.X, data.y)
    blocks = sweeps.BlockKernel(net, 2500, stop=lambda: False, rows=1024)  # 1024 + 1024 + 452 rows
    blocks.set_data(data.X, data.y)
    assert blocks.loss_and_gradient() == pytest.approx(whole.loss_and_gradient(), rel=1e-12)
    np.testing.assert_allclose(blocks.grad, whole.grad, rtol=1e-9, atol=1e-15)
    # Up to one block it is the very same pass, to the last bit.
    small = sweeps.BlockKernel(net, 1000, stop=lambda: False, rows=1024)
    one = Kernel(net, 1000)
    for k in (small, one):
        k.set_data(data.X[:1000], data.y[:1000])
    assert small.loss_and_gradient() == one.loss_and_gradient()
    assert np.array_equal(small.grad, one.grad)


def test_a_run_that_can_stop_trains_as_the_trainer_does():
    data = datasets.generate("circle", n=3000, seed=4, test_fraction=0.2)
    config = big_run_config([2, 8, 8, 1], epochs=30)
    run = sweeps.Run(config, data, stop=lambda: False)
    run.advance(30)
    plain = config.trainer(data)
    np.testing.assert_allclose(run.losses, plain.run(30), rtol=1e-10)
    np.testing.assert_allclose(run.trainer.network.params, plain.network.params, rtol=1e-8, atol=1e-14)
    # Accuracy in blocks of rows: the trainer's number for the same weights.
    assert plain.network.evaluate(data.X, data.y, sweeps.BLOCK_ROWS)[1] == plain.accuracy()
    assert abs(run.accuracy() - plain.accuracy()) <= 1 / len(data.X) and 0.5 < run.accuracy() <= 1.0


def test_a_stop_is_heard_between_blocks_and_between_mini_batches():
    data = datasets.generate("spiral", n=5000, seed=5, test_fraction=0)
    for settings, asks in (({}, 3), ({"batch_size": 1}, 500)):
        calls = []

        def stop():
            calls.append(1)
            return len(calls) > asks

        config = big_run_config([2, 16, 16, 1], **settings)
        run = sweeps.Run(config, data, stop=stop)
        start = run.trainer.network.params.copy()
        assert run.advance(10) == 0
        assert run.error == "stopped" and run.done and len(calls) == asks + 1
        # Full batch: stopped inside the first epoch's pass, before any update.
        if not settings:
            assert np.array_equal(run.trainer.network.params, start)


def test_a_big_run_keeps_to_a_block_of_memory():
    # 8 hidden layers of 64 units on 20,000 points: a whole-data pass keeps about 340 MB of buffers.
    data = datasets.generate("spiral", n=20_000, seed=6, test_fraction=0)
    tracemalloc.start()
    try:
        run = sweeps.Run(big_run_config([2] + [64] * 8 + [1], epochs=1), data, stop=lambda: False)
        run.advance(1)
        accuracy = run.accuracy()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert run.trainer.epoch == 1 and 0 <= accuracy <= 1
    assert peak < 40e6
