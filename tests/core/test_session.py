"""The session on its own: every change all-or-nothing, what is shown, and the commands it sends."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets
from nnviz.core.datasets import Dataset
from nnviz.core.errors import ConfigError, DataError
from nnviz.core.frame_gate import FrameGate
from nnviz.core.network import Network
from nnviz.core.session import PastEpoch, Session
from nnviz.core.setup import DataSpec, ModelSpec
from nnviz.core.trainer import TrainSettings
from nnviz.core.training_loop import Load, Pause, Play, SetData, SetParam, Step, TrainingLoop
from nnviz.core.weights_file import Loaded


class Recorder:
    """Stands in for the worker and the views: keeps every command and event."""

    def __init__(self) -> None:
        self.commands = []
        self.events = []

    def kinds(self):
        return [k for k, _ in self.events]


@pytest.fixture
def rec():
    return Recorder()


@pytest.fixture
def session(rec):
    s = Session(rec.commands.append)
    s.subscribe(lambda kind, value: rec.events.append((kind, value)))
    s.begin()
    rec.commands.clear()
    rec.events.clear()
    return s


def test_a_refused_import_changes_nothing_and_sends_nothing(session, rec):
    before = (session.data, session.setup, session.run, session.start, session.modified)
    far = Dataset([[0, 0], [2e6, 0]], [[0], [1]])
    with pytest.raises(DataError, match="coordinates must be between"):
        session.use_dataset(far, source="far.csv")
    assert (session.data, session.setup, session.run, session.start, session.modified) == before
    assert rec.commands == [] and rec.events == []


def test_a_refused_network_changes_nothing(session, rec):
    with pytest.raises(ConfigError):
        session.change_model(ModelSpec(hidden=(0,)))
    assert session.setup.model == ModelSpec() and rec.commands == [] and rec.events == []


def test_a_typed_weight_is_checked_before_it_is_sent(session, rec):
    with pytest.raises(ConfigError):
        session.set_parameter(0, 2, 0, float("nan"))
    with pytest.raises(ConfigError):
        session.set_parameter(1, 9, 0, 1.0)  # W2 has rows 0-3 and the bias row 4
    assert rec.commands == []
    session.set_parameter(1, 4, 0, 2.5)
    assert rec.commands == [SetParam(1, 4, 0, 2.5)]


def test_a_new_data_set_is_a_new_run_and_a_redraw_keeps_the_weights(session, rec):
    run = session.run
    session.change_data_spec(DataSpec("moons", n=100))
    assert session.run == run + 1 and isinstance(rec.commands[0], Load)
    assert rec.commands[0].data is session.data and len(session.data.X) == 80
    rec.commands.clear()
    rec.events.clear()
    session.change_data_spec(DataSpec("moons", n=100, noise=0.3))  # the same problem, redrawn
    assert session.run == run + 1
    assert [type(c) for c in rec.commands] == [SetData]
    assert ("data", ) == tuple(k for k in rec.kinds() if k == "data")
    assert [v.cause for k, v in rec.events if k == "data"] == ["redraw"]


def test_a_past_epoch_stays_shown_while_snapshots_arrive(session, rec):
    session.set_playing(True)
    past = PastEpoch(Network.initialised([2, 4, 1], seed=7), 12, 0.2)
    session.show_past(past)
    assert not session.playing and isinstance(rec.commands[-1], Pause)
    rec.events.clear()
    loop = TrainingLoop(FrameGate(), resolution=8)
    loop.apply([Load(session.run, Network.initialised([2, 4, 1], seed=42), session.data, TrainSettings())])
    assert session.accept(loop.snapshot())
    assert "frame" in rec.kinds() and "shown" not in rec.kinds()  # recorded, not drawn
    assert session.shown().network is past.network and session.shown().past
    session.step()
    assert not session.showing_past and isinstance(rec.commands[-1], Step)
    assert rec.kinds()[-1] == "shown" or "shown" in rec.kinds()


def test_snapshots_of_an_earlier_run_are_dropped(session):
    loop = TrainingLoop(FrameGate(), resolution=8)
    loop.apply([Load(session.run - 1 if session.run > 1 else 99, Network.initialised([2, 4, 1]), session.data,
                     TrainSettings())])
    assert not session.accept(loop.snapshot())
    assert session.latest is None


def test_resume_keeps_the_reset_point(session, rec):
    start = session.start
    past = PastEpoch(Network.initialised([2, 4, 1], seed=5), 40)
    session.resume_from(past)
    load = rec.commands[-1]
    assert isinstance(load, Load) and load.epoch == 40
    assert session.start is start  # Reset still goes back to the run's true start
    run_start = [v for k, v in rec.events if k == "run"][-1]
    assert run_start.keep_losses and run_start.epoch == 40
    with pytest.raises(ConfigError):
        session.resume_from(PastEpoch(Network.initialised([2, 3, 1]), 10))


def test_reopened_xor_points_are_called_xor(session):
    loaded = Loaded(Network.initialised([2, 4, 1]), 100, {}, datasets.xor(), TrainSettings())
    session.open_loaded(loaded, "xor.npz", "/tmp/xor.npz")
    assert session.setup.data.name == "xor"
    moved = datasets.xor()
    moved.X[0] = (0.1, 0.0)
    session.open_loaded(Loaded(Network.initialised([2, 4, 1]), 100, {}, moved, None), "moved.npz")
    assert session.setup.data == DataSpec("custom", 4)
    assert not session.modified and session.path is None


def test_a_data_set_that_needs_more_units_says_so_once(session, rec):
    session.change_data_spec(DataSpec("spiral"))
    messages = [v for k, v in rec.events if k == "run"][-1].message
    assert "spiral usually needs two hidden layers of 8 or more" in messages
    rec.events.clear()
    session.change_data_spec(DataSpec("xor"))
    session.change_data_spec(DataSpec("spiral"))
    assert "usually needs" not in [v for k, v in rec.events if k == "run"][-1].message
    session.change_model(ModelSpec(hidden=(8, 8)))
    rec.events.clear()
    session.change_data_spec(DataSpec("circle"))
    assert "usually needs" not in [v for k, v in rec.events if k == "run"][-1].message


def test_in_sync_counts_every_command(session):
    loop = TrainingLoop(FrameGate(), resolution=8)
    sent = []
    s = Session(sent.append)
    s.begin()
    s.set_playing(True)
    s.set_playing(False)
    loop.apply(sent)
    snap = loop.snapshot()
    assert s.accept(snap) and s.in_sync(snap)
    s.step()
    assert not s.in_sync(snap)
    assert [type(c) for c in sent] == [Load, Play, Pause, Step]
    np.testing.assert_array_equal(snap.network.params, Network.initialised([2, 4, 1], seed=42).params)
