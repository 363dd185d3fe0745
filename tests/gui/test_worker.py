"""The training thread on its own: snapshots, commands, coalescing, runs."""

from __future__ import annotations

import time

import numpy as np
import pytest

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.core.training_loop import Load, Pause, Play, SetSettings, SetSpeed, Step
from nnviz.gui.worker import TrainingWorker


def load(worker, network, data, settings, epoch=0):
    """Start run number len(runs)+1, as the session does; returns its number."""
    worker.runs = getattr(worker, "runs", 0) + 1
    worker.send(Load(worker.runs, network, data, settings, epoch))
    return worker.runs


def tutorial_network() -> Network:
    return Network.initialised([2, 4, 1], seed=42)


@pytest.fixture
def worker(qtbot):
    w = TrainingWorker(resolution=40)
    snaps = []
    w.sigSnapshotReady.connect(lambda: (s := w.take()) is not None and snaps.append(s))
    w.snaps = snaps
    w.start()
    yield w
    assert w.stop()


def collect_until(qtbot, worker, done, timeout=5000):
    qtbot.waitUntil(lambda: bool(worker.snaps) and bool(done(worker.snaps[-1])), timeout=timeout)
    return worker.snaps


def all_losses(snaps, run):
    return np.concatenate([s.losses for s in snaps if s.run == run])


def test_first_snapshot_arrives_as_a_signal(qtbot, worker):
    with qtbot.waitSignal(worker.sigSnapshotReady, timeout=2000):
        load(worker, tutorial_network(), datasets.xor(), TrainSettings())
    snap = worker.take() or worker.snaps[-1]
    assert snap.epoch == 0
    assert snap.loss == pytest.approx(0.2556753002, abs=1e-9)  # the tutorial's epoch-0 loss
    assert snap.image.dtype == np.float32 and snap.image.shape == (40, 40)
    assert np.all((snap.image >= 0) & (snap.image <= 1))


def test_stepping_1000_epochs_gives_the_tutorials_losses(qtbot, worker):
    gen = load(worker, tutorial_network(), datasets.xor(), TrainSettings())
    worker.send(Step(1000))
    snaps = collect_until(qtbot, worker, lambda s: s.epoch == 1000 and worker.in_sync(s) and not s.running,
                          timeout=20000)
    losses = all_losses(snaps, gen)
    assert len(losses) == 1000
    assert losses[0] == pytest.approx(0.2556753002, abs=1e-9)
    assert losses[99] == pytest.approx(0.2501457364, abs=1e-9)
    assert losses[999] == pytest.approx(0.2036439287, abs=1e-9)
    # Step mode shows every epoch: one snapshot per epoch, one loss each.
    stepped = [s for s in snaps if s.run == gen and len(s.losses)]
    assert all(len(s.losses) == 1 for s in stepped)
    # The same engine without a window gives the same weights, bit for bit.
    core = Trainer(tutorial_network(), datasets.xor(), TrainSettings())
    core.run(1000)
    np.testing.assert_array_equal(snaps[-1].network.params, core.network.params)


def test_full_speed_is_coalesced_to_about_one_snapshot_per_frame(qtbot, worker):
    gen = load(worker, tutorial_network(), datasets.xor(), TrainSettings())
    worker.send(SetSpeed(None))
    worker.send(Play())
    qtbot.wait(1000)
    worker.send(Pause())
    snaps = collect_until(qtbot, worker, lambda s: worker.in_sync(s) and not s.running)
    mine = [s for s in snaps if s.run == gen]
    epochs = mine[-1].epoch
    assert epochs > 2000  # thousands of epochs ...
    assert len(mine) < 90  # ... in at most about 60 updates a second
    # Nothing lost on the way: every epoch's loss arrived once, in order.
    losses = all_losses(snaps, gen)
    assert len(losses) == epochs
    core = Trainer(tutorial_network(), datasets.xor(), TrainSettings())
    np.testing.assert_array_equal(losses, core.run(epochs))


