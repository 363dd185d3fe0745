"""Colours and pyqtgraph options shared by every view.

Okabe-Ito colours, which stay distinct under the common colour-vision
deficiencies.  One rule throughout the window: blue means class 1 / a
positive weight / a high output, orange means class 0 / a negative weight /
a low output (as in TensorFlow Playground).
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

BLUE = "#0072B2"  # class 1, positive
ORANGE = "#E69F00"  # class 0, negative
VERMILLION = "#D55E00"
GREEN = "#009E73"
INK = "#222222"
MUTED = "#6b6b6b"
GRID_PEN = "#d0d0d0"

CLASS_COLOURS = (ORANGE, BLUE)  # indexed by label
TRAIN_LOSS = INK
TEST_LOSS = VERMILLION


def qcolor(hex_colour: str, alpha: int = 255) -> QColor:
    c = QColor(hex_colour)
    c.setAlpha(alpha)
    return c


def _tint(hex_colour: str, amount: float) -> tuple[int, int, int]:
    """``hex_colour`` mixed with white; amount 1 is the colour itself."""
    c = QColor(hex_colour)
    return tuple(round(255 + (v - 255) * amount) for v in (c.red(), c.green(), c.blue()))


def probability_colormap() -> pg.ColorMap:
    """Orange (P = 0) through near-white (0.5) to blue (P = 1), pale enough for points on top."""
    stops = np.array([0.0, 0.5, 1.0])
    colours = np.array([_tint(ORANGE, 0.55), (246, 246, 246), _tint(BLUE, 0.5)], dtype=np.ubyte)
    return pg.ColorMap(stops, colours, name="nnviz-probability")


def dice_icon(size: int = 32) -> QIcon:
    """A die showing five: the "New seed" action (no standard icon says "random")."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor(INK), size / 16))
    p.setBrush(QColor("white"))
    m = size * 0.1
    p.drawRoundedRect(QRectF(m, m, size - 2 * m, size - 2 * m), size * 0.18, size * 0.18)
    p.setPen(QColor(0, 0, 0, 0))
    p.setBrush(QColor(INK))
    r = size * 0.075
    for fx, fy in ((0.3, 0.3), (0.7, 0.3), (0.5, 0.5), (0.3, 0.7), (0.7, 0.7)):
        p.drawEllipse(QPointF(size * fx, size * fy), r, r)
    p.end()
    return QIcon(pixmap)


def configure_pyqtgraph() -> None:
    """Light background and black text: the window reads like a figure in the tutorial."""
    pg.setConfigOptions(background="w", foreground=INK, antialias=False)


def app_icon() -> QIcon:
    """The application's icon: a small 2-4-1 network in the window's colours (shipped in the package)."""
    path = resources.files("nnviz") / "resources" / "nnviz.svg"
    return QIcon(str(path))
