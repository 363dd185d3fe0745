"""Lessons: a set-up, a text and goals that are checked against the running network.

A lesson is one TOML file::

    title = "XOR needs a hidden layer"
    text = '''Markdown: what to look at, what to try.'''

    [setup]                       # the command line's names and value rules
    dataset = "xor"
    layers = []                   # no hidden layer
    lr = 1.0

    [[check]]
    metric = "loss"               # one of METRICS
    op = ">"                      # one of OPS
    value = 0.2
    after_epochs = 2000           # optional: not before this epoch
    label = "Train 2,000 epochs: the loss stays above 0.2"
    hint = "Press Space and wait."

Nothing in a file is evaluated as code: every key is looked up in a fixed
table, every value is checked against the same rules as the command line's
(then by the specs' own ``check``), and a file that is too big, too deeply
nested or malformed is refused with ``LessonError``, one line naming the
file, the key and what is wrong.  Nothing here knows about Qt.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from nnviz.core import activations, datasets, features, losses, optimizers
from nnviz.core.datasets import Dataset
from nnviz.core.errors import ConfigError, NnvizError
from nnviz.core.network import INIT_METHODS, MAX_CLASSES, MAX_HIDDEN_LAYERS, MAX_UNITS, OUTPUT_ACTIVATIONS
from nnviz.core.setup import DataSpec, Setup, check_fits, fit_model
from nnviz.core.trainer import MAX_LR, MAX_PENALTY

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the tomli package, declared in pyproject.toml for Python 3.10
    import tomli as tomllib

MAX_FILE_BYTES = 64 * 1024
# The document (1), [setup] or a [[check]] list (2), a check or the points list (3), a point (4).
MAX_DEPTH = 4
MAX_CHECKS = 8
MAX_POINTS = 1000
MAX_TITLE = 120
MAX_TEXT = 20_000
MAX_HINT = 1000
# The command line's lowest learning rate (``nnviz.cli.MIN_LR``; core cannot import the CLI).
MIN_LR = 1e-8
MAX_SEED = 2**32 - 1
MAX_EPOCHS = 100_000_000
# The window's points must stay within the session's coordinate limit; lessons need far less.
MAX_COORDINATE = 1e3

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "lessons"

# Panels a lesson may open (the window's learning panels) and controls it may hide.
PANEL_NAMES = ("inspector", "predictions", "activation", "history", "compare", "hidden_space", "landscape")
HIDE_NAMES = ("settings", "training", "network", "data", "toolbar")

OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
}
OP_TEXT = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "="}

# name: what it measures (documented in the README; a check names one of these).
METRICS: dict[str, str] = {
    "epoch": "epochs trained so far in this run",
    "loss": "training loss of the last epoch (with at_epoch: of that epoch)",
    "test_loss": "loss on the test split (with at_epoch: of that epoch)",
    "accuracy": "share of training points classified right, 0 to 1",
    "test_accuracy": "share of test points classified right, 0 to 1",
    "diverged": "1 once training stopped because the loss became NaN or infinite, else 0",
    "solved_epoch": "the epoch at which this run first classified every training point right",
    "hidden_layers": "number of hidden layers",
    "hidden_units": "units in all hidden layers together",
    "extra_features": "inputs the network reads besides x1 and x2 (x1^2, x1*x2, sin(x1)...)",
    "points": "number of training points",
    "edited": "1 when the points differ from the lesson's (moved, added, deleted, flipped), else 0",
    "lr": "learning rate",
    "batch_size": "points per update (the full batch counts as all the training points)",
    "l2": "L2 penalty",
}
# Metrics whose values are shares (a value outside 0..1 can never be met) or yes/no.
SHARE_METRICS = ("accuracy", "test_accuracy")
FLAG_METRICS = ("diverged", "edited")
PER_EPOCH_METRICS = ("loss", "test_loss")


class LessonError(ConfigError):
    """A lesson file that cannot be used: ``FILE: key: what is wrong``."""

    def __init__(self, source: str, key: str, what: str) -> None:
        super().__init__(f"{source}: {key}: {what}")
        self.source, self.key, self.what = source, key, what


class _Bad(ValueError):
    """Raised by a value rule; the caller adds the file and the key."""


# -- value rules: each takes a TOML value and returns the spec's value, or raises _Bad --------------
def _type_name(value: object) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _number(low: float, high: float = math.inf) -> Callable[[object], float]:
    def parse(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Bad(f"must be a number, not {_type_name(value)}")
        if not (math.isfinite(value) and low <= value <= high):
            bound = f"from {low:g} to {high:g}" if high < math.inf else f"of at least {low:g}"
            raise _Bad(f"{value!r} must be a number {bound}")
        return float(value)

    return parse


def _integer(low: int, high: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(f"must be a whole number, not {_type_name(value)}")
        if not low <= value <= high:
            raise _Bad(f"{value} must be between {low} and {high}")
        return value

    return parse


def _choice(names: tuple[str, ...]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if not isinstance(value, str):
            raise _Bad(f"must be a string, not {_type_name(value)}")
        if value not in names:
            raise _Bad(f"{value!r} is not one of {', '.join(names)}")
        return value

    return parse


def _names(allowed: tuple[str, ...]) -> Callable[[object], tuple[str, ...]]:
    def parse(value: object) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise _Bad(f"must be a list of names, not {_type_name(value)}")
        for name in value:
            if not isinstance(name, str) or name not in allowed:
                raise _Bad(f"{name!r} is not one of {', '.join(allowed)}")
        return tuple(dict.fromkeys(value))

    return parse


def _features(value: object) -> tuple[str, ...]:
    """``["x1^2", "x2^2"]`` or the command line's text (``"x1^2,x2^2"``)."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    names = _names(features.NAMES)(value)
    try:
        return features.check(names)
    except ConfigError as exc:
        raise _Bad(str(exc)) from None


