"""Data sets: the tutorial's XOR, the generators, and CSV import and export.

Every data set is a set of 2-D points with one value each, of one of two tasks:

* ``classification``: labels are classes, whole numbers 0..7 (0 and 1 for a
  binary problem; ``classes`` is the largest label + 1, at least 2);
* ``regression``: targets are any finite numbers.

Arrays are float64; ``y`` has shape (n, 1) like the tutorial's, whatever the task.
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

REGRESSION = ("plane", "bumps")
MULTICLASS = ("spiral", "gaussians")  # the generators that take ``classes``
GENERATORS = ("circle", "gaussians", "spiral", "moons") + REGRESSION
NAMES = ("xor",) + GENERATORS
TASKS = ("classification", "regression")
MAX_CLASSES = 8
MAX_POINTS = 100_000
MAX_CSV_BYTES = 20 * 1024 * 1024
CSV_HEADER = ["x1", "x2", "label"]
CSV_HEADERS = {"classification": CSV_HEADER, "regression": ["x1", "x2", "target"]}


@dataclass
class Dataset:
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    y_test: np.ndarray = field(default_factory=lambda: np.empty((0, 1)))
    name: str = "custom"
    task: str = "classification"

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise DataError(f"unknown task {self.task!r}; choose classification or regression")
        self.X = np.array(self.X, dtype=np.float64).reshape(-1, 2)
        self.y = np.array(self.y, dtype=np.float64).reshape(-1, 1)
        self.X_test = np.array(self.X_test, dtype=np.float64).reshape(-1, 2)
        self.y_test = np.array(self.y_test, dtype=np.float64).reshape(-1, 1)
        check_points(self.X, self.y, task=self.task)
        if len(self.X_test):
            check_points(self.X_test, self.y_test, allow_empty=True, task=self.task)

    @property
    def has_test(self) -> bool:
        return len(self.X_test) > 0

    @property
    def regression(self) -> bool:
        return self.task == "regression"

    @property
    def classes(self) -> int:
        """The number of classes: the largest label (train or test) + 1, at least 2; 0 for regression."""
        if self.regression:
            return 0
        top = max((float(y.max()) for y in (self.y, self.y_test) if len(y)), default=0.0)
        return max(2, int(top) + 1)

    def copy(self) -> Dataset:
        return Dataset(self.X.copy(), self.y.copy(), self.X_test.copy(), self.y_test.copy(), self.name,
                       self.task)

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


def check_points(X: np.ndarray, y: np.ndarray, allow_empty: bool = False,
                 task: str = "classification") -> None:
    if len(X) != len(y):
        raise DataError(f"{len(X)} points but {len(y)} labels")
    if len(X) == 0 and not allow_empty:
        raise DataError("the data set has no points")
    if len(X) > MAX_POINTS:
        raise DataError(f"{len(X)} points is more than the limit of {MAX_POINTS}")
    if not np.all(np.isfinite(X)):
        raise DataError("a point has a coordinate that is not a finite number")
    if task == "regression":
        if not np.all(np.isfinite(y)):
            raise DataError("a target is not a finite number")
    elif not np.all((y >= 0) & (y < MAX_CLASSES) & (y == np.floor(y))):
        raise DataError(f"labels must be whole numbers from 0 to {MAX_CLASSES - 1}")


def labels_text(classes: int) -> str:
    """``0 or 1``, ``0, 1 or 2``, ``0 to 4``: the labels a problem of ``classes`` classes uses."""
    if classes <= 3:
        return ", ".join(map(str, range(classes - 1))) + f" or {classes - 1}"
    return f"0 to {classes - 1}"


def check_labels(y: np.ndarray, classes: int) -> None:
    """Refuse labels beyond ``classes - 1`` (the network's classes), with one line."""
    if len(y) and float(np.max(y)) > classes - 1:
        raise DataError(f"labels must be {labels_text(classes)} for {classes} classes, "
                        f"found {int(np.max(y))}")


def xor() -> Dataset:
    """The tutorial's four points."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    return Dataset(X, y, name="xor")


def _split(X, y, test_fraction, rng, name, task="classification") -> Dataset:
    order = rng.permutation(len(X))
    n_test = int(round(len(X) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return Dataset(X[train], y[train], X[test], y[test], name=name, task=task)


def task_of(name: str) -> str:
    """The task of a preset: ``regression`` for ``plane`` and ``bumps``, else ``classification``."""
    return "regression" if name in REGRESSION else "classification"


def check_classes(name: str, classes: int) -> int:
    """The classes a preset can have: 2..8 for spiral and gaussians, 2 for the others (0 is 2 for them)."""
    if name in MULTICLASS:
        if not (isinstance(classes, (int, np.integer)) and 2 <= classes <= MAX_CLASSES):
            raise DataError(f"{name} takes 2 to {MAX_CLASSES} classes, got {classes}")
        return int(classes)
    if classes != 2:
        kind = "a regression data set" if name in REGRESSION else "binary only"
        raise DataError(f"{name} is {kind}: it cannot have {classes} classes "
                        f"(only {' and '.join(MULTICLASS)} take a number of classes)")
    return 2


def generate(name: str, n: int = 200, noise: float = 0.1, seed: int = 0,
             test_fraction: float = 0.2, classes: int = 2) -> Dataset:
    """One of the generated sets: ``n`` points with Gaussian ``noise``, split into train and test.

    ``classes`` (2 to 8) is for spiral (one arm per class) and gaussians (one
    blob per class); the other classification sets are binary.  For the
    regression sets (``REGRESSION``) the noise is added to the targets.
    """
    if name not in NAMES:
        raise DataError(f"unknown data set {name!r}; choose one of {', '.join(NAMES)} or a .csv file")
    classes = check_classes(name, classes)
    if name == "xor":
        return xor()
    if not 4 <= n <= MAX_POINTS:
        raise DataError(f"sample count must be between 4 and {MAX_POINTS}, got {n}")
    if not 0 <= noise <= 10:
        raise DataError(f"noise must be between 0 and 10, got {noise}")
    if not 0 <= test_fraction < 1:
        raise DataError(f"test fraction must be at least 0 and below 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    if name in REGRESSION:
        return _regression(name, n, noise, rng, test_fraction)
    if classes > 2:
        return _split(*_multiclass(name, n, noise, rng, classes), test_fraction, rng, name)
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


SPIRAL_TURN = 4.0  # radians an arm of a K-class spiral turns (the binary spiral's arms turn 3.5 pi)


def _multiclass(name: str, n: int, noise: float, rng: np.random.Generator,
                classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Spiral with one arm per class (the CS231n example), or one Gaussian blob per class on a circle."""
    # As in the binary sets, a remainder goes to the last classes.
    counts = [n // classes + (k >= classes - n % classes) for k in range(classes)]
    labels = np.repeat(np.arange(classes, dtype=np.float64), counts)
    if name == "spiral":
        # CS231n's arms: each turns 4 radians on its way out, the K of them evenly spaced.
        t = np.concatenate([np.linspace(0, 1, c) for c in counts])
        angle = t * SPIRAL_TURN + labels * (2 * np.pi / classes)
        X = np.c_[t * 2 * np.cos(angle), t * 2 * np.sin(angle)]
    else:  # gaussians: centres evenly around a circle wide enough that neighbours stay apart
        radius = max(2.0, classes / 2)
        angle = np.pi / 4 + labels * (2 * np.pi / classes)
        X = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + rng.normal(0, 0.6, (n, 2))
    X = X + rng.normal(0, noise, X.shape)
    return X, labels.reshape(-1, 1)


# The bumps of ``bumps``: (centre x1, centre x2, height); each a Gaussian of width BUMP_WIDTH.
BUMPS = ((-1.0, 1.0, 1.0), (1.0, -1.0, -1.0), (1.0, 1.0, 0.6), (-1.2, -1.2, -0.5))
BUMP_WIDTH = 0.6


def _regression(name: str, n: int, noise: float, rng: np.random.Generator, test_fraction: float) -> Dataset:
    """``plane``: a tilted plane; ``bumps``: a sum of Gaussian bumps.  Points uniform in a square."""
    X = rng.uniform(-2.5, 2.5, (n, 2))
    if name == "plane":
        target = 0.8 * X[:, 0] - 0.5 * X[:, 1] + 0.3
    else:
        target = np.zeros(n)
        for cx, cy, height in BUMPS:
            distance2 = (X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2
            target += height * np.exp(-distance2 / (2 * BUMP_WIDTH ** 2))
    target = target + rng.normal(0, noise, n)
    return _split(X, target.reshape(-1, 1), test_fraction, rng, name, "regression")


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
    """Read ``x1,x2,label`` (classes) or ``x1,x2,target`` (regression) rows; every problem names its line."""
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
    task = "classification"
    X, y = [], []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line_no = reader.line_num
            if not header_seen:
                header = [c.strip().lower() for c in row]
                known = [t for t, h in CSV_HEADERS.items() if h == header]
                if not known:
                    raise DataError(f"{source} line {line_no}: the header must be x1,x2,label "
                                    f"or x1,x2,target, found {','.join(row)}")
                task = known[0]
                header_seen = True
                continue
            if len(X) == MAX_POINTS:  # refused here, before the rest is read
                raise DataError(f"{source} has more than {MAX_POINTS:,} points; the limit is {MAX_POINTS:,}")
            X.append(_point(row, line_no, source))
            y.append(_target(row[2], line_no, source) if task == "regression"
                     else _label(row[2], line_no, source))
    except csv.Error as exc:
        reason = (f"a value is longer than {csv.field_size_limit():,} characters"
                  if "field limit" in str(exc) else str(exc))
        raise DataError(f"{source} line {reader.line_num}: {reason}") from None
    if not header_seen:
        raise DataError(f"{source} is empty; expected a header x1,x2,label (or x1,x2,target) "
                        "and rows of points")
    if not X:
        raise DataError(f"{source} has a header but no points")
    return Dataset(np.array(X), np.array(y), name=source, task=task)


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
    if not (label in range(MAX_CLASSES)):
        raise DataError(f"{source} line {line_no}: label must be a whole number from 0 to {MAX_CLASSES - 1}, "
                        f"found {text.strip()}")
    return label


def _target(text: str, line_no: int, source: str) -> float:
    target = parse_number(text)
    if not math.isfinite(target):
        raise DataError(f"{source} line {line_no}: target must be a finite number, found {text.strip()}")
    return target


def write_csv(path: str | os.PathLike, X: np.ndarray, y: np.ndarray, task: str = "classification") -> None:
    """Write points atomically (a temporary file beside the target, then a rename).

    The header follows the task: ``x1,x2,label`` with whole-number labels, or
    ``x1,x2,target`` with the targets written exactly.
    """
    from nnviz.core.atomic import atomic_write

    out = io.StringIO()
    out.write(",".join(CSV_HEADERS[task]) + "\n")
    for (x1, x2), value in zip(np.asarray(X).reshape(-1, 2), np.asarray(y).ravel()):
        shown = repr(float(value)) if task == "regression" else str(int(value))
        out.write(f"{float(x1)!r},{float(x2)!r},{shown}\n")
    atomic_write(path, out.getvalue().encode("utf-8"))
