"""Training behaviour beyond the tutorial preset: optimizers, batches, penalties, divergence."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets
from nnviz.core.errors import ConfigError, TrainingDiverged
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings


def make(settings=None, layers=(2, 4, 1), data=None, **net_kwargs) -> Trainer:
    net = Network.initialised(list(layers), **net_kwargs)
    return Trainer(net, data or datasets.xor(), settings or TrainSettings())


@pytest.mark.parametrize("optimizer, lr", [("sgd", 1.0), ("momentum", 0.5), ("adam", 0.05)])
def test_every_optimizer_solves_xor(optimizer, lr):
    trainer = make(TrainSettings(lr=lr, optimizer=optimizer), layers=(2, 8, 1))
    losses = trainer.run(3000)
    assert losses[-1] < 0.25 * losses[0]
    assert trainer.accuracy() == 1.0


def test_momentum_matches_its_definition():
    trainer = make(TrainSettings(lr=0.3, optimizer="momentum"))
    net, data = trainer.network, trainer.data
    params, velocity = net.params.copy(), np.zeros_like(net.params)
    for _ in range(3):
        probe = Network(net.layers, params=params)
        velocity = 0.9 * velocity - 0.3 * probe.gradient(data.X, data.y)
        params = params + velocity
    trainer.run(3)
    np.testing.assert_allclose(net.params, params, rtol=1e-12)


def test_adam_matches_its_definition():
    trainer = make(TrainSettings(lr=0.01, optimizer="adam"))
    net, data = trainer.network, trainer.data
    params = net.params.copy()
    m = v = np.zeros_like(params)
    for t in range(1, 4):
        g = Network(net.layers, params=params).gradient(data.X, data.y)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        params = params - 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    trainer.run(3)
    np.testing.assert_allclose(net.params, params, rtol=1e-10)


def test_same_seed_same_run_and_other_seed_other_run():
    data = datasets.generate("moons", n=60, seed=1)
    settings = dict(lr=0.5, batch_size=16, seed=7)
    a = make(TrainSettings(**settings), data=data).run(50)
    b = make(TrainSettings(**settings), data=data).run(50)
    c = make(TrainSettings(**{**settings, "seed": 8}), data=data).run(50)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_minibatch_epoch_visits_every_point_once():
    data = datasets.generate("gaussians", n=50, seed=2, test_fraction=0)
    trainer = make(TrainSettings(lr=0.1, batch_size=16), data=data)
    start = trainer.network.params.copy()
    loss = trainer.run(1)[0]
    # 50 points in batches of 16: three of 16 and one of 2, each measured before its own update.
    assert set(trainer._kernels) == {16, 2}
    first_batch_only = Network(trainer.network.layers, params=start).loss_value(data.X, data.y)
    assert loss != first_batch_only and np.isfinite(loss)


def test_test_loss_is_recorded_for_a_split():
    data = datasets.generate("circle", n=100, seed=3, test_fraction=0.25)
    trainer = make(TrainSettings(lr=1.0), data=data)
    trainer.run(20)
    assert trainer.history.has_test
    expected = Network(trainer.network.layers, params=trainer.network.params).loss_value(data.X_test, data.y_test)
    trainer.run(1)
    assert trainer.history.test[-1] == pytest.approx(expected, rel=1e-12)


def penalised_objective(net: Network, data, l1: float, l2: float) -> float:
    """The loss training minimises, written out: the data loss plus the penalty on the weights."""
    weights = net.params * net.weight_mask
    return net.loss_value(data.X, data.y) + 0.5 * l2 * np.sum(weights**2) + l1 * np.abs(weights).sum()


def test_penalised_loss_and_gradient_match_their_definition_and_finite_differences():
    settings = TrainSettings(lr=1e-9, l1=0.01, l2=0.1)
    trainer = make(settings)
    net, data = trainer.network, trainer.data
    loss, grad = trainer.gradient()
    assert loss == pytest.approx(penalised_objective(net, data, 0.01, 0.1), rel=1e-12)
    h = 1e-6  # far smaller than any weight, so no step crosses L1's kink at 0
    assert np.abs(net.params[net.weight_mask == 1]).min() > 100 * h
    probe = net.copy()
    numeric = np.empty_like(grad)
    for i in range(probe.params.size):
        keep = probe.params[i]
        probe.params[i] = keep + h
        up = penalised_objective(probe, data, 0.01, 0.1)
        probe.params[i] = keep - h
        down = penalised_objective(probe, data, 0.01, 0.1)
        probe.params[i] = keep
        numeric[i] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    # The epoch's recorded loss is the same objective, measured before the update.
    assert trainer.run(1)[0] == pytest.approx(loss, rel=1e-12)


def test_l1_penalises_weights_only_not_biases():
    trainer = make(TrainSettings(lr=0.5, l1=0.2))
    trainer.run(20)
    net, data = trainer.network, trainer.data
    net.b[0][:] = [[3.0, -2.0, 5.0, -4.0]]  # large biases: a penalty on them would show
    loss, grad = trainer.gradient()
    data_gradient = net.gradient(data.X, data.y)
    weights = np.concatenate([w.ravel() for w in net.W])
    np.testing.assert_allclose(loss, net.loss_value(data.X, data.y) + 0.2 * np.abs(weights).sum(), rtol=1e-12)
    mask = net.weight_mask == 1
    np.testing.assert_allclose(grad[mask] - data_gradient[mask], 0.2 * np.sign(net.params[mask]), atol=1e-12)
    np.testing.assert_allclose(grad[~mask], data_gradient[~mask], rtol=1e-12, atol=1e-15)


def test_a_new_shuffle_seed_takes_effect_at_the_next_epoch():
    data = datasets.generate("moons", n=60, seed=1)
    switched, kept = (make(TrainSettings(lr=0.5, batch_size=16, seed=7), data=data) for _ in range(2))
    switched.run(5)
    kept.run(5)
    start = switched.network.params.copy()
    switched.set_settings(TrainSettings(lr=0.5, batch_size=16, seed=8))
    switched.run(3)
    # A run that starts from the same weights with seed 8 shuffles the same way (SGD keeps no state).
    fresh = Trainer(Network(switched.network.layers, params=start), data,
                    TrainSettings(lr=0.5, batch_size=16, seed=8))
    fresh.run(3)
    np.testing.assert_array_equal(switched.network.params, fresh.network.params)
    kept.run(3)
    assert not np.allclose(kept.network.params, switched.network.params)


def test_penalty_shrinks_weights():
    plain, penalised = make(), make(TrainSettings(l2=0.05))
    plain.run(500)
    penalised.run(500)
    assert np.sum(penalised.network.W[0] ** 2) < np.sum(plain.network.W[0] ** 2)


def test_divergence_stops_with_a_message_and_keeps_earlier_epochs():
    trainer = make(TrainSettings(lr=50.0), activation="linear", output_activation="linear")
    with pytest.raises(TrainingDiverged, match=r"loss became (NaN|infinite) at epoch \d+; lower the learning rate") as info:
        trainer.run(1000)
    assert 0 < info.value.epoch < 1000
    assert trainer.epoch == info.value.epoch == len(trainer.history)
    assert np.all(np.isfinite(trainer.history.train))


def test_learning_rate_change_continues_from_the_same_weights():
    a, b = make(), make()
    a.run(10)
    b.run(10)
    b.set_lr(0.5)
    before = b.network.params.copy()
    grad = Network(b.network.layers, params=before).gradient(b.data.X, b.data.y)
    b.run(1)
    np.testing.assert_allclose(b.network.params, before - 0.5 * grad, rtol=1e-12)
    assert b.epoch == 11


def test_moved_points_are_used_from_the_next_epoch():
    trainer = make()
    trainer.run(5)
    moved = trainer.data.copy()
    moved.X[0] = [0.3, -0.2]
    trainer.set_data(moved)
    expected = trainer.network.loss_value(moved.X, moved.y)
    assert trainer.run(1)[0] == pytest.approx(expected, rel=1e-12)


def test_rewind_restores_weights_and_history():
    trainer = make()
    trainer.run(30)
    saved = trainer.network.params.copy()
    trainer.run(70)
    trainer.rewind(30, saved)
    assert trainer.epoch == 30 and len(trainer.history) == 30
    again = make()
    again.run(100)
    trainer.run(70)
    np.testing.assert_array_equal(trainer.network.params, again.network.params)


@pytest.mark.parametrize("bad", [dict(lr=-1), dict(lr=0), dict(lr=float("nan")), dict(optimizer="rmsprop"),
                                 dict(batch_size=0), dict(l2=-0.1)])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ConfigError):
        TrainSettings(**bad).check()


@pytest.mark.parametrize("layers", [[2, 0, 1], [2, 65, 1], [2] + [4] * 9 + [1], [3, 4, 1], [2, 4, 2]])
def test_bad_architectures_are_refused(layers):
    with pytest.raises(ConfigError):
        Network(layers)


def test_changing_the_batch_size_takes_effect_at_the_next_epoch():
    data = datasets.generate("gaussians", n=40, seed=2, test_fraction=0)
    trainer = make(data=data)
    trainer.run(3)
    trainer.set_settings(TrainSettings(lr=1.0, batch_size=10))
    trainer.run(1)
    assert trainer._full is None and set(trainer._kernels) == {10}
    trainer.set_settings(TrainSettings(lr=1.0, batch_size=None))
    before = trainer.network.params.copy()
    loss = trainer.run(1)[0]
    assert loss == pytest.approx(Network(trainer.network.layers, params=before).loss_value(data.X, data.y), rel=1e-12)
