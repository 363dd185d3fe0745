from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnviz.core import datasets, weights_file
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui import jobs
from nnviz.gui.compare_view import CompareView


@pytest.fixture
def view(qtbot):
    w = CompareView()
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    yield w
    w.shutdown()
    qtbot.waitUntil(lambda: not jobs.registry().running(), timeout=1000)


def wait_done(qtbot, view, timeout=30_000):
    qtbot.waitUntil(lambda: not view.training and view.entries
                    and all(e.done for e in view.entries.values()), timeout=timeout)


def test_lr_sweep_reproduces_the_tutorial_and_equals_separate_runs(view, qtbot):
    ids = view.run_lr_sweep()
    assert len(ids) == 3
    wait_done(qtbot, view)
    for lr, run_id in zip((0.1, 1.0, 10.0), ids):
        entry = view.entries[run_id]
        separate = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=lr))
        assert np.array_equal(entry.history.train, separate.run(500))
        assert entry.epoch == 500
        x, y = view.curves[run_id].getOriginalDataset()
        assert np.array_equal(y, entry.history.train) and x[-1] == 499
    assert round(view.entries[ids[2]].final_loss, 6) == 0.000796
    assert view.entries[ids[2]].accuracy == 1.0
    assert view.table.item(2, 2).text() == "0.000796"


def test_hidden_sweep_on_the_current_settings(view, qtbot):
    data = datasets.generate("gaussians", n=60, seed=2)
    view.set_state(Network([2, 3, 1], "tanh"), data, TrainSettings(lr=0.5), 0)
    view.hidden_edit.setText("2, 5")
    view.hidden_epochs.setValue(200)
    ids = view.run_hidden_sweep()
    wait_done(qtbot, view)
    for n, run_id in zip((2, 5), ids):
        entry = view.entries[run_id]
        assert entry.config.layers == [2, n, 1] and entry.config.activation == "tanh"
        separate = Trainer(Network.initialised([2, n, 1], "tanh", seed=42), data, TrainSettings(lr=0.5))
        assert np.array_equal(entry.history.train, separate.run(200))
        assert entry.accuracy == separate.accuracy()


def test_a_bad_list_says_so_and_keeps_the_runs(view, qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr("nnviz.gui.compare_view.QMessageBox.warning", lambda *a: shown.append(a[2]))
    view.lr_edit.setText("0.1, fast")
    assert view.run_lr_sweep() == []
    assert shown and "'fast'" in shown[0]


def test_weights_file_and_current_settings_as_runs_then_open(view, qtbot, tmp_path):
    t = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=2.0))
    t.run(300)
    path = tmp_path / "w.npz"
    weights_file.save(path, t.network, t.epoch, t.data, t.settings)
    view.other_epochs.setValue(100)
    file_id = view.add_weights_file(str(path))
    current_id = view.add_current()
    wait_done(qtbot, view)
    entry = view.entries[file_id]
    assert entry.epoch == 400
    assert np.array_equal(entry.history.train, t.run(100))
    x, _ = view.curves[file_id].getOriginalDataset()
    assert x[0] == 300
    with qtbot.waitSignal(view.sigOpenRun) as blocker:
        view.open_run(file_id)
    opened = blocker.args[0]
    assert np.array_equal(opened.network.params, t.network.params)
    assert opened.epoch == 400 and opened.settings.lr == 2.0 and len(opened.losses) == 100
    assert view.entries[current_id].config.settings.lr == 1.0  # no state given: the tutorial's


def test_stop_and_clear_leave_no_thread(view, qtbot):
    view.lr_epochs.setValue(5_000_000)
    view.run_lr_sweep()
    qtbot.waitUntil(lambda: any(len(e.history) for e in view.entries.values()), timeout=5000)
    view.stop()
    assert not view.training
    assert all(e.done for e in view.entries.values())
    assert view.table.item(0, 4).text() == "stopped"
    view.clear()
    assert not view.entries and view.table.rowCount() == 0
    # Runs can start again after a stop.
    view.lr_epochs.setValue(20)
    view.run_lr_sweep()
    wait_done(qtbot, view)
    assert all(e.epoch == 20 for e in view.entries.values())


def test_stopping_big_runs_never_blocks_and_the_thread_ends_within_a_second(view, qtbot):
    # Four runs of 8 hidden layers of 64 units: one epoch is a long stretch of NumPy work.
    data = datasets.generate("spiral", n=20_000, seed=1, test_fraction=0)
    view.set_state(Network([2] + [64] * 8 + [1], "tanh"), data, TrainSettings(lr=0.05), 0)
    view.lr_edit.setText("0.01, 0.03, 0.1, 0.3")
    for stop in (lambda: qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton), view.shutdown):
        assert len(view.run_lr_sweep()) == 4
        qtbot.wait(300)  # inside the first epochs
        assert view.training
        started = time.perf_counter()
        stop()
        blocked = time.perf_counter() - started
        assert blocked < 0.1 and not view.training
        qtbot.waitUntil(lambda: not jobs.registry().running(), timeout=1000)
        assert all(e.done for e in view.entries.values())


def test_a_run_added_after_the_window_cancelled_every_job_still_trains(view, qtbot):
    view.lr_epochs.setValue(5_000_000)
    view.run_lr_sweep()
    qtbot.waitUntil(lambda: any(len(e.history) for e in view.entries.values()), timeout=5000)
    jobs.registry().cancel_all()  # as the window's quit does
    view.other_epochs.setValue(50)
    run_id = view.add_current()
    qtbot.waitUntil(lambda: view.entries[run_id].done, timeout=10_000)
    assert view.entries[run_id].epoch == 50 and view.entries[run_id].error is None
