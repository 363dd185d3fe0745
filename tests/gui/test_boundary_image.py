"""The plane's image as the boundary view draws it: the colour map's colours, in a format Qt blits."""

from __future__ import annotations

import numpy as np
import pytest
from painting import on_paint
from PySide6.QtGui import QImage

from nnviz.core.plane import plane_points
from nnviz.gui import theme
from nnviz.gui.boundary_view import BoundaryView


def rendered(qtbot, view: BoundaryView) -> QImage:
    """The image the next paint draws, once the view has painted a frame."""
    painted = []
    on_paint(view.image, lambda: painted.append(True), "paint")
    view.viewport().update()
    qtbot.waitUntil(lambda: bool(painted))
    return view.image.qimage


@pytest.fixture
def view(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    view.resize(420, 420)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_a_trained_xor_planes_pixels_are_the_colour_map_at_each_probability(qtbot, window):
    window.set_playing(True)
    qtbot.waitUntil(lambda: window.latest is not None and window.latest.epoch >= 3000, timeout=20000)
    window.set_playing(False)
    assert window.wait_for_sync()
    snap = window.latest
    qimage = rendered(qtbot, window.boundary)
    # A 32-bit image is copied to the screen as it is; an indexed one was converted at every frame.
    assert qimage.format() == QImage.Format.Format_RGB32
    r = snap.image.shape[0]
    p = snap.network.predict(plane_points(snap.bounds, r))[:, 0].reshape(r, r)
    assert p.min() < 0.2 and p.max() > 0.8  # both classes' colours are on the plane
    cmap = theme.probability_colormap()
    for row, col in ((5, 5), (80, 80), (150, 20), (20, 150), (100, 60)):
        expected = [int(v) for v in cmap.map(float(p[row, col]), mode="byte")[:3]]
        shown = qimage.pixelColor(col, row)
        assert [shown.red(), shown.green(), shown.blue()] == pytest.approx(expected, abs=3)


def test_pixels_with_no_number_are_left_clear(qtbot, view):
    image = np.linspace(0.0, 1.0, 160 * 160, dtype=np.float32).reshape(160, 160)
    image[7, 9] = np.nan
    view.set_image(image, (0.0, 1.0, 0.0, 1.0))
    qimage = rendered(qtbot, view)
    assert qimage.pixelColor(9, 7).alpha() == 0
    assert qimage.pixelColor(10, 7).alpha() == 255
    low, high = qimage.pixelColor(0, 0), qimage.pixelColor(159, 159)
    assert [low.red(), low.green(), low.blue()] == pytest.approx(list(theme.probability_colormap().map(0.0, mode="byte")[:3]), abs=3)
    assert [high.red(), high.green(), high.blue()] == pytest.approx(list(theme.probability_colormap().map(1.0, mode="byte")[:3]), abs=3)


def test_a_regression_planes_pixels_follow_the_value_scale(qtbot, view):
    image = np.linspace(-2.0, 2.0, 160 * 160, dtype=np.float32).reshape(160, 160)
    view.value_levels = (-2.0, 2.0)
    view.set_image(image, (0.0, 1.0, 0.0, 1.0), regression=True)
    qimage = rendered(qtbot, view)
    cmap = theme.value_colormap()
    for row, col in ((0, 0), (80, 80), (159, 159), (40, 120)):
        expected = [int(v) for v in cmap.map((float(image[row, col]) + 2.0) / 4.0, mode="byte")[:3]]
        shown = qimage.pixelColor(col, row)
        assert [shown.red(), shown.green(), shown.blue()] == pytest.approx(expected, abs=3)


def test_the_legend_is_not_painted_again_with_each_new_plane(qtbot, window):
    # It lies on the plane, so every new image exposes it; a cached legend is copied, not drawn.
    legend = window.boundary.legend
    painted = []
    for item in [legend, *legend.childItems()]:
        on_paint(item, lambda: painted.append(True), "paint")
    frames = []
    window.sigFrame.connect(frames.append)
    window.set_playing(True)
    qtbot.waitUntil(lambda: len(frames) >= 30, timeout=10000)
    window.set_playing(False)
    assert window.wait_for_sync()
    assert len(painted) <= 3  # at most once each, not once per frame
    assert window.boundary.legend_names == ["class 0", "class 1"]
