"""The animation export draws the diagram's lines by weight or by gradient, as chosen."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.snapshots import SnapshotHistory
from nnviz.gui.animation_export import image_array, make_movie, paint_diagram, plan_frames, render_frame


def line_colour(network: Network, gradient: np.ndarray | None) -> QColor:
    """The colour halfway along the line from x1 to the hidden unit of a 2-1-1 diagram drawn at 300 x 200."""
    image = QImage(300, 200, QImage.Format.Format_RGB888)
    image.fill(QColor("white"))
    p = QPainter(image)
    paint_diagram(p, QRectF(0, 0, 300, 200), network, gradient=gradient)
    p.end()
    return image.pixelColor(100, 89)  # between x1 at (50, 78) and the hidden unit at (150, 100)


def test_the_lines_follow_the_gradients_sign_in_gradient_mode(qapp):
    net = Network([2, 1, 1], params=np.array([0.8, 0.8, 0.0, 0.9, 0.0]))  # W1 = [0.8, 0.8], b1, W2, b2
    by_weight = line_colour(net, None)
    assert by_weight.blue() > by_weight.red()  # a positive weight: blue
    gradient = np.array([-0.3, 0.1, 0.0, 0.2, 0.0])  # dL/dW1[0, 0] < 0: orange although the weight is positive
    by_gradient = line_colour(net, gradient)
    assert by_gradient.red() > by_gradient.blue()


def test_a_gradient_movie_differs_from_a_weight_movie_only_in_the_diagram(qapp):
    data = datasets.xor()
    history = SnapshotHistory(Network.initialised([2, 4, 1]))
    net = Network.initialised([2, 4, 1])
    for epoch in range(3):
        history.record(epoch, net.params)
    frames = plan_frames(history, 0, 2, 2)
    weights = image_array(render_frame(make_movie(history, data, frames), 1))
    gradients = image_array(render_frame(make_movie(history, data, frames, "gradients"), 1))
    third = weights.shape[1] // 3
    changed = np.any(weights != gradients, axis=2)
    assert changed[:, third:2 * third].any()
    assert not changed[60:, :third - 20].any() and not changed[60:, 2 * third + 30:].any()
