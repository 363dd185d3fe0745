from __future__ import annotations

import os

import imageio.v3 as iio
import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.snapshots import SnapshotHistory
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui import jobs
from nnviz.gui.animation_export import (
    ExportCancelled,
    ExportDialog,
    ExportPathError,
    export_animation,
    export_path,
    image_array,
    loss_in_blocks,
    make_movie,
    plan_frames,
    render_frame,
)
from nnviz.gui.history_view import HistoryView


def tutorial() -> Trainer:
    return Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=1.0))


@pytest.fixture
def view(qtbot):
    w = HistoryView()
    qtbot.addWidget(w)
    w.show()
    return w


def train_and_record(view, t, frames, epochs_per_frame):
    for _ in range(frames):
        # As the window does: each frame a new network object holding the weights after t.epoch epochs.
        view.record(t.network.copy(), t.data, t.settings, t.epoch)
        t.run(epochs_per_frame)
    view.flush()


def test_scrubbing_restores_the_exact_weights_of_a_past_epoch(view, qtbot):
    t = tutorial()
    train_and_record(view, t, 120, 10)
    assert view.slider.maximum() == 119 and view.live
    with qtbot.waitSignal(view.sigScrubbed) as blocker:
        view.slider.setValue(37)
    past = blocker.args[0]
    assert past.epoch == 370 and not view.live
    reference = tutorial()
    reference.run(370)
    assert np.array_equal(past.network.params, reference.network.params)
    assert "epoch 370" in view.epoch_label.text()
    # Resume: the window rewinds its trainer to the past weights and training continues identically.
    with qtbot.waitSignal(view.sigResume) as blocker:
        view.resume_button.click()
    resumed = blocker.args[0]
    t.rewind(resumed.epoch, resumed.network.params)
    assert np.array_equal(t.run(100), reference.run(100))
    assert view.history.epochs[-1] == 370 and view.live
    with qtbot.waitSignal(view.sigScrubbed) as blocker:
        view.slider.setValue(view.slider.maximum() - 1)
    view.go_live()
    assert view.live and not view.resume_button.isEnabled()


def test_scrubbed_epoch_survives_thinning(view):
    view._budget = None
    view.history = SnapshotHistory(tutorial().network, max_snapshots=32)
    t = tutorial()
    train_and_record(view, t, 30, 1)
    view.scrub_to_epoch(12)
    train_and_record(view, t, 40, 1)  # thins while the user looks at epoch 12
    assert view.history.epoch(view.slider.value()) <= 12
    assert view.history.epoch(view.slider.value()) >= 12 - view.history.stride


def test_a_new_architecture_starts_a_new_history(view):
    t = tutorial()
    train_and_record(view, t, 5, 1)
    other = Network.initialised([2, 3, 1], seed=1)
    view.record(other, t.data, t.settings, 0)
    assert len(view.history) == 1 and view.history.template.layers == [2, 3, 1]


def recorded_history(epochs=600) -> tuple[SnapshotHistory, Trainer]:
    t = tutorial()
    h = SnapshotHistory(t.network)
    for _ in range(epochs):
        h.record(t.epoch, t.network.params, t.network.loss_value(t.data.X, t.data.y))
        t.run(1)
    return h, t


def test_exported_gif_has_the_requested_frames(tmp_path):
    h, t = recorded_history()
    frames = plan_frames(h, 100, 500, 12)
    assert [f.epoch for f in frames][:2] == [100, 136] and frames[-1].epoch == 500
    movie = make_movie(h, t.data, frames)
    path = str(tmp_path / "training.gif")
    assert export_animation(path, movie, fps=12) == 12
    images = list(iio.imiter(path, plugin="pillow"))
    assert len(images) == 12 and images[0].shape[:2] == (384, 960)
    # The frame for epoch 500 shows the network of epoch 500.
    assert np.array_equal(movie.networks[-1].params, h.params(h.index_at(500)))


def test_more_frames_than_snapshots_still_gives_the_count(tmp_path):
    h, t = recorded_history(5)
    movie = make_movie(h, t.data, plan_frames(h, 0, 4, 9))
    path = str(tmp_path / "slow.gif")
    assert export_animation(path, movie, fps=5) == 9
    assert len(list(iio.imiter(path, plugin="pillow"))) == 9


def test_mp4_export(tmp_path):
    import imageio.v2 as iio2

    h, t = recorded_history(50)
    movie = make_movie(h, t.data, plan_frames(h, 0, 49, 6))
    path = str(tmp_path / "training.mp4")
    assert export_animation(path, movie, fps=6) == 6
    reader = iio2.get_reader(path, format="FFMPEG")
    try:
        assert reader.count_frames() == 6
    finally:
        reader.close()


