"""Weights files, CSV and PNG through the File menu; bad files change nothing."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from nnviz.core import datasets, weights_file


def train(qtbot, window, epochs):
    target = window.latest.epoch + epochs
    window.session.step(epochs)
    qtbot.waitUntil(lambda: window.latest.epoch == target, timeout=10000)
    assert window.wait_for_sync()


def state(window):
    snap = window.latest
    return snap.epoch, snap.network.params.copy(), window.data.X.copy(), len(window.loss_view.history)


def test_save_then_open_gives_the_same_weights(qtbot, window, dialogs, tmp_path):
    train(qtbot, window, 30)
    saved_epoch, saved_params, saved_X, _ = state(window)
    path = str(tmp_path / "run.npz")
    dialogs.paths = [path]
    assert window.actions["save"].isEnabled()
    window.actions["save"].trigger()  # no file yet: asks where (Save As)
    assert window.path == path and not window.modified
    on_disk = weights_file.load(path)
    np.testing.assert_array_equal(on_disk.network.params, saved_params)
    assert on_disk.epoch == 30

    train(qtbot, window, 10)  # move on, then come back
    assert window.modified
    dialogs.save_answer = "discard"
    dialogs.paths = [path]
    window.actions["open"].trigger()
    assert dialogs.questions  # it asked about the unsaved epochs first
    assert window.wait_for_sync()
    epoch, params, X, _ = state(window)
    assert epoch == saved_epoch
    np.testing.assert_array_equal(params, saved_params)
    np.testing.assert_array_equal(X, saved_X)
    assert path in window.store.recent_files()
    # Training continues from the file's epoch.
    train(qtbot, window, 5)
    assert window.latest.epoch == 35


@pytest.mark.parametrize("content, words", [
    (b"not a zip at all", "not a zip archive"),
    (b"", "not a zip archive"),
])
def test_a_bad_weights_file_shows_the_reason_and_changes_nothing(qtbot, window, dialogs, tmp_path,
                                                                 content, words):
    train(qtbot, window, 7)
    before = state(window)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(content)
    dialogs.paths = [str(bad)]
    window.session.set_modified(False)
    window.actions["open"].trigger()
    assert len(dialogs.errors) == 1
    _title, text = dialogs.errors[0]
    assert words in text and "\n" not in text
    assert window.wait_for_sync()
    after = state(window)
    assert after[0] == before[0] and after[3] == before[3]
    np.testing.assert_array_equal(after[1], before[1])
    np.testing.assert_array_equal(after[2], before[2])


def test_a_file_with_mismatched_shapes_is_refused(qtbot, window, dialogs, tmp_path):
    path = tmp_path / "shapes.npz"
    meta = '{"format": "nnviz-weights", "version": 1, "layers": [2, 4, 1], "activation": "sigmoid", ' \
           '"output_activation": "sigmoid", "loss": "mse", "epoch": 3}'
    np.savez(path, W1=np.zeros((2, 3)), b1=np.zeros((1, 4)), W2=np.zeros((4, 1)), b2=np.zeros((1, 1)),
             meta=np.array(meta))
    params = window.latest.network.params.copy()
    assert not window.files.open_path(str(path))
    assert "W1 has shape (2, 3)" in dialogs.errors[0][1]
    assert window.latest.network.layers == [2, 4, 1]
    np.testing.assert_array_equal(window.latest.network.params, params)


def test_quitting_with_unsaved_changes_asks_first(qtbot, window, dialogs):
    train(qtbot, window, 3)
    dialogs.save_answer = "cancel"
    assert not window.close()
    assert window.isVisible() and window.worker.isRunning()
    dialogs.save_answer = "discard"
    window.close()
    # The window closes once its threads have ended, without the GUI thread waiting for them.
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=1000)
    assert not window.worker.isRunning()


def test_quitting_without_changes_does_not_ask(qtbot, window, dialogs):
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=1000)
    assert dialogs.questions == []


def test_import_and_export_points(qtbot, window, dialogs, tmp_path):
    out = str(tmp_path / "points.csv")
    dialogs.paths = [out]
    assert window.files.export_points()
    back = datasets.read_csv(out)
    np.testing.assert_array_equal(back.X, datasets.xor().X)
    csv = tmp_path / "mine.csv"
    csv.write_text("x1,x2,label\n0,0,0\n1,1,1\n2,2,0\n")
    dialogs.paths = [str(csv)]
    window.actions["import_points"].trigger()
    assert window.wait_for_sync()
    assert len(window.latest.data.X) == 3
    assert window.controls.dataset.currentData() == "custom"
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n0,zero,1\n")  # a label of 2 is a third class now
    dialogs.paths = [str(bad)]
    assert not window.files.import_points()
    assert "line 2" in dialogs.errors[-1][1]
    assert len(window.latest.data.X) == 3


def test_export_loss_history_and_images(qtbot, window, dialogs, tmp_path):
    train(qtbot, window, 12)
    loss_csv = str(tmp_path / "loss.csv")
    dialogs.paths = [loss_csv]
    window.actions["export_loss"].trigger()
    lines = Path(loss_csv).read_text().splitlines()
    assert lines[0] == "epoch,loss" and len(lines) == 13
    assert float(lines[1].split(",")[1]) == pytest.approx(0.2556753002, abs=1e-9)
    for key in ("window", "boundary", "diagram", "loss"):
        png = str(tmp_path / f"{key}.png")
        dialogs.paths = [png]
        window.actions[f"export_png_{key}"].trigger()
        assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_opened_trained_network_shows_its_loss_on_the_curve(qtbot, window, dialogs, tmp_path):
    from nnviz.core.network import Network
    from nnviz.core.trainer import Trainer, TrainSettings

    t = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings())
    t.run(2000)
    path = tmp_path / "trained.npz"
    weights_file.save(path, t.network, t.epoch, t.data, t.settings)
    dialogs.paths = [str(path)]
    window.actions["open"].trigger()
    assert window.wait_for_sync()
    qtbot.wait(50)
    record = window.loss_view.history
    assert (record.first_epoch, record.end_epoch) == (2000, 2001)
    assert record.train[0] == pytest.approx(t.network.loss_value(t.data.X, t.data.y), abs=1e-12)
    # Training on replaces that point with the epoch's own loss and goes on from it.
    train(qtbot, window, 3)
    assert (window.loss_view.history.first_epoch, window.loss_view.history.end_epoch) == (2000, 2003)
    np.testing.assert_allclose(window.loss_view.history.train, t.run(3), atol=1e-12)


def test_saving_onto_what_is_not_a_regular_file_is_refused_and_leaves_it_alone(qtbot, window, dialogs,
                                                                                 tmp_path):
    train(qtbot, window, 5)
    folder = tmp_path / "folder.npz"
    folder.mkdir()
    pipe = tmp_path / "pipe.npz"
    os.mkfifo(pipe)
    loss_pipe = tmp_path / "loss.csv"
    os.mkfifo(loss_pipe)
    for target in (folder, pipe):
        dialogs.paths = [str(target)]
        assert not window.files.save_as()
        title, text = dialogs.errors[-1]
        assert title == "Cannot save" and target.name in text and "\n" not in text
    dialogs.paths = [str(loss_pipe)]
    window.actions["export_loss"].trigger()
    assert len(dialogs.errors) == 3 and loss_pipe.name in dialogs.errors[-1][1]
    # Each is still what it was, and the session has no file and still has unsaved work.
    assert folder.is_dir() and not any(folder.iterdir())
    assert stat.S_ISFIFO(pipe.stat().st_mode) and stat.S_ISFIFO(loss_pipe.stat().st_mode)
    assert window.path is None and window.modified
