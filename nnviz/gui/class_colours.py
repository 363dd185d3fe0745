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

from nnviz.gui import theme

# The palette, tints and maps themselves live in theme.py with the window's other colours;
# this module adds what the views that paint classes or values need on top of them.
class_tints = theme.class_tints
certainty = theme.certainty
class_image = theme.class_image
value_colormap = theme.value_colormap
# A colour scale ends within this: images and colour bars are drawn in float32 (which reaches 3e38).
LEVEL_LIMIT = 1e30


def class_colour(label: int) -> str:
    """The colour of class ``label`` (0 to 7)."""
    return theme.CLASS_COLOURS[int(label) % len(theme.CLASS_COLOURS)]


def value_levels(values: np.ndarray) -> tuple[float, float]:
    """The colour scale's ends for ``values`` (a regression's targets): their range, never empty."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return (0.0, 1.0)
    lo, hi = (float(np.clip(v, -LEVEL_LIMIT, LEVEL_LIMIT)) for v in (finite.min(), finite.max()))
    if hi - lo < 1e-6 * max(1.0, abs(lo), abs(hi)):  # every value the same: a scale around it
        lo, hi = lo - max(1.0, abs(lo)), hi + max(1.0, abs(hi))
    return lo, hi


def value_colours(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """(n, 4) uint8 RGBA: each value's colour in ``value_colormap`` over ``levels``."""
    lo, hi = levels
    scaled = np.clip((np.asarray(values, dtype=np.float64).ravel() - lo) / (hi - lo), 0.0, 1.0)
    return value_colormap().map(np.nan_to_num(scaled, nan=0.5), mode="byte")
