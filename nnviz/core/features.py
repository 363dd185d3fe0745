"""Feature inputs: what the network's first layer sees, computed from a point (x1, x2).

TensorFlow Playground lets a learner feed a network x1², x2², x1·x2 and
sin inputs as well as the coordinates; with the right features a problem
that needs hidden layers on (x1, x2) becomes linearly separable (the circle
from x1² and x2² alone).  Every function here is of the raw point, so
the data sets keep their two columns and only the network's inputs change.

The default, ``("x1", "x2")``, is the identity: ``expand`` returns the very
array it was given, so the tutorial's numbers do not move by a bit.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from nnviz.core.errors import ConfigError

NAMES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
DEFAULT = ("x1", "x2")

# Each feature from the point's two columns; they work on float64 and float32 alike.
_COMPUTE = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}


def check(names: Iterable[str]) -> tuple[str, ...]:
    """The names as a tuple in the canonical order of ``NAMES``; ``ConfigError`` if any is unusable."""
    if isinstance(names, str):
        names = [names]
    given = [str(n).strip() for n in names]
    if not given:
        raise ConfigError(f"choose at least one input feature from {', '.join(NAMES)}")
    for name in given:
        if name not in NAMES:
            raise ConfigError(f"unknown feature {name!r}; choose from {', '.join(NAMES)}")
    repeated = sorted({n for n in given if given.count(n) > 1}, key=NAMES.index)
    if repeated:
        raise ConfigError(f"feature {repeated[0]!r} is listed twice")
    return tuple(n for n in NAMES if n in given)


def parse(text: str) -> tuple[str, ...]:
    """``"x1,x2,x1^2"`` as checked names (the command line's and the settings' spelling)."""
    return check([part for part in text.split(",") if part.strip()])


def is_default(names: Iterable[str]) -> bool:
    return tuple(names) == DEFAULT


def expand(X: np.ndarray, names: tuple[str, ...] = DEFAULT) -> np.ndarray:
    """The (m, len(names)) inputs of raw points X (m, 2); X itself, not a copy, for the default."""
    if tuple(names) == DEFAULT:
        return X
    x1, x2 = X[:, 0], X[:, 1]
    out = np.empty((X.shape[0], len(names)), dtype=X.dtype)
    for j, name in enumerate(names):
        out[:, j] = _COMPUTE[name](x1, x2)
    return out


def expand_into(X: np.ndarray, names: tuple[str, ...], out: np.ndarray) -> None:
    """Write the features of X into ``out`` (m, len(names)) without allocating a whole matrix."""
    x1, x2 = X[:, 0], X[:, 1]
    for j, name in enumerate(names):
        out[:, j] = _COMPUTE[name](x1, x2)


def label(name: str) -> str:
    """A feature's name as the diagram writes it: x₁², sin(x₂)..."""
    return (name.replace("x1", "x₁").replace("x2", "x₂").replace("^2", "²").replace("*", "·"))
