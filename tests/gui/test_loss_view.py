"""The loss curve: bounded drawing cost over millions of epochs, log axis, rewinds."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt

from nnviz.gui.loss_view import LogAxis, LossView, epoch_text


def test_millions_of_epochs_draw_a_few_thousand_points(qtbot):
    view = LossView()
    qtbot.addWidget(view)
    losses = np.geomspace(0.25, 1e-4, 3_000_000) * (1 + 0.01 * np.sin(np.arange(3_000_000)))
    for chunk in np.array_split(losses, 300):  # as frames would deliver them
        view.add(view.end_epoch, chunk, None)
    view.redraw()
    x, y = view.train_curve.getData()
    assert len(x) <= 10_000
    assert x[0] == 0 and x[-1] >= 2_990_000
    # Peaks survive the downsampling: the extremes are drawn.
    assert math.isclose(10 ** y.max(), losses.max()) and math.isclose(10 ** y.min(), losses.min())
    assert view.end_epoch == 3_000_000
    assert view.history.nbytes <= 3 * 1024 * 1024  # whatever the run's length


def test_the_curve_has_about_two_points_per_pixel_column(qtbot):
    # More would be drawn over each other at every frame; fewer would lose the spikes.
    view = LossView()
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    losses = np.geomspace(0.25, 1e-3, 50_000) * (1 + 0.2 * (np.arange(50_000) % 97 == 0))
    view.add(0, losses, None)
    view.redraw()
    x, y = view.train_curve.getData()
    columns = view.getPlotItem().getViewBox().width()
    assert 0.5 * columns <= len(x) <= 2 * columns + 4
    assert math.isclose(10 ** y.max(), losses.max()) and math.isclose(10 ** y.min(), losses.min())


def test_zooming_in_shows_every_epoch(qtbot):
    view = LossView()
    qtbot.addWidget(view)
    losses = np.linspace(1.0, 0.5, 100_000)
    view.add(0, losses, None)
    view.getPlotItem().getViewBox().setXRange(5000, 5100, padding=0)
    view._user_range_changed()
    view.redraw()
    x, y = view.train_curve.getData()
    assert not view.following
    assert np.array_equal(x, np.arange(x[0], x[-1] + 1))  # raw, one point per epoch
    np.testing.assert_allclose(10 ** y, losses[int(x[0]):int(x[-1]) + 1])
    view.follow()
    assert view.following and view.train_curve.getData()[0][-1] == 99_999


def test_a_rewind_drops_the_later_epochs(qtbot):
    view = LossView()
    qtbot.addWidget(view)
    view.add(0, np.full(100, 0.5), np.full(100, 0.6))
    view.add(40, np.full(10, 0.1), np.full(10, 0.2))  # resumed from epoch 40
    assert view.end_epoch == 50
    assert np.all(view.history.train[:40] == 0.5) and np.all(view.history.train[40:] == 0.1)
    assert view.to_csv().splitlines()[0] == "epoch,loss,test_loss"
    view.add(1000, np.full(5, 0.3), None)  # a run starting elsewhere starts the curve afresh
    assert (view.offset, view.end_epoch) == (1000, 1005)


def test_resuming_from_a_past_epoch_truncates_the_curve(qtbot):
    view = LossView()
    qtbot.addWidget(view)
    view.add(0, np.linspace(1, 0.5, 300), None)
    view.redraw()
    view.truncate(119)
    assert view.end_epoch == 120
    x, y = view.train_curve.getData()
    assert x[-1] == 119 and math.isclose(10 ** y[-1], np.linspace(1, 0.5, 300)[119])
    view.add(120, np.full(10, 0.01), None)
    assert view.end_epoch == 130 and view.history.last_loss == 0.01


def test_marker_shows_the_past_epoch_and_hides(qtbot):
    view = LossView()
    qtbot.addWidget(view)
    view.add(0, np.linspace(1, 0.5, 300), None)
    view.set_marker(120)
    assert view.marker.isVisible() and view.marker.value() == 120
    view.set_marker(None)
    assert not view.marker.isVisible()
    view.redraw()
    assert "training" in view.legend.text and "test" not in view.legend.text  # no test split here


def test_export_of_a_long_run_says_buckets_were_merged(qtbot):
    view = LossView()
    qtbot.addWidget(view)
    for start in range(0, 500_000, 50_000):
        view.add(start, np.linspace(1, 0.5, 50_000), np.linspace(2, 1, 50_000))
    lines = view.to_csv().splitlines()
    assert lines[0].startswith("# Epochs 0 to 65535: one row each. Later epochs are merged")
    assert lines[1] == "first_epoch,epoch,loss,loss_min,loss_max,test_loss,test_loss_min,test_loss_max"
    assert lines[-1].startswith("499") and lines[-1].split(",")[1] == "499999"
    assert len(lines) < 65_536 + 16_384 + 3


def test_legend_stays_off_the_curve_and_the_line_ends_short_of_the_edge(qtbot):
    view = LossView()
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    # A flat loss runs along the top of the plot, where a legend inside it would sit.
    view.add(0, np.full(1000, 0.25), np.full(1000, 0.3))
    view.redraw()
    qtbot.waitUntil(lambda: "test" in view.legend.text)
    assert "training" in view.legend.text
    vb = view.getPlotItem().getViewBox()
    plot_area = vb.mapRectToScene(vb.boundingRect())
    assert not view.legend.sceneBoundingRect().intersects(plot_area)
    (x0, x1), _ = vb.viewRange()
    assert x1 - 999 >= 0.1 * (x1 - x0)  # room right of the line's end for its value
    assert view.last_label.isVisible() and view.last_label.textItem.toPlainText() == "0.25"
    room_px = (x1 - 999) * plot_area.width() / (x1 - x0)
    assert room_px >= view.last_label.textItem.boundingRect().width()


def test_log_scale_toggles_with_l(qtbot, window):
    assert window.loss_view.log_scale
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert not window.loss_view.log_scale and not window.log_scale_action.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert window.loss_view.log_scale


def test_log_axis_labels_numbers_even_within_one_decade():
    axis = LogAxis("left")
    axis.setLogMode(False, True)
    levels = axis.tickValues(math.log10(0.2), math.log10(0.26), 300)
    labels = [s for spacing, values in levels for s in axis.tickStrings(values, 1, spacing) if s]
    assert len(labels) >= 2 and all(0.2 <= float(s) <= 0.26 for s in labels)
    wide = axis.tickValues(-5, 0, 300)
    assert axis.tickStrings(wide[0][1], 1, wide[0][0]) == ["1e-05", "0.0001", "0.001", "0.01", "0.1", "1"]


def test_epoch_tick_text():
    assert [epoch_text(v) for v in (900, 25_000, 1_500_000)] == ["900", "25k", "1.5M"]


def test_a_loss_near_the_largest_float_still_gets_a_finite_range_on_either_scale(qtbot):
    # A diverging run's last finite loss can be ~1e308; 5% headroom above it overflowed to inf.
    view = LossView()
    qtbot.addWidget(view)
    view.add(0, np.array([0.25, 3.0, 1.7e308]), None)
    for log_scale in (False, True):
        view.set_log_scale(log_scale)
        view.redraw()
        (x0, x1), (y0, y1) = view.getPlotItem().getViewBox().viewRange()
        assert all(math.isfinite(v) for v in (x0, x1, y0, y1))
        assert y1 > y0


def test_a_new_range_is_painted_in_one_repaint(qtbot):
    # A second repaint just after each frame would cost the window (and training) a frame's time.
    view = LossView()
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    qtbot.waitExposed(view)
    paints = []

    class Counter(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                paints.append(obj)
            return False

    counter = Counter()
    view.viewport().installEventFilter(counter)
    losses = np.geomspace(0.3, 1e-4, 4500)
    view.add(0, losses[:500], None)  # the first losses also bring the legend and the axes' widths
    view.redraw()
    qtbot.wait(200)
    for step in range(1, 9):  # each adds epochs past the x range and losses below the y range
        chunk = losses[step * 500:(step + 1) * 500]
        before = view._range
        view.add(view.end_epoch, chunk, None)
        view.redraw()
        assert view._range != before
        paints.clear()
        qtbot.waitUntil(lambda: len(paints) >= 1, timeout=2000)
        qtbot.wait(60)  # time for a second repaint, if the first asked for one
        assert len(paints) == 1, step
