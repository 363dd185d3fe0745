"""The training loop's logic without a thread: commands in, snapshots out, a fake clock for pacing."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets
from nnviz.core.frame_gate import FrameGate
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.core.training_loop import (
    FRAME_SECONDS,
    Load,
    Pause,
    Play,
    SetData,
    SetParam,
    SetSettings,
    SetSpeed,
    Step,
    Stop,
    TrainingLoop,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tutorial() -> Network:
    return Network.initialised([2, 4, 1], seed=42)


def make(resolution=8):
    clock = FakeClock()
    gate = FrameGate()
    return TrainingLoop(gate, clock=clock, resolution=resolution), gate, clock


def run_until_idle(loop, gate, clock, limit=100_000):
    """Tick, taking every snapshot at once (a GUI that keeps up), until the loop is idle."""
    snaps = []
    for _ in range(limit):
        wait = loop.tick()
        snap = gate.take()
        if snap is not None:
            snaps.append(snap)
        if wait is None:
            return snaps
        clock.now += max(wait, 1e-4)
    raise AssertionError("the loop never went idle")


def test_stepping_gives_the_tutorials_losses_one_snapshot_per_epoch():
    loop, gate, clock = make()
    loop.apply([Load(1, tutorial(), datasets.xor(), TrainSettings()), Step(100)])
    snaps = run_until_idle(loop, gate, clock)
    stepped = [s for s in snaps if len(s.losses)]
    assert len(stepped) == 100 and all(len(s.losses) == 1 for s in stepped)
    losses = np.concatenate([s.losses for s in snaps])
    assert losses[0] == pytest.approx(0.2556753002, abs=1e-9)
    assert losses[99] == pytest.approx(0.2501457364, abs=1e-9)
    assert snaps[-1].epoch == 100 and not snaps[-1].running


def test_commands_after_a_step_wait_for_its_epochs():
    loop, gate, clock = make()
    loop.apply([Load(1, tutorial(), datasets.xor(), TrainSettings()), Step(5),
                SetSettings(TrainSettings(lr=0.25)), Step(5)])
    assert loop.holding
    snaps = []
    for _ in range(1000):
        wait = loop.tick()
        snap = gate.take()
        if snap is not None:
            snaps.append(snap)
        if wait is None and not loop.holding:
            break
        loop.apply([])  # the thread's drain: held commands go on once the steps are done
        clock.now += max(wait or 0, 1e-4)
    core = Trainer(tutorial(), datasets.xor(), TrainSettings())
    core.run(5)
    core.set_lr(0.25)
    core.run(5)
    assert snaps[-1].epoch == 10
    np.testing.assert_array_equal(snaps[-1].network.params, core.network.params)
    assert snaps[-1].settings.lr == 0.25
    assert snaps[-1].commands_applied == 4


def test_full_speed_publishes_at_most_one_snapshot_per_frame_and_loses_no_loss():
    loop, gate, clock = make()
    loop.apply([Load(1, tutorial(), datasets.xor(), TrainSettings()), SetSpeed(None), Play()])
    snaps = []
    for _ in range(3000):
        loop.tick()
        snap = gate.take()
        if snap is not None:
            snaps.append(snap)
        clock.now += 0.001  # each tick "takes" a millisecond
    loop.apply([Pause()])
    snaps += run_until_idle(loop, gate, clock)
    # Three seconds of fake time: about 60 frames a second, never more.
    assert 100 <= len(snaps) <= 3 / FRAME_SECONDS + 2
    losses = np.concatenate([s.losses for s in snaps])
    assert len(losses) == snaps[-1].epoch
    np.testing.assert_array_equal(losses, Trainer(tutorial(), datasets.xor(), TrainSettings()).run(len(losses)))
    assert [s.first_epoch for s in snaps[1:]] == [s.epoch for s in snaps[:-1]]


def test_a_chosen_rate_is_kept_by_the_clock():
    loop, gate, clock = make()
    loop.apply([Load(1, tutorial(), datasets.xor(), TrainSettings()), SetSpeed(20), Play()])
    start = clock.now
    snaps = []
    while clock.now - start < 2.0:
        wait = loop.tick()
        snap = gate.take()
        if snap is not None:
            snaps.append(snap)
        clock.now += max(wait or 0, 1e-3)
    assert 38 <= snaps[-1].epoch <= 42  # 20 epochs a second for 2 s
    assert all(len(s.losses) <= 1 for s in snaps)  # slow motion: every epoch shown


def test_snapshot_reports_the_loss_of_its_own_weights_beside_the_last_epochs_loss():
    loop, gate, clock = make()
    loop.apply([Load(1, tutorial(), datasets.xor(), TrainSettings()), Step(1000)])
    last = run_until_idle(loop, gate, clock)[-1]
    assert last.loss == pytest.approx(0.2036439287, abs=1e-9)  # epoch 999's, before its update
    net = tutorial()
    Trainer(net, datasets.xor(), TrainSettings()).run(1000)
    assert last.weights_loss == pytest.approx(net.loss_value(datasets.xor().X, datasets.xor().y), abs=1e-12)
    assert last.weights_loss < last.loss


def test_snapshots_carry_the_optimizer_state_as_a_copy():
    loop, gate, clock = make()
    loop.apply([Load(1, tutorial(), datasets.xor(), TrainSettings(optimizer="adam", lr=0.05)), Step(3)])
    snaps = run_until_idle(loop, gate, clock)
    first = [s for s in snaps if s.epoch == 1][0]
    assert first.optimizer.t == 1 and snaps[-1].optimizer.t == 3
    assert first.optimizer is not snaps[-1].optimizer
    assert not np.shares_memory(first.optimizer.m, loop.trainer.optimizer.m)


def test_data_commands_are_coalesced_to_the_newest():
    loop, gate, clock = make()
    xor = datasets.xor()
    moved = [datasets.Dataset(xor.X + dx, xor.y) for dx in (0.1, 0.2, 0.3)]
    loop.apply([Load(1, tutorial(), xor, TrainSettings())] + [SetData(d) for d in moved])
    assert loop.trainer.data is moved[-1]
    assert loop.applied == 4


def test_a_typed_parameter_replaces_one_entry():
    loop, gate, clock = make()
    loop.apply([Load(1, tutorial(), datasets.xor(), TrainSettings()), SetParam(1, 4, 0, 2.5)])
    snap = run_until_idle(loop, gate, clock)[-1]
    assert snap.network.b[1][0, 0] == 2.5
    assert np.array_equal(snap.network.W[0], tutorial().W[0])


def test_divergence_stops_and_says_why():
    loop, gate, clock = make()
    net = Network.initialised([2, 4, 1], output_activation="linear", activation="linear", seed=3)
    loop.apply([Load(1, net, datasets.xor(), TrainSettings(lr=900.0)), Play()])
    snaps = run_until_idle(loop, gate, clock)
    assert "lower the learning rate" in snaps[-1].message and not snaps[-1].running
    assert not loop.running


def test_stop_ends_the_loop_and_an_interrupt_ends_a_long_epoch():
    calls = {"n": 0}

    def interrupted():
        calls["n"] += 1
        return calls["n"] > 10  # after ten mini-batches

    loop = TrainingLoop(FrameGate(), clock=FakeClock(), resolution=8, interrupted=interrupted)
    data = datasets.generate("spiral", 2000, 0.1, 0, 0.0)
    loop.apply([Load(1, tutorial(), data, TrainSettings(batch_size=1)), Step(1)])
    for _ in range(3):  # the first tick publishes the loaded network; then the epoch starts
        loop.tick()
        loop.gate.take()
    assert calls["n"] == 11
    assert loop.trainer.epoch == 0 and not loop.training  # the epoch was abandoned, not finished
    assert loop.apply([Stop()]) is False


def test_a_gate_of_lists_keeps_every_item_until_taken_and_tells_once():
    told = []
    gate = FrameGate(lambda: told.append(1))
    gate.add([1, 2])
    gate.add([3])
    assert told == [1] and not gate.is_free()
    assert gate.take() == [1, 2, 3] and gate.is_free()
    gate.add([])
    assert told == [1] and gate.take() is None
    gate.add([4])
    assert told == [1, 1] and gate.take() == [4]


# -- what the diagram asks for, and training's share of the time ------------------------------
from nnviz.core.training_loop import (  # noqa: E402
    LEAST_TRAINING_SHARE, MIN_FRAME_RATE, TRAINING_SHARE, SetDiagramNeeds, counted)
from nnviz.core.unit_maps import DiagramNeeds, coloured_unit_maps  # noqa: E402


def test_snapshots_carry_the_diagrams_numbers_only_when_asked_and_the_request_is_not_counted():
    loop, gate, clock = make()
    loop.apply([Load(1, tutorial(), datasets.xor(), TrainSettings()), Step(3)])
    snaps = run_until_idle(loop, gate, clock)
    assert all(s.diagram is None for s in snaps)
    applied = snaps[-1].commands_applied
    palette = np.stack([np.arange(256)] * 3, axis=1).astype(np.uint8)
    needs = SetDiagramNeeds(DiagramNeeds(maps=True, gradients=True, palette=palette))
    assert not counted(needs)
    loop.apply([needs])
    snap = run_until_idle(loop, gate, clock)[-1]  # a new snapshot, without training
    assert snap.epoch == 3 and snap.commands_applied == applied
    net, data = snap.network, snap.data
    np.testing.assert_allclose(snap.diagram.gradient, net.gradient(data.X, data.y), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(snap.diagram.step, -1.0 * snap.diagram.gradient)  # SGD, lr 1
    for got, expected in zip(snap.diagram.maps, coloured_unit_maps(net, snap.bounds, palette)):
        np.testing.assert_array_equal(got, expected)
    hidden = net.forward(data.X)[1][0]
    np.testing.assert_allclose(snap.diagram.activations[0], hidden.mean(axis=0))
    loop.apply([SetDiagramNeeds(DiagramNeeds())])
    assert run_until_idle(loop, gate, clock)[-1].diagram is None


class SlowGui(FrameGate):
    """A GUI that takes ``seconds`` of the fake clock to draw each snapshot."""

    def __init__(self, clock, seconds: float) -> None:
        super().__init__()
        self.clock, self.seconds, self.drawing = clock, seconds, False

    def publish(self, item) -> None:
        super().publish(item)
        self.drawing = True

    def wait_gui_free(self, timeout: float) -> None:
        if self.drawing:
            self.clock.now += min(self.seconds, timeout)
            self.drawing = False


@pytest.mark.parametrize("gui_seconds", [0.003, 0.0075, 0.025])
def test_at_full_speed_frames_and_training_share_the_time_as_promised(monkeypatch, gui_seconds):
    clock = FakeClock()
    epoch_seconds = 1e-4
    run = Trainer.run

    def timed_run(self, epochs, interrupted=None):
        clock.now += epochs * epoch_seconds
        return run(self, epochs, interrupted)

    monkeypatch.setattr(Trainer, "run", timed_run)
    gate = SlowGui(clock, gui_seconds)
    loop = TrainingLoop(gate, clock=clock, resolution=8)
    loop.apply([Load(1, tutorial(), datasets.xor(), TrainSettings()), Play()])
    start, published = clock.now, 0
    while clock.now - start < 1.0:
        wait = loop.tick()  # before reading the clock: the tick moves it
        clock.now += wait or 0.0
        published += gate.take() is not None
    seconds = clock.now - start
    share, fps = loop.trainer.epoch * epoch_seconds / seconds, published / seconds
    # Never less than the least share, however slow the GUI: frames come less often instead.
    assert share >= LEAST_TRAINING_SHARE * 0.95
    if gui_seconds / (1 - TRAINING_SHARE) <= 1 / MIN_FRAME_RATE:
        # A quick GUI: training has its full share, at the display's rate.
        assert share >= TRAINING_SHARE * 0.95 and fps >= 0.95 / FRAME_SECONDS
    elif gui_seconds / (1 - LEAST_TRAINING_SHARE) <= 1 / MIN_FRAME_RATE:
        # A GUI that leaves less room: the frame rate stays at its floor, training has the rest.
        assert fps >= MIN_FRAME_RATE * 0.95
        assert share >= (1 - gui_seconds * MIN_FRAME_RATE) * 0.99
    else:
        # A slow GUI: frames come as often as the least share allows.
        assert fps >= 0.95 * (1 - LEAST_TRAINING_SHARE) / gui_seconds