def test_snapshots_are_never_written_after_they_are_sent(qtbot, worker):
    load(worker, tutorial_network(), datasets.xor(), TrainSettings())
    worker.send(Step(3))
    snaps = collect_until(qtbot, worker, lambda s: s.epoch == 3 and not s.running)
    first = snaps[0]
    kept = (first.network.params.copy(), first.image.copy(), first.losses.copy())
    worker.send(SetSpeed(None))
    worker.send(Play())
    qtbot.wait(300)
    worker.send(Pause())
    collect_until(qtbot, worker, lambda s: worker.in_sync(s) and not s.running)
    np.testing.assert_array_equal(first.network.params, kept[0])
    np.testing.assert_array_equal(first.image, kept[1])
    np.testing.assert_array_equal(first.losses, kept[2])


def test_learning_rate_change_takes_effect_at_the_next_epoch(qtbot, worker):
    load(worker, tutorial_network(), datasets.xor(), TrainSettings())
    worker.send(Step(5))
    worker.send(SetSettings(TrainSettings(lr=0.25)))
    worker.send(Step(5))
    snaps = collect_until(qtbot, worker, lambda s: worker.in_sync(s) and s.epoch == 10 and not s.running)
    core = Trainer(tutorial_network(), datasets.xor(), TrainSettings())
    core.run(5)
    core.set_lr(0.25)
    core.run(5)
    np.testing.assert_array_equal(snaps[-1].network.params, core.network.params)
    assert snaps[-1].settings.lr == 0.25


def test_slow_motion_sends_every_epoch(qtbot, worker):
    gen = load(worker, tutorial_network(), datasets.xor(), TrainSettings())
    worker.send(SetSpeed(20))
    worker.send(Play())
    qtbot.waitUntil(lambda: bool(worker.snaps) and worker.snaps[-1].epoch >= 8, timeout=3000)
    worker.send(Pause())
    snaps = collect_until(qtbot, worker, lambda s: worker.in_sync(s) and not s.running)
    mine = [s for s in snaps if s.run == gen and len(s.losses)]
    assert all(len(s.losses) == 1 for s in mine)
    # About 20 epochs a second, not as fast as possible.
    assert mine[-1].epoch < 40


def test_a_new_run_replaces_the_old_one(qtbot, worker):
    load(worker, tutorial_network(), datasets.xor(), TrainSettings())
    worker.send(SetSpeed(None))
    worker.send(Play())
    qtbot.wait(100)
    gen2 = load(worker, Network.initialised([2, 3, 1], seed=1), datasets.xor(), TrainSettings(), epoch=500)
    worker.send(Pause())
    snaps = collect_until(qtbot, worker, lambda s: s.run == gen2 and worker.in_sync(s) and not s.running)
    last = snaps[-1]
    assert last.network.layers == [2, 3, 1]
    assert last.first_epoch >= 500 and last.epoch >= 500


def test_divergence_stops_training_and_says_why(qtbot, worker):
    net = Network.initialised([2, 4, 1], output_activation="linear", activation="linear", seed=3)
    load(worker, net, datasets.xor(), TrainSettings(lr=900.0))
    worker.send(SetSpeed(None))
    worker.send(Play())
    snaps = collect_until(qtbot, worker, lambda s: s.message is not None and not s.running)
    assert "lower the learning rate" in snaps[-1].message
    assert np.all(np.isfinite(snaps[-1].losses))


def test_stop_ends_the_thread_quickly_while_training(qtbot, worker):
    load(worker, tutorial_network(), datasets.xor(), TrainSettings())
    worker.send(SetSpeed(None))
    worker.send(Play())
    qtbot.wait(200)
    t = time.perf_counter()
    assert worker.stop(timeout=1.0)
    assert time.perf_counter() - t < 1.0
    assert not worker.isRunning()


def test_stop_interrupts_a_long_epoch_within_a_second(qtbot, worker):
    # 8 hidden layers of 64 units, 100,000 points, one point per update: an epoch takes many seconds.
    net = Network.initialised([2] + [64] * 8 + [1], seed=1)
    data = datasets.generate("spiral", 100_000, 0.1, 0, 0.0)
    load(worker, net, data, TrainSettings(batch_size=1))
    worker.send(Play())
    qtbot.wait(300)  # well inside the first epoch
    t = time.perf_counter()
    assert worker.stop(timeout=1.0)
    assert time.perf_counter() - t < 1.0
