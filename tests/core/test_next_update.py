"""The inspector's "next update" against the update the trainer really makes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nnviz.core import datasets, optimizers
from nnviz.core.errors import TrainingDiverged
from nnviz.core.inspect import flat_index, next_update, pass_gradient, penalty, penalty_gradient
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings

LEARNING_RATES = {"sgd": 0.5, "momentum": 0.3, "adam": 0.05}


def recorded_updates(trainer: Trainer) -> list[np.ndarray]:
    """Make ``trainer`` record the change each of its optimizer's steps makes to the weights."""
    changes = []
    real_step = trainer.optimizer.step

    def step(params, grad):
        before = params.copy()
        real_step(params, grad)
        changes.append(params - before)

    trainer.optimizer.step = step
    return changes


def moons_trainer(optimizer: str, batch_size: int | None, l1: float = 0.0, l2: float = 0.0) -> Trainer:
    data = datasets.generate("moons", n=40, seed=1, test_fraction=0)
    settings = TrainSettings(lr=LEARNING_RATES[optimizer], optimizer=optimizer, batch_size=batch_size,
                             l1=l1, l2=l2, seed=5)
    return Trainer(Network.initialised([2, 5, 1], "tanh", seed=3), data, settings)


@pytest.mark.parametrize("optimizer, batch_size, penalties", list(itertools.product(
    optimizers.NAMES, [None, 16], [{}, {"l1": 0.01, "l2": 0.05}])))
def test_next_update_is_the_update_training_makes(optimizer, batch_size, penalties):
    trainer = moons_trainer(optimizer, batch_size, **penalties)
    trainer.run(7)  # momentum's velocity, Adam's moments and the shuffler have all moved on
    before = trainer.network.params.copy()
    predicted = next_update(trainer.network, trainer.data, trainer.settings, trainer.optimizer.copy(),
                            trainer.rng_state)
    changes = recorded_updates(trainer)
    trainer.run(1)
    assert np.abs(changes[0]).max() > 1e-4  # a real step, not zeros on both sides
    np.testing.assert_allclose(predicted.step, changes[0], rtol=0, atol=1e-12)
    assert predicted.batches == len(changes) == (1 if batch_size is None else 3)
    np.testing.assert_allclose(sum(changes), trainer.network.params - before, rtol=0, atol=1e-12)
    assert not predicted.stops


def test_the_next_batch_is_foreseen_from_the_shuffler():
    trainer = moons_trainer("sgd", 16)
    trainer.run(3)
    predicted = next_update(trainer.network, trainer.data, trainer.settings, trainer.optimizer.copy(),
                            trainer.rng_state)
    order = np.random.default_rng(5)
    for _ in range(3):
        order.permutation(40)
    np.testing.assert_array_equal(predicted.batch, order.permutation(40)[:16])
    batch_only = Network(trainer.network.layers, "tanh", params=trainer.network.params)
    expected = -0.5 * batch_only.gradient(trainer.data.X[predicted.batch], trainer.data.y[predicted.batch])
    np.testing.assert_allclose(predicted.step, expected, rtol=1e-10, atol=1e-15)
    assert "16 of the 40 points, the first of 3 updates" in predicted.description


def test_predicting_changes_neither_the_optimizer_nor_the_weights():
    trainer = moons_trainer("adam", None)
    trainer.run(4)
    m, v, t = trainer.optimizer.m.copy(), trainer.optimizer.v.copy(), trainer.optimizer.t
    params = trainer.network.params.copy()
    next_update(trainer.network, trainer.data, trainer.settings, trainer.optimizer, trainer.rng_state)
    assert trainer.optimizer.t == t == 4
    assert np.array_equal(trainer.optimizer.m, m) and np.array_equal(trainer.optimizer.v, v)
    assert np.array_equal(trainer.network.params, params)


def test_the_tutorial_figures_with_adam_and_momentum():
    # Tutorial net, lr 0.5, 50 epochs: the plain gradient step of W2[0,0] is +1.57e-06,
    # but Adam moves it by -9.70e-03 and momentum by +2.71e-04.
    for optimizer, real in (("adam", -9.70e-03), ("momentum", 2.71e-04), ("sgd", -1.61e-04)):
        trainer = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(),
                          TrainSettings(lr=0.5, optimizer=optimizer))
        trainer.run(50)
        update = next_update(trainer.network, trainer.data, trainer.settings, trainer.optimizer.copy(),
                             trainer.rng_state)
        i = flat_index(trainer.network, 1, 0, 0)
        assert update.step[i] == pytest.approx(real, rel=5e-3), optimizer
    assert update.description.startswith("Plain gradient descent")


