"""Data sets: the tutorial's XOR, four generators, and CSV import and export.

Every data set is a set of 2-D points with labels 0 or 1.  Arrays are float64;
``y`` has shape (n, 1) like the tutorial's.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field

import numpy as np

from nnviz.core.errors import DataError

GENERATORS = ("circle", "gaussians", "spiral", "moons")
NAMES = ("xor",) + GENERATORS
MAX_POINTS = 100_000
MAX_CSV_BYTES = 20 * 1024 * 1024
CSV_HEADER = ["x1", "x2", "label"]


@dataclass
class Dataset:
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    y_test: np.ndarray = field(default_factory=lambda: np.empty((0, 1)))
    name: str = "custom"

    def __post_init__(self) -> None:
        self.X = np.array(self.X, dtype=np.float64).reshape(-1, 2)
        self.y = np.array(self.y, dtype=np.float64).reshape(-1, 1)
        self.X_test = np.array(self.X_test, dtype=np.float64).reshape(-1, 2)
        self.y_test = np.array(self.y_test, dtype=np.float64).reshape(-1, 1)
        check_points(self.X, self.y)
        if len(self.X_test):
            check_points(self.X_test, self.y_test, allow_empty=True)

    @property
    def has_test(self) -> bool:
        return len(self.X_test) > 0

    def copy(self) -> Dataset:
        return Dataset(self.X.copy(), self.y.copy(), self.X_test.copy(), self.y_test.copy(), self.name)

    def bounds(self, margin: float = 0.5) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) of all points, widened by ``margin`` on each side."""
        pts = np.vstack([self.X, self.X_test]) if self.has_test else self.X
        if len(pts) == 0:
            return (-margin, 1 + margin, -margin, 1 + margin)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        return (lo[0] - margin, hi[0] + margin, lo[1] - margin, hi[1] + margin)


def check_points(X: np.ndarray, y: np.ndarray, allow_empty: bool = False) -> None:
    if len(X) != len(y):
        raise DataError(f"{len(X)} points but {len(y)} labels")
    if len(X) == 0 and not allow_empty:
        raise DataError("the data set has no points")
    if len(X) > MAX_POINTS:
        raise DataError(f"{len(X)} points is more than the limit of {MAX_POINTS}")
    if not np.all(np.isfinite(X)):
        raise DataError("a point has a coordinate that is not a finite number")
    if not np.all((y == 0) | (y == 1)):
        raise DataError("labels must be 0 or 1")


def xor() -> Dataset:
    """The tutorial's four points."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    return Dataset(X, y, name="xor")


def _split(X, y, test_fraction, rng, name) -> Dataset:
    order = rng.permutation(len(X))
    n_test = int(round(len(X) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return Dataset(X[train], y[train], X[test], y[test], name=name)


def generate(name: str, n: int = 200, noise: float = 0.1, seed: int = 0,
             test_fraction: float = 0.2) -> Dataset:
    """One of the generated sets: ``n`` points with Gaussian ``noise``, split into train and test."""
    if name == "xor":
        return xor()
    if name not in GENERATORS:
        raise DataError(f"unknown data set {name!r}; choose one of {', '.join(NAMES)} or a .csv file")
    if not 4 <= n <= MAX_POINTS:
        raise DataError(f"sample count must be between 4 and {MAX_POINTS}, got {n}")
    if not 0 <= noise <= 10:
        raise DataError(f"noise must be between 0 and 10, got {noise}")
    if not 0 <= test_fraction < 1:
        raise DataError(f"test fraction must be at least 0 and below 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    half = n // 2
    labels = np.r_[np.zeros(half), np.ones(n - half)]
    if name == "circle":
        # Class 0 inside a disc of radius 1, class 1 in a ring from 1.5 to 2.5.
        r = np.r_[rng.uniform(0, 1.0, half), rng.uniform(1.5, 2.5, n - half)]
        t = rng.uniform(0, 2 * np.pi, n)
        X = np.c_[r * np.cos(t), r * np.sin(t)]
    elif name == "gaussians":
        centres = np.where(labels[:, None] == 0, [-1.0, -1.0], [1.0, 1.0])
        X = centres + rng.normal(0, 0.6, (n, 2))
    elif name == "spiral":
        # Two interleaved arms, each turning 1.75 times around the origin.
        t = np.r_[np.linspace(0, 1, half), np.linspace(0, 1, n - half)]
        angle = t * 3.5 * np.pi + labels * np.pi
        X = np.c_[t * 2 * np.cos(angle), t * 2 * np.sin(angle)]
    else:  # moons
        t = rng.uniform(0, np.pi, n)
        X = np.where(labels[:, None] == 0,
                     np.c_[np.cos(t), np.sin(t)],
                     np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    X = X + rng.normal(0, noise, X.shape)
    return _split(X, labels.reshape(-1, 1), test_fraction, rng, name)


# -- CSV ------------------------------------------------------------------
def read_csv(path: str | os.PathLike) -> Dataset:
    """Read ``x1,x2,label`` rows; every problem is reported with its line number."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise DataError(f"cannot read {os.fspath(path)}: {exc.strerror or exc}") from None
    if size > MAX_CSV_BYTES:
        raise DataError(f"{os.fspath(path)} is {size // (1024 * 1024)} MiB; the limit is "
                        f"{MAX_CSV_BYTES // (1024 * 1024)} MiB")
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {os.fspath(path)}: {exc}") from None
    return parse_csv(text, os.path.basename(os.fspath(path)))


def parse_csv(text: str, source: str = "CSV") -> Dataset:
    rows = list(csv.reader(io.StringIO(text)))
    lines = [(i + 1, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not lines:
        raise DataError(f"{source} is empty; expected a header x1,x2,label and rows of points")
    line_no, header = lines[0]
    if [c.strip().lower() for c in header] != CSV_HEADER:
        raise DataError(f"{source} line {line_no}: the header must be x1,x2,label, found {','.join(header)}")
    if len(lines) - 1 > MAX_POINTS:
        raise DataError(f"{source} has {len(lines) - 1} points; the limit is {MAX_POINTS}")
    X, y = [], []
    for line_no, row in lines[1:]:
        if len(row) != 3:
            raise DataError(f"{source} line {line_no}: expected 3 columns (x1,x2,label), found {len(row)}")
        try:
            x1, x2, label = (float(c) for c in row)
        except ValueError:
            raise DataError(f"{source} line {line_no}: {','.join(row)!r} is not three numbers") from None
        if not (np.isfinite(x1) and np.isfinite(x2)):
            raise DataError(f"{source} line {line_no}: coordinates must be finite numbers")
        if label not in (0.0, 1.0):
            raise DataError(f"{source} line {line_no}: label must be 0 or 1, found {row[2].strip()}")
        X.append((x1, x2))
        y.append(label)
    if not X:
        raise DataError(f"{source} has a header but no points")
    return Dataset(np.array(X), np.array(y), name=source)


def write_csv(path: str | os.PathLike, X: np.ndarray, y: np.ndarray) -> None:
    """Write points atomically (a temporary file beside the target, then a rename)."""
    from nnviz.core.atomic import atomic_write

    out = io.StringIO()
    out.write(",".join(CSV_HEADER) + "\n")
    for (x1, x2), label in zip(np.asarray(X).reshape(-1, 2), np.asarray(y).ravel()):
        out.write(f"{float(x1)!r},{float(x2)!r},{int(label)}\n")
    atomic_write(path, out.getvalue().encode("utf-8"))
