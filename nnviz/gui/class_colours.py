"""The colours of K classes and of a regression's values, for any view that paints them.

Classes 0 and 1 are orange and blue (the window's rule); classes 2 to 7 take
the rest of the Okabe-Ito set, so a binary problem looks the same at any
number of classes.  A plane coloured by class shows each place in its most
likely class's colour, as strong as that class is likely: near-white where
the network cannot tell the classes apart.  A regression's values run from
orange (low) through near-white to blue (high).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from nnviz.gui import theme

CLASS_COLOURS = (theme.ORANGE, theme.BLUE, theme.GREEN, "#CC79A7", theme.VERMILLION, "#56B4E9", "#F0E442",
                 "#000000")
# How strong each class's colour is where the network is sure of it: pale enough for the points on
# top (yellow stronger to show on white, black weaker so that a sure region is grey, not dark).
CLASS_TINT = (0.55, 0.5, 0.5, 0.55, 0.5, 0.55, 0.75, 0.35)
PLANE_WHITE = (246, 246, 246)  # where the network cannot tell the classes apart


def class_colour(label: int) -> str:
    """The colour of class ``label`` (0 to 7)."""
    return CLASS_COLOURS[int(label) % len(CLASS_COLOURS)]


def class_tints(classes: int) -> np.ndarray:
    """(classes, 3) float: each class's colour on the plane where the network is sure of it."""
    tints = []
    for k in range(classes):
        c = QColor(class_colour(k))
        amount = CLASS_TINT[k % len(CLASS_TINT)]
        tints.append([255 + (v - 255) * amount for v in (c.red(), c.green(), c.blue())])
    return np.array(tints, dtype=np.float64)


def certainty(top: np.ndarray, classes: int) -> np.ndarray:
    """How sure the most likely class is: 0 where every class is equally likely (P = 1/K), 1 at P = 1."""
    return np.clip((top - 1.0 / classes) * (classes / (classes - 1.0)), 0.0, 1.0)


def class_image(probabilities: np.ndarray) -> np.ndarray:
    """(r, r, 4) uint8 RGBA of (r, r, K) class probabilities: each place in its most likely class's colour.

    The colour's strength follows that class's probability, so where the
    network hesitates between classes the plane fades to near-white.  A tie
    goes to the first class, as argmax does.
    """
    k = probabilities.shape[-1]
    best = np.argmax(probabilities, axis=-1)
    strength = certainty(np.take_along_axis(probabilities, best[..., None], axis=-1)[..., 0], k)
    white = np.array(PLANE_WHITE, dtype=np.float64)
    shade = white + (class_tints(k)[best] - white) * strength[..., None]
    rgba = np.full(probabilities.shape[:-1] + (4,), 255, dtype=np.uint8)
    rgba[..., :3] = np.round(shade)
    return rgba


def value_colormap() -> pg.ColorMap:
    """A regression's values: orange (low) through near-white (the middle) to blue (high)."""
    stops = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    dark_orange, dark_blue = (166, 102, 0), (0, 79, 124)
    light = [QColor(c) for c in (theme.ORANGE, theme.BLUE)]
    light_orange = tuple(round(255 + (v - 255) * 0.7) for v in (light[0].red(), light[0].green(), light[0].blue()))
    light_blue = tuple(round(255 + (v - 255) * 0.6) for v in (light[1].red(), light[1].green(), light[1].blue()))
    colours = np.array([dark_orange, light_orange, (247, 247, 247), light_blue, dark_blue], dtype=np.ubyte)
    return pg.ColorMap(stops, colours, name="nnviz-values")


def value_levels(values: np.ndarray) -> tuple[float, float]:
    """The colour scale's ends for ``values`` (a regression's targets): their range, never empty."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return (0.0, 1.0)
    lo, hi = (float(np.clip(v, -1e30, 1e30)) for v in (finite.min(), finite.max()))
    if hi - lo < 1e-6 * max(1.0, abs(lo), abs(hi)):  # every value the same: a scale around it
        lo, hi = lo - max(1.0, abs(lo)), hi + max(1.0, abs(hi))
    return lo, hi


def value_colours(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """(n, 4) uint8 RGBA: each value's colour in ``value_colormap`` over ``levels``."""
    lo, hi = levels
    scaled = np.clip((np.asarray(values, dtype=np.float64).ravel() - lo) / (hi - lo), 0.0, 1.0)
    return value_colormap().map(np.nan_to_num(scaled, nan=0.5), mode="byte")