def _layers(value: object) -> tuple[int, ...]:
    """``[8, 8]``, ``4``, ``[]`` or the command line's text (``"8,8"``, ``"none"``)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("", "none", "0"):
            return ()
        parts = [p.strip() for p in text.split(",")]
        if not all(p.isascii() and p.isdigit() for p in parts):
            raise _Bad(f"{value!r}: hidden sizes are whole numbers separated by commas, like 4 or 8,8")
        value = [int(p) for p in parts]
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value] if value else []
    if not isinstance(value, list):
        raise _Bad(f"must be a list of hidden sizes like [8, 8], not {_type_name(value)}")
    if len(value) > MAX_HIDDEN_LAYERS:
        raise _Bad(f"at most {MAX_HIDDEN_LAYERS} hidden layers")
    unit = _integer(1, MAX_UNITS)
    try:
        return tuple(unit(n) for n in value)
    except _Bad as exc:
        raise _Bad(f"each hidden layer has 1 to {MAX_UNITS} units ({exc})") from None


def _batch_size(value: object) -> int | None:
    if isinstance(value, str) and value.strip().lower() == "full":
        return None
    return _integer(1, datasets.MAX_POINTS)(value)


def _speed(value: object) -> float | None:
    if isinstance(value, str) and value.strip().lower() == "fast":
        return None
    return _number(1, 1e6)(value)


def _points(value: object) -> np.ndarray:
    if not isinstance(value, list) or not value:
        raise _Bad("must be a non-empty list of [x1, x2, label]")
    if len(value) > MAX_POINTS:
        raise _Bad(f"{len(value):,} points is more than the limit of {MAX_POINTS:,}")
    coordinate = _number(-MAX_COORDINATE, MAX_COORDINATE)
    rows = []
    for i, point in enumerate(value, 1):
        if not isinstance(point, list) or len(point) != 3:
            raise _Bad(f"point {i} must be [x1, x2, label]")
        try:
            x1, x2 = coordinate(point[0]), coordinate(point[1])
        except _Bad as exc:
            raise _Bad(f"point {i}: {exc}") from None
        if isinstance(point[2], bool) or point[2] not in (0, 1):
            raise _Bad(f"point {i}: the label must be 0 or 1")
        rows.append((x1, x2, float(point[2])))
    return np.array(rows, dtype=np.float64)


@dataclass(frozen=True)
class SetupKey:
    """A key of ``[setup]``: where its value goes (``(part, field)`` pairs) and the rule it must follow.

    Parts: ``model`` (ModelSpec), ``data`` (DataSpec), ``settings`` (TrainSettings), ``lesson`` (the
    lesson's own: points, panels, hidden controls, speed).
    """

    targets: tuple[tuple[str, str], ...]
    parse: Callable[[object], object]


def _to(part: str, name: str, parse: Callable[[object], object]) -> SetupKey:
    return SetupKey(((part, name),), parse)


# One line per key; a new spec field is one more line here.
SETUP_KEYS: dict[str, SetupKey] = {
    "dataset": _to("data", "name", _choice(datasets.NAMES)),
    "samples": _to("data", "n", _integer(4, datasets.MAX_POINTS)),
    "noise": _to("data", "noise", _number(0, 10)),
    "data-seed": _to("data", "seed", _integer(0, MAX_SEED)),
    "test-split": _to("data", "test_fraction", _number(0, 0.9)),
    "classes": _to("data", "classes", _integer(2, MAX_CLASSES)),
    "layers": _to("model", "hidden", _layers),
    "features": _to("model", "features", _features),
    "activation": _to("model", "activation", _choice(activations.NAMES)),
    "output-activation": _to("model", "output_activation", _choice(OUTPUT_ACTIVATIONS)),
    "loss": _to("model", "loss", _choice(losses.NAMES)),
    "init": _to("model", "init", _choice(INIT_METHODS)),
    # As on the command line, the seed draws the initial weights and shuffles the mini-batches.
    "seed": SetupKey((("model", "seed"), ("settings", "seed")), _integer(0, MAX_SEED)),
    "optimizer": _to("settings", "optimizer", _choice(optimizers.NAMES)),
    "lr": _to("settings", "lr", _number(MIN_LR, MAX_LR)),
    "batch-size": _to("settings", "batch_size", _batch_size),
    "l1": _to("settings", "l1", _number(0, MAX_PENALTY)),
    "l2": _to("settings", "l2", _number(0, MAX_PENALTY)),
    "points": _to("lesson", "points", _points),
    "panels": _to("lesson", "panels", _names(PANEL_NAMES)),
    "hide": _to("lesson", "hide", _names(HIDE_NAMES)),
    "speed": _to("lesson", "speed", _speed),
}
TOP_KEYS = ("title", "text", "setup", "check")
CHECK_KEYS = ("metric", "op", "value", "after_epochs", "at_epoch", "tolerance", "hint", "label")


# -- the lesson -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    metric: str
    op: str
    value: float
    after_epochs: int = 0
    at_epoch: int | None = None
    tolerance: float = 0.0
    hint: str = ""
    label: str = ""

    def met(self, metrics: Mapping[str, float]) -> bool:
        """Whether ``metrics`` meet this check (a missing or NaN metric never does)."""
        if metrics.get("epoch", 0) < self.after_epochs:
            return False
        value = metrics.get(self.metric, math.nan)
        if math.isnan(value):
            return False
        if self.op == "==" and self.tolerance:
            return abs(value - self.value) <= self.tolerance
        return OPS[self.op](value, self.value)

    @property
    def text(self) -> str:
        """What the learner reads: the label, or the check itself."""
        if self.label:
            return self.label
        value = f"{self.value:.0%}" if self.metric in SHARE_METRICS else f"{self.value:g}"
        text = f"{self.metric.replace('_', ' ')} {OP_TEXT[self.op]} {value}"
        if self.at_epoch is not None:
            text += f" at epoch {self.at_epoch:,}"
        if self.after_epochs:
            text += f" after {self.after_epochs:,} epochs"
        return text


@dataclass(frozen=True, eq=False)
class Lesson:
    title: str
    text: str
    setup: Setup
    data: Dataset  # the points the lesson starts from (never mutated)
    checks: tuple[Check, ...]
    panels: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    speed: float | None | bool = False  # epochs per second, None for as fast as possible, False: unchanged
    source: str = ""
    key: str = ""  # remembers completion: the file's name for a bundled lesson


# -- reading ------------------------------------------------------------------------------------------
def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _text(source: str, key: str, value: object, limit: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise LessonError(source, key, f"must be a string, not {_type_name(value)}")
    if required and not value.strip():
        raise LessonError(source, key, "must not be empty")
    if len(value) > limit:
        raise LessonError(source, key, f"{len(value):,} characters is more than the limit of {limit:,}")
    return value


def parse(text: str, source: str = "lesson", key: str = "") -> Lesson:
    """A lesson from TOML text; anything wrong raises ``LessonError`` naming ``source`` and the key."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise LessonError(source, "file", f"more than {MAX_FILE_BYTES // 1024} KiB; a lesson is smaller")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(source, "TOML", str(exc)) from None
    except RecursionError:
        raise LessonError(source, "file", f"nested deeper than {MAX_DEPTH} levels") from None
    if _depth(doc) > MAX_DEPTH:
        raise LessonError(source, "file", f"nested deeper than {MAX_DEPTH} levels")
    for name in doc:
        if name not in TOP_KEYS:
            raise LessonError(source, name, f"unknown key; a lesson has {', '.join(TOP_KEYS)}")
    for name in ("title", "text"):
        if name not in doc:
            raise LessonError(source, name, "missing")
    title = _text(source, "title", doc["title"], MAX_TITLE)
    body = _text(source, "text", doc["text"], MAX_TEXT)
    setup_table = doc.get("setup", {})
    if not isinstance(setup_table, dict):
        raise LessonError(source, "setup", f"must be a table, not {_type_name(setup_table)}")
    setup, data, extras = _setup(source, setup_table)
    checks = _checks(source, doc.get("check", []), data)
    return Lesson(title, body, setup, data, checks, extras.get("panels", ()), extras.get("hide", ()),
                  extras.get("speed", False), source, key)


def _setup(source: str, table: dict) -> tuple[Setup, Dataset, dict]:
    parts: dict[str, dict] = {"model": {}, "data": {}, "settings": {}, "lesson": {}}
    for name, value in table.items():
        rule = SETUP_KEYS.get(name)
        if rule is None:
            raise LessonError(source, f"setup.{name}",
                              f"unknown key; the set-up keys are {', '.join(SETUP_KEYS)}")
        try:
            parsed = rule.parse(value)
        except _Bad as exc:
            raise LessonError(source, f"setup.{name}", str(exc)) from None
        for part, spec_field in rule.targets:
            parts[part][spec_field] = parsed
    points = parts["lesson"].pop("points", None)
    if points is not None and "name" in parts["data"]:
        raise LessonError(source, "setup.points", "a lesson has either its own points or a dataset, not both")
    base = Setup()
    try:
        model = replace(base.model, **parts["model"]).check()
        settings = replace(base.settings, **parts["settings"]).check()
        if points is not None:
            data = Dataset(points[:, :2], points[:, 2:], name="custom")
            spec = DataSpec("custom", len(data.X))
        else:
            spec = replace(base.data, **parts["data"])
            data = spec.build()
        # As on the command line: unless the lesson names the output, the network follows the data
        # (K softmax outputs for K classes, a linear output for targets); a named one must fit.
        if not {"output_activation", "loss"} & parts["model"].keys():
            model = fit_model(model, data)[0]
        check_fits(model, data)
    except NnvizError as exc:
        raise LessonError(source, "setup", str(exc)) from None
    return Setup(model, spec, settings), data, parts["lesson"]


def _checks(source: str, entries: object, data: Dataset) -> tuple[Check, ...]:
    if not isinstance(entries, list):
        raise LessonError(source, "check", "must be a list of [[check]] tables")
    if not entries:
        raise LessonError(source, "check", "a lesson needs at least one [[check]]")
    if len(entries) > MAX_CHECKS:
        raise LessonError(source, "check", f"{len(entries)} checks is more than the limit of {MAX_CHECKS}")
    return tuple(_check(source, f"check[{i}]", entry, data) for i, entry in enumerate(entries, 1))


def _check(source: str, where: str, entry: object, data: Dataset) -> Check:
    if not isinstance(entry, dict):
        raise LessonError(source, where, f"must be a table, not {_type_name(entry)}")
    for name in entry:
        if name not in CHECK_KEYS:
            raise LessonError(source, f"{where}.{name}", f"unknown key; a check has {', '.join(CHECK_KEYS)}")
    for name in ("metric", "op", "value"):
        if name not in entry:
            raise LessonError(source, f"{where}.{name}", "missing")

    def rule(name: str, parse_value: Callable[[object], object], default: object = None) -> object:
        if name not in entry:
            return default
        try:
            return parse_value(entry[name])
        except _Bad as exc:
            raise LessonError(source, f"{where}.{name}", str(exc)) from None

    metric = rule("metric", _choice(tuple(METRICS)))
    op = rule("op", _choice(tuple(OPS)))
    raw = entry["value"]
    if metric in FLAG_METRICS and isinstance(raw, bool):
        value = float(raw)
    else:
        value = rule("value", _number(-math.inf) if metric not in SHARE_METRICS else _number(0, 1))
        if metric in FLAG_METRICS and value not in (0, 1):
            raise LessonError(source, f"{where}.value",
                              f"{metric} is 0 or 1 (or false / true), not {value:g}")
    at_epoch = rule("at_epoch", _integer(0, MAX_EPOCHS))
    if at_epoch is not None and metric not in PER_EPOCH_METRICS:
        raise LessonError(source, f"{where}.at_epoch",
                          f"only {' and '.join(PER_EPOCH_METRICS)} are kept per epoch")
    if metric in ("test_loss", "test_accuracy") and not data.has_test:
        raise LessonError(source, f"{where}.metric", f"{metric} needs a data set with a test split")
    tolerance = rule("tolerance", _number(0), 0.0)
    if tolerance and op != "==":
        raise LessonError(source, f"{where}.tolerance", "only an == check has a tolerance")
    return Check(metric, op, value, rule("after_epochs", _integer(0, MAX_EPOCHS), 0), at_epoch, tolerance,
                 rule("hint", lambda v: _text(source, f"{where}.hint", v, MAX_HINT, False), ""),
                 rule("label", lambda v: _text(source, f"{where}.label", v, MAX_TITLE), ""))


def load(path: str | Path, key: str = "") -> Lesson:
    """Read and check a lesson file (``LessonError`` names the file for any problem)."""
    path = Path(path)
    source = str(path)
    # A FIFO or a device would block the read (in the window, the GUI thread) or never end.
    if path.exists() and not path.is_file():
        raise LessonError(source, "file", "not a regular file")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LessonError(source, "file", f"cannot read it ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise LessonError(source, "file", f"more than {MAX_FILE_BYTES // 1024} KiB; a lesson is smaller")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LessonError(source, "file", f"not UTF-8 text (byte {exc.start + 1})") from None
    return parse(text, source, key)


def bundled_paths() -> list[Path]:
    """The lessons that ship with nnviz, in order (their names start with a number)."""
    return sorted(BUNDLED_DIR.glob("*.toml"))


def bundled() -> list[Lesson]:
    return [load(path, key=path.stem) for path in bundled_paths()]


# -- checking a running network -------------------------------------------------------------------
@dataclass
class Attempt:
    """One try at a lesson: which goals have ticked (a goal that ticked stays ticked).

    ``observe`` is given each snapshot of the session with the set-up it was trained with; it
    only compares numbers the snapshot already carries, so it is cheap enough for every frame.
    """

    lesson: Lesson
    ticked: list[bool] = field(default_factory=list)
    _run: int | None = None
    _solved_epoch: float = math.inf

    def __post_init__(self) -> None:
        self.ticked = [False] * len(self.lesson.checks)

    @property
    def complete(self) -> bool:
        return all(self.ticked)

    def observe(self, snap, setup: Setup) -> list[int]:
        """Take a snapshot; returns the indices of the goals it ticked."""
        if snap.run != self._run:
            self._run, self._solved_epoch = snap.run, math.inf
        metrics = self.metrics(snap, setup)
        if metrics["accuracy"] == 1 and metrics["epoch"] < self._solved_epoch:
            self._solved_epoch = metrics["epoch"]
        metrics["solved_epoch"] = self._solved_epoch
        newly = []
        for i, check in enumerate(self.lesson.checks):
            if self.ticked[i]:
                continue
            values = metrics
            if check.at_epoch is not None:
                values = {"epoch": metrics["epoch"],
                          check.metric: _loss_at(snap, check.at_epoch, check.metric == "test_loss")}
            if check.met(values):
                self.ticked[i] = True
                newly.append(i)
        return newly

    def metrics(self, snap, setup: Setup) -> dict[str, float]:
        data = snap.data
        settings = snap.settings
        test_losses = snap.test_losses
        return {
            "epoch": float(snap.epoch),
            "loss": float(snap.loss),
            "test_loss": float(test_losses[-1]) if test_losses is not None and len(test_losses) else math.nan,
            "accuracy": float(snap.accuracy),
            "test_accuracy": float(snap.test_accuracy),
            "diverged": 0.0 if math.isfinite(snap.weights_loss) else 1.0,
            "hidden_layers": float(len(setup.model.hidden)),
            "hidden_units": float(sum(setup.model.hidden)),
            "extra_features": float(sum(name not in features.DEFAULT for name in snap.network.features)),
            "points": float(len(data.X)),
            "edited": 0.0 if _same_points(data, self.lesson.data) else 1.0,
            "lr": float(settings.lr),
            "batch_size": float(min(settings.batch_size or len(data.X), len(data.X))),
            "l2": float(settings.l2),
        }


def _same_points(a: Dataset, b: Dataset) -> bool:
    # Edits make new Dataset objects; comparing arrays only when they differ keeps this cheap.
    return a is b or (a.X.shape == b.X.shape and np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y))


def _loss_at(snap, epoch: int, test: bool) -> float:
    """The loss of ``epoch`` if this snapshot carries it (each carries every epoch since the one before)."""
    values = snap.test_losses if test else snap.losses
    if values is None:
        return math.nan
    i = epoch - snap.first_epoch
    return float(values[i]) if 0 <= i < len(values) else math.nan
