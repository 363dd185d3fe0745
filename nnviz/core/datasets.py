"""Data sets: the tutorial's XOR, four generators, and CSV import and export.

Every data set is a set of 2-D points with labels 0 or 1.  Arrays are float64;
``y`` has shape (n, 1) like the tutorial's.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
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
        parts = [X for X in (self.X, self.X_test) if len(X)]
        if not parts:
            return (-margin, 1 + margin, -margin, 1 + margin)
        # Column by column and without stacking: called on every edit, and 40x faster at 100,000
        # points than a min over the rows of one stacked array.
        lo = [min(float(X[:, c].min()) for X in parts) for c in (0, 1)]
        hi = [max(float(X[:, c].max()) for X in parts) for c in (0, 1)]
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
_MIB = 1024 * 1024
# Digits 0-9 only: float() also takes other scripts' digits ("٤") and underscores ("1_0").
_NUMBER = re.compile(r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)",
                     re.IGNORECASE)


def parse_number(text: str) -> float:
    """A number written with ASCII digits (sign, point and exponent allowed); ValueError otherwise."""
    stripped = text.strip()
    if not _NUMBER.fullmatch(stripped):
        raise ValueError(f"{text!r} is not a number")
    return float(stripped)


def mib_text(size: int) -> str:
    """A size in MiB rounded up to hundredths, so a file just over a limit never reads as at it."""
    return f"{math.ceil(size * 100 / _MIB) / 100:.2f} MiB"


def read_csv(path: str | os.PathLike) -> Dataset:
    """Read ``x1,x2,label`` rows; every problem is reported with its line number."""
    name = os.fspath(path)
    try:
        size = os.path.getsize(path)
        if size <= MAX_CSV_BYTES:
            with open(path, "rb") as f:
                raw = f.read(MAX_CSV_BYTES + 1)
            size = len(raw)
    except OSError as exc:
        raise DataError(f"cannot read {name}: {exc.strerror or exc}") from None
    if size > MAX_CSV_BYTES:
        raise DataError(f"{name} is {mib_text(size)}; the limit is {MAX_CSV_BYTES // _MIB} MiB")
    # Refuse a file of far too many rows before parsing it (parsing a million
    # rows would take seconds and hundreds of MB).  Empty lines do not count.
    lines = raw.count(b"\n") - raw.count(b"\n\n") + (not raw.endswith(b"\n"))
    if lines > MAX_POINTS + 1:
        raise DataError(f"{name} has {lines:,} lines; the limit is {MAX_POINTS:,} points and a header")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(f"cannot read {name}: line {line} is not UTF-8 text") from None
    return parse_csv(text, os.path.basename(name))


def parse_csv(text: str, source: str = "CSV") -> Dataset:
    # Excel writes a byte-order mark before the header.
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header_seen = False
    X, y = [], []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line_no = reader.line_num
            if not header_seen:
                if [c.strip().lower() for c in row] != CSV_HEADER:
                    raise DataError(f"{source} line {line_no}: the header must be x1,x2,label, "
                                    f"found {','.join(row)}")
                header_seen = True
                continue
            if len(X) == MAX_POINTS:  # refused here, before the rest is read
                raise DataError(f"{source} has more than {MAX_POINTS:,} points; the limit is {MAX_POINTS:,}")
            X.append(_point(row, line_no, source))
            y.append(_label(row[2], line_no, source))
    except csv.Error as exc:
        reason = (f"a value is longer than {csv.field_size_limit():,} characters"
                  if "field limit" in str(exc) else str(exc))
        raise DataError(f"{source} line {reader.line_num}: {reason}") from None
    if not header_seen:
        raise DataError(f"{source} is empty; expected a header x1,x2,label and rows of points")
    if not X:
        raise DataError(f"{source} has a header but no points")
    return Dataset(np.array(X), np.array(y), name=source)


def _point(row: list[str], line_no: int, source: str) -> tuple[float, float]:
    if len(row) != 3:
        raise DataError(f"{source} line {line_no}: expected 3 columns (x1,x2,label), found {len(row)}")
    try:
        x1, x2, _ = (parse_number(c) for c in row)
    except ValueError:
        shown = ",".join(row)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise DataError(f"{source} line {line_no}: {shown!r} is not three numbers "
                        "(digits 0-9, a point, an optional exponent)") from None
    if not (math.isfinite(x1) and math.isfinite(x2)):
        raise DataError(f"{source} line {line_no}: coordinates must be finite numbers")
    return x1, x2


def _label(text: str, line_no: int, source: str) -> float:
    label = parse_number(text)
    if label not in (0.0, 1.0):
        raise DataError(f"{source} line {line_no}: label must be 0 or 1, found {text.strip()}")
    return label


def write_csv(path: str | os.PathLike, X: np.ndarray, y: np.ndarray) -> None:
    """Write points atomically (a temporary file beside the target, then a rename)."""
    from nnviz.core.atomic import atomic_write

    out = io.StringIO()
    out.write(",".join(CSV_HEADER) + "\n")
    for (x1, x2), label in zip(np.asarray(X).reshape(-1, 2), np.asarray(y).ravel()):
        out.write(f"{float(x1)!r},{float(x2)!r},{int(label)}\n")
    atomic_write(path, out.getvalue().encode("utf-8"))
