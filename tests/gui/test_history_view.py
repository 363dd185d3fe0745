from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest
from PySide6.QtWidgets import QProgressDialog

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.snapshots import SnapshotHistory
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui.animation_export import (
    ExportDialog,
    export_animation,
    image_array,
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


def test_dialog_exports_in_a_thread_with_progress_and_can_cancel(qtbot, tmp_path):
    h, t = recorded_history(300)
    dialog = ExportDialog(h, t.data)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(tmp_path / "out.gif"))
    dialog.frames.setValue(20)
    dialog.start()
    assert isinstance(dialog.progress, QProgressDialog) and dialog.thread.isRunning()
    qtbot.waitUntil(lambda: dialog.thread is None, timeout=20_000)
    assert dialog.result_frames == 20 and dialog.error is None
    assert len(list(iio.imiter(str(tmp_path / "out.gif"), plugin="pillow"))) == 20

    dialog = ExportDialog(h, t.data)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(tmp_path / "cancelled.gif"))
    dialog.frames.setValue(2000)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress is not None and dialog.progress.value() >= 2, timeout=20_000)
    dialog.progress.cancel()
    qtbot.waitUntil(lambda: dialog.thread is None, timeout=20_000)
    assert dialog.result_frames < 2000
    assert not (tmp_path / "cancelled.gif").exists()


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
