"""The learning panels mounted in the real main window."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings


def tutorial_trainer() -> Trainer:
    return Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=1.0))


def step(window, n):
    for _ in range(n):
        window.step()
        assert window.wait_for_sync()


def test_panels_are_docked_hidden_and_fed_when_shown(qtbot, window):
    panels = window.learning
    assert all(not dock.isVisible() for dock in panels.docks.values())
    assert panels.inspector.last_pass is None  # hidden: no work done
    panels.docks["inspector"].show()
    step(window, 3)
    qtbot.waitUntil(lambda: panels.inspector.state is not None and panels.inspector.state.epoch == 3)
    panels.inspector.flush()
    core = tutorial_trainer()
    core.run(3)
    ref = core.network.passes(core.data.X, core.data.y)
    for mine, theirs in zip(panels.inspector.last_pass.dW, ref.dW):
        np.testing.assert_array_equal(mine, theirs)
    # Clicking an edge in the diagram selects that weight in the inspector.
    window.dialogs.numbers.append(None)  # the edit dialog is answered with Cancel
    window.diagram.sigEditRequested.emit(1, 3, 0, 0.0, "weight")
    assert panels.inspector.selected == (1, 3, 0)
    assert "W2[3,0]" in panels.inspector.weight_label.text()


def test_history_scrub_shows_the_past_and_resume_trains_on_from_it(qtbot, window):
    panels = window.learning
    step(window, 12)
    history = panels.history.history
    assert list(history.epochs) == list(range(13))
    panels.docks["history"].show()
    panels.history.flush()
    past = panels.history.scrub_to_epoch(5)
    core = tutorial_trainer()
    core.run(5)
    np.testing.assert_array_equal(past.network.params, core.network.params)
    np.testing.assert_array_equal(window.diagram.network.params, core.network.params)
    panels.history.resume()
    assert window.wait_for_sync()
    assert window.latest.epoch == 5
    np.testing.assert_array_equal(window.latest.network.params, core.network.params)
    assert len(window.loss_view.history) == 5  # the curve up to epoch 5 is kept
    step(window, 4)
    losses = core.run(4)
    np.testing.assert_array_equal(window.latest.network.params, core.network.params)
    np.testing.assert_array_equal(window.loss_view.history.train[5:], losses)
    assert list(history.epochs) == list(range(10))


def test_a_compared_run_opens_as_the_main_network(qtbot, window):
    compare = window.learning.compare
    window.learning.docks["compare"].show()
    qtbot.waitUntil(lambda: compare.state is not None)
    compare.lr_epochs.setValue(300)
    ids = compare.run_lr_sweep()
    qtbot.waitUntil(lambda: not compare.training and all(e.done for e in compare.entries.values()),
                    timeout=20_000)
    compare.open_run(ids[2])  # lr 10
    assert window.wait_for_sync()
    core = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=10.0))
    losses = core.run(300)
    assert window.latest.epoch == 300 and window.latest.settings.lr == 10.0
    np.testing.assert_array_equal(window.latest.network.params, core.network.params)
    np.testing.assert_array_equal(window.loss_view.history.train, losses)


@pytest.mark.parametrize("name", ["inspector", "predictions", "activation", "history", "compare"])
def test_a_shown_panel_settles(qtbot, window, name):
    """Showing a panel while paused must not start a resize -> new plane -> new frame loop."""
    sent = []
    send = window.worker.send
    window.worker.send = lambda cmd: (sent.append(cmd), send(cmd))
    window.learning.docks[name].show()
    qtbot.wait(300)
    settled = len(sent)
    qtbot.wait(300)
    assert len(sent) == settled, sent[settled:]
    assert window.wait_for_sync()
