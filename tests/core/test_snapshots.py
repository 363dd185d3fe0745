from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.snapshots import SnapshotHistory
from nnviz.core.trainer import Trainer, TrainSettings


def tutorial_trainer() -> Trainer:
    return Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=1.0))


def test_every_epoch_is_kept_until_the_budget_is_reached():
    trainer = tutorial_trainer()
    history = SnapshotHistory(trainer.network, max_snapshots=64)
    for _ in range(64):
        assert history.record(trainer.epoch, trainer.network.params)
        trainer.run(1)
    assert list(history.epochs) == list(range(64))
    assert history.stride == 1


def test_thinning_keeps_the_count_bounded_and_spread_from_the_start():
    net = Network.initialised([2, 4, 1], seed=1)
    history = SnapshotHistory(net, max_snapshots=64)
    for epoch in range(0, 1_000_000, 7):  # irregular epochs, as frames deliver them
        history.record(epoch, net.params)
        assert len(history) <= 64
    epochs = history.epochs
    assert epochs[0] == 0
    assert 32 <= len(history) <= 64
    assert np.all(np.diff(epochs) > 0)
    # Evenly spread: no gap is much wider than the stride.
    assert np.diff(epochs).max() <= 2 * history.stride
    assert epochs[-1] > 1_000_000 - 2 * history.stride


def test_the_budget_in_bytes_caps_large_networks():
    big = Network([2] + [64] * 8 + [1])
    history = SnapshotHistory(big, budget_bytes=8 * 1024 * 1024)
    assert history.capacity * big.params.size * 8 <= 8 * 1024 * 1024
    assert history.nbytes <= 8 * 1024 * 1024 + 64 * 1024


def test_restoring_a_snapshot_with_rewind_gives_the_exact_weights_and_continues_identically():
    trainer = tutorial_trainer()
    history = SnapshotHistory(trainer.network, max_snapshots=32)
    for _ in range(300):  # thins several times
        history.record(trainer.epoch, trainer.network.params)
        trainer.run(1)
    index = history.index_at(150)
    epoch = history.epoch(index)
    assert epoch <= 150

    reference = tutorial_trainer()
    reference.run(epoch)
    assert np.array_equal(history.params(index), reference.network.params)

    trainer.rewind(epoch, history.params(index))
    assert trainer.epoch == epoch and len(trainer.history) == epoch
    assert np.array_equal(trainer.network.params, reference.network.params)
    assert np.array_equal(trainer.run(50), reference.run(50))


def test_going_back_drops_the_snapshots_of_the_abandoned_future():
    net = Network.initialised([2, 4, 1], seed=42)
    history = SnapshotHistory(net)
    for epoch in range(10):
        history.record(epoch, net.params + epoch)
    history.record(4, net.params - 1)  # resumed from epoch 4 with other weights
    assert list(history.epochs) == [0, 1, 2, 3, 4]
    assert np.array_equal(history.params(4), net.params - 1)
    past = history.network(2)
    assert np.array_equal(past.params, net.params + 2)
    assert past is not net and past.layers == net.layers


def test_accepts_only_the_same_architecture():
    history = SnapshotHistory(Network([2, 4, 1]))
    assert history.accepts(Network([2, 4, 1]))
    assert not history.accepts(Network([2, 3, 1]))
    assert not history.accepts(Network([2, 4, 1], activation="tanh"))
    with pytest.raises(IndexError):
        history.params(0)


def test_recording_the_newest_epoch_again_replaces_its_snapshot():
    net = Network.initialised([2, 4, 1], seed=42)
    history = SnapshotHistory(net)
    for epoch in range(6):
        history.record(epoch, net.params + epoch, loss=float(epoch))
    # The user edited a weight at epoch 5: the window offers epoch 5 again, with new weights.
    assert history.record(5, net.params - 7, loss=0.25)
    assert list(history.epochs) == [0, 1, 2, 3, 4, 5]
    assert np.array_equal(history.params(5), net.params - 7)
    assert history.losses[5] == 0.25
    assert np.array_equal(history.params(4), net.params + 4)