def test_a_frame_shows_boundary_diagram_and_loss():
    h, t = recorded_history(50)
    movie = make_movie(h, t.data, plan_frames(h, 0, 49, 2))
    pixels = image_array(render_frame(movie, 1))
    assert pixels.shape == (384, 960, 3)
    # The boundary panel (left third) is coloured, not blank.
    left = pixels[60:360, 20:300].reshape(-1, 3)
    assert len(np.unique(left, axis=0)) > 50


def start_export(qtbot, h, data, path, frames) -> ExportDialog:
    dialog = ExportDialog(h, data)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.path.setText(str(path))
    dialog.frames.setValue(frames)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    return dialog


def test_dialog_exports_in_the_background_with_progress_and_can_cancel(qtbot, tmp_path):
    h, t = recorded_history(300)
    dialog = start_export(qtbot, h, t.data, tmp_path / "out.gif", 20)
    assert dialog.exporting and not dialog.export_button.isEnabled() and not dialog.frames.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() >= 1, timeout=20_000)
    qtbot.waitUntil(lambda: not dialog.exporting, timeout=20_000)
    assert dialog.result_frames == 20 and dialog.error is None
    assert not dialog.isVisible()  # done: the dialog closes itself
    assert len(list(iio.imiter(str(tmp_path / "out.gif"), plugin="pillow"))) == 20

    # Cancelled: the file already there is left as it was, and nothing half-written appears beside it.
    (tmp_path / "cancelled.gif").write_bytes(b"an older file")
    dialog = start_export(qtbot, h, t.data, tmp_path / "cancelled.gif", 2000)
    qtbot.waitUntil(lambda: dialog.progress_bar.value() >= 2, timeout=20_000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.exporting, timeout=20_000)
    assert 2 <= dialog.result_frames < 2000
    assert dialog.isVisible() and dialog.message.text() == "Export cancelled; no file was written."
    assert (tmp_path / "cancelled.gif").read_bytes() == b"an older file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cancelled.gif", "out.gif"]
    assert dialog.export_button.isEnabled()


def test_closing_the_dialog_cancels_the_export(qtbot, tmp_path):
    h, t = recorded_history(300)
    dialog = start_export(qtbot, h, t.data, tmp_path / "closed.gif", 2000)
    qtbot.waitUntil(lambda: dialog.progress_bar.value() >= 1, timeout=20_000)
    job = dialog.job
    assert jobs.registry().descriptions(ask_before_quit_only=True)[0].startswith(
        "Exporting animation to closed.gif (frame ")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and job.cancelled
    qtbot.waitUntil(lambda: not job.running, timeout=5000)
    assert list(tmp_path.iterdir()) == []


def test_a_name_without_extension_gets_the_formats(qtbot, tmp_path):
    h, t = recorded_history(50)
    dialog = start_export(qtbot, h, t.data, tmp_path / "run", 3)
    qtbot.waitUntil(lambda: not dialog.exporting, timeout=20_000)
    assert dialog.result_frames == 3
    assert len(list(iio.imiter(str(tmp_path / "run.gif"), plugin="pillow"))) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]


def test_export_path_adds_the_extension_or_refuses_at_once(tmp_path):
    folder = str(tmp_path)
    assert export_path(f"{folder}/run", "GIF") == f"{folder}/run.gif"
    assert export_path(f"{folder}/run.v2", "MP4") == f"{folder}/run.v2.mp4"
    assert export_path(f"{folder}/run.GIF", "GIF") == f"{folder}/run.GIF"
    refusals = {
        "": "Choose a file to export to.",
        f"{folder}/run.mp4": "run.mp4 ends in .mp4, but the format is GIF; change one of them.",
        folder: f"{folder} is a folder; add a file name.",
        f"{folder}/missing/run.gif": f"There is no folder {folder}/missing.",
    }
    os.mkfifo(tmp_path / "pipe.gif")
    refusals[f"{folder}/pipe.gif"] = f"{folder}/pipe.gif is not a regular file; choose another name."
    for text, message in refusals.items():
        with pytest.raises(ExportPathError) as refused:
            export_path(text, "GIF")
        assert str(refused.value) == message


def test_a_refused_name_says_why_and_starts_nothing(qtbot, tmp_path):
    h, t = recorded_history(50)
    dialog = start_export(qtbot, h, t.data, tmp_path / "run.mp4", 3)
    assert not dialog.exporting and dialog.isVisible()
    assert dialog.message.text() == "run.mp4 ends in .mp4, but the format is GIF; change one of them."
    assert list(tmp_path.iterdir()) == []