def test_descriptions_say_which_step_it_is():
    trainer = moons_trainer("adam", 16)
    trainer.run(2)
    words = next_update(trainer.network, trainer.data, trainer.settings, trainer.optimizer.copy(),
                        trainer.rng_state).description
    assert words.startswith("Adam, update 7:")  # 2 epochs of 3 batches: the 7th update is next
    assert "the first of 3 updates in the next epoch" in words
    trainer = moons_trainer("momentum", None)
    trainer.run(2)
    words = next_update(trainer.network, trainer.data, trainer.settings, trainer.optimizer.copy()).description
    assert "0.9 × the previous step − lr × gradient" in words and "all 40 points" in words
    assert "no previous step yet" not in words


@pytest.mark.parametrize("optimizer, batch_size", list(itertools.product(optimizers.NAMES, [None, 16])))
def test_without_a_trainer_the_step_is_the_first_of_a_new_run(optimizer, batch_size):
    trainer = moons_trainer(optimizer, batch_size)
    trainer.run(5)
    net, data, settings = trainer.network.copy(), trainer.data, trainer.settings
    predicted = next_update(net, data, settings)
    new_run = Trainer(net.copy(), data, settings)
    changes = recorded_updates(new_run)
    new_run.run(1)
    np.testing.assert_allclose(predicted.step, changes[0], rtol=0, atol=1e-12)
    if optimizer != "sgd":
        assert "starts here" in predicted.description
    if batch_size:
        assert "first batch of a new run with shuffle seed 5" in predicted.description


def test_an_optimizer_of_another_kind_counts_as_none():
    trainer = moons_trainer("momentum", None)
    trainer.run(5)
    stale = trainer.optimizer.copy()
    settings = TrainSettings(lr=0.05, optimizer="adam", seed=5)
    trainer.set_settings(settings)  # the trainer starts a fresh Adam
    before = trainer.network.params.copy()
    predicted = next_update(trainer.network, trainer.data, settings, stale, trainer.rng_state)
    trainer.run(1)
    np.testing.assert_allclose(predicted.step, trainer.network.params - before, rtol=0, atol=1e-12)
    assert predicted.description.startswith("Adam, update 1:")


def test_a_new_learning_rate_is_used_at_the_next_update():
    trainer = moons_trainer("momentum", None)
    trainer.run(5)
    old = trainer.optimizer.copy()  # the copy the window holds, with the old rate
    trainer.set_lr(0.1)
    before = trainer.network.params.copy()
    predicted = next_update(trainer.network, trainer.data, trainer.settings, old, trainer.rng_state)
    trainer.run(1)
    np.testing.assert_allclose(predicted.step, trainer.network.params - before, rtol=0, atol=1e-12)
    assert old.lr == 0.3


def test_a_full_batch_gradient_at_hand_gives_the_same_step():
    trainer = moons_trainer("adam", None, l1=0.01, l2=0.05)
    trainer.run(6)
    net, data, s = trainer.network, trainer.data, trainer.settings
    p = net.passes(data.X, data.y)
    readable = (p.loss + penalty(net, s), pass_gradient(p) + penalty_gradient(net, s))
    loss, grad = trainer.gradient()
    assert readable[0] == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(readable[1], grad, rtol=1e-10, atol=1e-15)
    given = next_update(net, data, s, trainer.optimizer.copy(), trainer.rng_state, full_batch=readable)
    computed = next_update(net, data, s, trainer.optimizer.copy(), trainer.rng_state)
    np.testing.assert_allclose(given.step, computed.step, rtol=0, atol=1e-12)


def test_no_update_when_the_loss_is_not_finite():
    data = datasets.xor()
    net = Network.initialised([2, 3, 1], "linear", "linear", seed=1)
    net.params *= 1e160  # the squared error overflows
    trainer = Trainer(net, data, TrainSettings(lr=0.1))
    update = next_update(net, data, trainer.settings, trainer.optimizer.copy(), trainer.rng_state)
    assert update.stops and not update.step.any()
    assert "training stops here" in update.description
    before = net.params.copy()
    with pytest.raises(TrainingDiverged):
        trainer.run(1)
    assert np.array_equal(net.params, before)


@pytest.mark.parametrize("name", optimizers.NAMES)
def test_an_optimizer_copy_keeps_its_state_and_leaves_the_original_alone(name):
    rng = np.random.default_rng(0)
    original = optimizers.make(name, 6, 0.1)
    params = rng.normal(size=6)
    for _ in range(3):
        original.step(params, rng.normal(size=6))
    twin = original.copy()
    grad = rng.normal(size=6)
    change = original.preview(params, grad)  # changes nothing
    a, b = params.copy(), params.copy()
    twin.step(a, grad)
    twin.step(a, grad)  # the twin moves on; the original must not notice
    original.step(b, grad)
    np.testing.assert_array_equal(b - params, change)
    assert np.abs(change).min() > 0
    assert not np.array_equal(a, b)
