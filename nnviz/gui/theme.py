"""Colours and pyqtgraph options shared by every view.

Okabe-Ito colours, which stay distinct under the common colour-vision
deficiencies.  One rule throughout the window: blue means class 1 / a
positive weight / a high output, orange means class 0 / a negative weight /
a low output (as in TensorFlow Playground).  Classes 2 to 7 take the rest of
the Okabe-Ito set, so a binary problem looks the same at any number of classes.
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

PURPLE = "#CC79A7"
SKY_BLUE = "#56B4E9"
YELLOW = "#F0E442"
BLACK = "#000000"

CLASS_COLOURS = (ORANGE, BLUE, GREEN, PURPLE, VERMILLION, SKY_BLUE, YELLOW, BLACK)  # indexed by label
# How strong each class's colour is on the plane where the network is sure of it: pale enough for the
# points on top (orange and blue as in ``probability_colormap``; yellow stronger to show on white,
# black weaker so that a sure region is grey, not dark).
_CLASS_TINT = (0.55, 0.5, 0.5, 0.55, 0.5, 0.55, 0.75, 0.35)
PLANE_WHITE = (246, 246, 246)  # where the network cannot tell the classes apart
CERTAINTY_LEVELS = 64  # shades per class on the plane: finer than the eye tells apart
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


def class_tints(classes: int) -> np.ndarray:
    """(classes, 3) float: the plane's colour of each class where the network is sure of it."""
    return np.array([_tint(CLASS_COLOURS[k], _CLASS_TINT[k]) for k in range(classes)], dtype=np.float64)


def class_shade(tint: np.ndarray, strength: np.ndarray | float) -> np.ndarray:
    """Near-white (strength 0) to the class's tint (strength 1): how a pixel shows its class."""
    white = np.array(PLANE_WHITE, dtype=np.float64)
    return white + (np.asarray(tint, dtype=np.float64) - white) * np.asarray(strength)[..., None]


def certainty(top: np.ndarray, classes: int) -> np.ndarray:
    """How sure the most likely class is, 0 (every class equally likely, P = 1/K) to 1 (P = 1)."""
    return np.clip((top - 1.0 / classes) * (classes / (classes - 1.0)), 0.0, 1.0)


def class_lookup(classes: int) -> np.ndarray:
    """(classes x LEVELS,) uint32 RGBA pixels: entry k * LEVELS + level is class k at that strength."""
    strength = np.linspace(0.0, 1.0, CERTAINTY_LEVELS)
    shades = class_shade(class_tints(classes)[:, None, :], strength[None, :]).reshape(-1, 3)
    rgba = np.full((len(shades), 4), 255, dtype=np.uint8)
    rgba[:, :3] = np.round(shades)
    return rgba.view(np.uint32).ravel()


def class_image(probabilities: np.ndarray, lookup: np.ndarray | None = None) -> np.ndarray:
    """(r, r, 4) uint8 RGBA of (r, r, K) class probabilities: each pixel in its most likely class's colour.

    The colour's strength follows that class's probability, so where the
    network hesitates between classes the plane fades to near-white.  At
    160 x 160 pixels and 8 classes this is about a millisecond: the classes
    are made rows first (NumPy's argmax along a short last axis alone takes
    1.5 ms), and each pixel is one 32-bit lookup.
    """
    k = probabilities.shape[-1]
    if lookup is None:
        lookup = class_lookup(k)
    rows = np.ascontiguousarray(probabilities.reshape(-1, k).T)
    top = rows.max(axis=0)
    best = np.zeros(top.shape, dtype=np.intp)
    for c in range(k - 1, -1, -1):  # downwards, so that a tie goes to the first class, as argmax does
        np.putmask(best, rows[c] == top, c)
    # The strength of the most likely class, as a row of the lookup table.
    top -= 1.0 / k
    top *= (CERTAINTY_LEVELS - 1) * k / (k - 1.0)
    np.clip(top, 0.0, CERTAINTY_LEVELS - 1.0, out=top)
    top += 0.5
    best *= CERTAINTY_LEVELS
    best += top.astype(np.intp)
    pixels = np.take(lookup, best)
    return pixels.view(np.uint8).reshape(*probabilities.shape[:-1], 4)


def value_colormap() -> pg.ColorMap:
    """A regression's values: orange (low) through near-white (the middle) to blue (high)."""
    stops = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    dark_orange, dark_blue = (166, 102, 0), (0, 79, 124)
    colours = np.array([dark_orange, _tint(ORANGE, 0.7), (247, 247, 247), _tint(BLUE, 0.6), dark_blue],
                       dtype=np.ubyte)
    return pg.ColorMap(stops, colours, name="nnviz-values")


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