def test_an_export_through_a_link_replaces_the_file_it_points_to(tmp_path):
    h, t = recorded_history(50)
    (tmp_path / "real.gif").write_bytes(b"old")
    os.symlink(tmp_path / "real.gif", tmp_path / "link.gif")
    path = export_path(str(tmp_path / "link.gif"), "GIF")
    assert export_animation(path, make_movie(h, t.data, plan_frames(h, 0, 49, 2)), fps=5) == 2
    assert os.path.islink(tmp_path / "link.gif")
    assert len(list(iio.imiter(str(tmp_path / "real.gif"), plugin="pillow"))) == 2


def test_an_export_outlives_the_window_that_started_it(qtbot, tmp_path):
    # The History panel (and with it the window and the dialog) goes while the export runs:
    # the file is still completed, the registry hears the end, and nothing touches the dead widgets.
    owner = HistoryView()
    owner.show()
    t = tutorial()
    train_and_record(owner, t, frames=40, epochs_per_frame=5)
    dialog = owner.open_export_dialog()
    dialog.path.setText(str(tmp_path / "after.gif"))
    dialog.frames.setValue(30)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    job = dialog.job
    written = []
    job.sigDone.connect(written.append)
    qtbot.waitUntil(lambda: dialog.progress_bar.value() >= 1, timeout=20_000)
    assert jobs.registry().descriptions(ask_before_quit_only=True) == [job.describe()]
    with qtbot.waitSignal(jobs.registry().sigAllEnded, timeout=30_000):
        owner.deleteLater()
    assert written == [30]
    assert len(list(iio.imiter(str(tmp_path / "after.gif"), plugin="pillow"))) == 30
    assert [p.name for p in tmp_path.iterdir()] == ["after.gif"]


def test_cancelling_the_export_of_a_big_network_ends_it_within_a_second(qtbot, tmp_path):
    # 8 hidden layers of 64 units on 100,000 points: one frame is seconds of work.
    data = datasets.generate("spiral", n=100_000, seed=0)
    net = Network.initialised([2] + [64] * 8 + [1], "tanh", seed=1)
    h = SnapshotHistory(net)
    for epoch in range(3):
        h.record(epoch, net.params, 0.3)
    dialog = start_export(qtbot, h, data, tmp_path / "big.gif", 3)
    job = dialog.job
    qtbot.wait(300)
    assert job.running
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(job.finished, timeout=1000):
        pass
    assert dialog.result_frames == 0 and list(tmp_path.iterdir()) == []


def test_a_frame_stops_between_its_parts_when_cancelled():
    h, t = recorded_history(50)
    movie = make_movie(h, t.data, plan_frames(h, 0, 49, 2))
    asked = []

    def cancelled():
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(ExportCancelled):
        render_frame(movie, 0, cancelled)
    assert len(asked) == 3
    # The frame's loss is the loss of all points, in blocks or not.
    big = datasets.generate("moons", n=10_000, seed=2)
    assert loss_in_blocks(t.network, big, lambda: False) == pytest.approx(
        t.network.loss_value(big.X, big.y), rel=1e-12)


def test_forgetting_the_future_updates_the_slider_at_once(view, qtbot):
    t = tutorial()
    train_and_record(view, t, 10, 1)
    assert view.slider.maximum() == 9
    view.forget_after(3)  # a reset or a resume went back to epoch 3
    assert view.slider.maximum() == len(view.history) - 1 == 3
    with qtbot.waitSignal(view.sigScrubbed) as blocker:
        view.slider.setValue(2)
    assert blocker.args[0].epoch == 2
    view.forget_after(-1)  # back to before epoch 0: nothing is left
    assert view.slider.maximum() == 0 and len(view.history) == 0
    assert not view.resume_button.isEnabled()


def test_the_summary_reads_naturally_for_one_snapshot_and_for_many(view):
    t = tutorial()
    train_and_record(view, t, 1, 1)
    assert "1</b> snapshot, epoch 0 " in view.info.text()
    train_and_record(view, t, 2, 1)
    assert "3</b> snapshots, epochs 0–2 " in view.info.text()


def test_the_axes_hold_still_while_the_curve_grows_inside_them(view):
    t = tutorial()
    train_and_record(view, t, 10, 10)  # epochs 0..90
    box = view.plot.getViewBox()
    x_range, y_range = box.viewRange()
    end = int(x_range[1] / 1.02)  # the range without its padding (it starts at epoch 0)
    assert x_range[0] <= 0 and 90 <= end <= 4 * 90
    losses = view.history.losses
    assert 10 ** y_range[0] <= losses.min() and losses.max() <= 10 ** y_range[1]
    t.run(end - t.epoch - 1)
    train_and_record(view, t, 2, 1)  # up to the end of the range: the axes stay as they are
    assert view.history.epochs[-1] == end and box.viewRange() == [x_range, y_range]
    t.run(end)
    train_and_record(view, t, 1, 1)  # beyond: the range widens to cover the curve
    wider = box.viewRange()[0]
    assert wider[1] >= view.history.epochs[-1] > x_range[1]
