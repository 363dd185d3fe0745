"""One session of the window, in one place: what is trained, on what, from where, and what is shown.

A ``Session`` owns everything a session is:

* the set-up (network, data and training specs: ``nnviz.core.setup``),
* the data points being trained on (a ``Dataset``, replaced on every edit),
* the file it came from and whether it changed since,
* the reset point (the weights and epoch the run started from),
* the latest snapshot from the training loop,
* and *what is shown*: the live network, or a past epoch from the history.

Every change is a method that validates everything first and then applies
all of it, or raises ``NnvizError`` having changed nothing.  The model always
suits the data: a change of data fits the model to it (K softmax outputs for
K classes, a linear output for regression, the tutorial's sigmoid for binary
data again; ``setup.fit_model``) and says so in the run's message, and a
model that cannot learn the current data is refused (``setup.check_fits``).  After a change
the session sends the training loop its commands (through the ``send``
function it was given) and tells its listeners what changed: the GUI turns
those events into Qt signals, views subscribe, and nobody reaches into
anybody.  Nothing here knows about Qt or threads.

Events, as ``(kind, value)``:

``"setup"`` (Setup), ``"run"`` (RunStart: a new run, the weights replaced),
``"data"`` (DataChange: points edited or redrawn, the weights kept),
``"frame"`` (Snapshot: a new snapshot of the current run, shown or not),
``"shown"`` (Shown: what the views should draw), ``"playing"`` (bool),
``"file"`` (FileState), ``"message"`` (str, for the status bar).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from nnviz.core import datasets
from nnviz.core.datasets import Dataset
from nnviz.core.errors import ConfigError, DataError
from nnviz.core.network import Network
from nnviz.core.optimizers import Optimizer
from nnviz.core.setup import DataSpec, ModelSpec, Setup, check_fits
from nnviz.core.trainer import TrainSettings
from nnviz.core.training_loop import (
    Command,
    Load,
    Pause,
    Play,
    SetData,
    SetParam,
    SetPlane,
    SetSettings,
    SetSpeed,
    Snapshot,
    Step,
)
from nnviz.core.weights_file import Loaded

# The window draws points and boundaries in float32 over the data's range; far
# beyond this it cannot show them (and no lesson needs them), so it refuses them.
COORDINATE_LIMIT = 1e6
# A typed weight or bias: the same range the edit dialog offers.
PARAMETER_LIMIT = 1e6


# Generated problems that the default 2-4-1 network cannot solve well: the hidden layers their usual
# solution needs, and what to tell the learner (once per session, when the network is smaller).
CAPACITY_HINTS = {
    "spiral": ((8, 8), "spiral usually needs two hidden layers of 8 or more"),
}


def too_small(hidden: tuple[int, ...], needed: tuple[int, ...]) -> bool:
    """Whether ``hidden`` has fewer layers than ``needed``, or fewer units in one of them."""
    return len(hidden) < len(needed) or any(h < n for h, n in zip(hidden, needed))


def check_coordinates(data: Dataset, source: str = "the data") -> None:
    """Refuse points the window cannot show (``DataError`` naming the first one)."""
    for X, which in ((data.X, "training"), (data.X_test, "test")):
        if len(X) == 0 or max(-X.min(), X.max()) <= COORDINATE_LIMIT:
            continue  # the common case, in two passes over the array (this runs on every drag move)
        bad = np.flatnonzero(np.any(np.abs(X) > COORDINATE_LIMIT, axis=1))
        if len(bad):
            x1, x2 = X[bad[0]]
            raise DataError(f"{source}: {which} point {bad[0] + 1} is at ({x1:g}, {x2:g}); coordinates must "
                            f"be between {-COORDINATE_LIMIT:g} and {COORDINATE_LIMIT:g}")


@dataclass(frozen=True)
class RunStart:
    """A new run: training starts over from ``network`` at ``epoch`` on ``data``."""

    run: int
    network: Network  # a copy nobody writes to
    data: Dataset
    settings: TrainSettings
    epoch: int
    keep_bounds: bool  # the data's view need not be refitted (the same points)
    keep_losses: bool  # the loss curve continues up to ``epoch`` (a resume), rather than starting afresh
    message: str


@dataclass(frozen=True)
class DataChange:
    """The points changed but the weights are kept. ``cause``: 'edit', 'drag' or 'redraw'."""

    data: Dataset
    cause: str


@dataclass(frozen=True)
class FileState:
    path: str | None
    modified: bool


@dataclass(frozen=True)
class PastEpoch:
    """A network from the history, to look at (a new object, never the history's arrays)."""

    network: Network
    epoch: int
    loss: float = math.nan


@dataclass(frozen=True)
class Shown:
    """What the views draw: the live network of the latest snapshot, or a past epoch."""

    network: Network
    data: Dataset
    settings: TrainSettings
    epoch: int
    past: bool
    snapshot: Snapshot | None  # the live snapshot (None for a past epoch, or before the first one)
    optimizer: Optimizer | None = None
    rng_state: dict | None = None


class Session:
    def __init__(self, send: Callable[[Command], None], setup: Setup | None = None,
                 data: Dataset | None = None) -> None:
        self._send_command = send
        self.commands_sent = 0
        self.setup = setup or Setup()
        if data is None:
            data = self.setup.data.build() if self.setup.data.name != "custom" else DataSpec().build()
            if self.setup.data.name == "custom":
                self.setup = replace(self.setup, data=DataSpec())
        self.setup = self.setup.fitted(data)[0]  # a set-up saved by an older nnviz, or a data set given
        self.data = data
        self.path: str | None = None
        self.modified = False
        self.playing = False
        self.run = 0
        self.start: tuple[Network, int] = (self.setup.model.build(), 0)
        self.latest: Snapshot | None = None
        self.past: PastEpoch | None = None
        self._saved_epoch = 0
        self._hinted: set[str] = set()  # data sets whose capacity hint was already given
        self._listeners: list[Callable[[str, object], None]] = []

    # -- listening -------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[str, object], None]) -> None:
        self._listeners.append(listener)

    def _emit(self, kind: str, value: object) -> None:
        for listener in list(self._listeners):
            listener(kind, value)

    def _send(self, command: Command) -> None:
        self.commands_sent += 1
        self._send_command(command)

    def in_sync(self, snap: Snapshot | None) -> bool:
        """True when ``snap`` belongs to the current run and reflects every command sent."""
        return snap is not None and snap.run == self.run and snap.commands_applied == self.commands_sent

    # -- what is shown ------------------------------------------------------------------------
    @property
    def showing_past(self) -> bool:
        return self.past is not None

    def shown(self) -> Shown:
        """What the views should draw now."""
        snap = self.latest
        if self.past is not None:
            settings = snap.settings if snap is not None else self.setup.settings
            # Resuming from a past epoch starts a fresh optimizer; the shuffler is not rewound.
            rng_state = snap.rng_state if snap is not None else None
            return Shown(self.past.network, self.data, settings, self.past.epoch, True, None, None, rng_state)
        if snap is not None:
            return Shown(snap.network, snap.data, snap.settings, snap.epoch, False, snap, snap.optimizer,
                         snap.rng_state)
        network, epoch = self.start
        return Shown(network, self.data, self.setup.settings, epoch, False, None)

    def show_past(self, past: PastEpoch) -> None:
        """Look at a past epoch: training pauses, and live snapshots no longer replace the view."""
        if self.playing:
            self.set_playing(False)
        self.past = past
        self._emit("shown", self.shown())

    def show_live(self) -> None:
        if self.past is None:
            return
        self.past = None
        self._emit("shown", self.shown())

    # -- training commands --------------------------------------------------------------------
    def set_playing(self, playing: bool) -> None:
        if playing:
            self.show_live()
        self.playing = bool(playing)
        self._send(Play() if playing else Pause())
        if playing:
            self._touch()
        self._emit("playing", self.playing)

    def step(self, epochs: int = 1) -> None:
        if self.playing:
            self.set_playing(False)
        self.show_live()
        self._send(Step(int(epochs)))
        self._touch()

    def set_speed(self, rate: float | None) -> None:
        self._send(SetSpeed(rate))

    def set_plane(self, bounds) -> None:
        self._send(SetPlane(tuple(float(v) for v in bounds)))

    def change_settings(self, settings: TrainSettings) -> None:
        """New training settings from the next epoch on; the weights are kept."""
        setup = self.setup.with_settings(settings)  # validates
        self.setup = setup
        self._send(SetSettings(setup.settings))
        self._emit("setup", setup)
        self._emit("message", "Training settings changed; training continues from the current weights")
        self._touch()

    def set_parameter(self, layer: int, row: int, col: int, value: float) -> None:
        """Type a new value for one weight or bias (row ``fan_in`` of a layer is its bias)."""
        network = self.shown().network
        if not 0 <= layer < len(network.Wa) or not (0 <= row < network.Wa[layer].shape[0]
                                                    and 0 <= col < network.Wa[layer].shape[1]):
            raise ConfigError(f"the network has no parameter at layer {layer + 1}, row {row}, column {col}")
        value = float(value)
        if not (math.isfinite(value) and abs(value) <= PARAMETER_LIMIT):
            raise ConfigError(f"a weight must be a number between {-PARAMETER_LIMIT:g} and {PARAMETER_LIMIT:g}")
        self.show_live()
        self._send(SetParam(layer, row, col, value))
        self._touch()

    # -- runs ---------------------------------------------------------------------------------
    def _start_run(self, network: Network, data: Dataset, settings: TrainSettings, epoch: int, message: str,
                   keep_bounds: bool = False, keep_start: bool = False, keep_losses: bool = False) -> None:
        self.run += 1
        if not keep_start:
            self.start = (network.copy(), epoch)
        self.data = data
        self.latest = None
        self.past = None
        self._send(Load(self.run, network.copy(), data, settings, epoch))
        if self.playing:
            self._send(Play())
        self._emit("run", RunStart(self.run, network.copy(), data, settings, epoch, keep_bounds, keep_losses,
                                   message))
        self._emit("shown", self.shown())

    def begin(self, message: str = "Ready: press Play (Space) to train") -> None:
        """Start the first run of the set-up (the window calls this once its views listen)."""
        self._emit("setup", self.setup)
        self._start_run(self.setup.model.build(), self.data, self.setup.settings, 0, message)
        self._emit("file", FileState(self.path, self.modified))

    def new(self) -> None:
        """Forget everything: the tutorial's set-up at epoch 0, no file."""
        setup = Setup()
        data = setup.data.build()
        self.set_playing(False)
        self.setup, self.path = setup, None
        self._emit("setup", setup)
        self._start_run(setup.model.build(), data, setup.settings, 0,
                        "New: the tutorial's XOR network, ready to train")
        self._mark_saved(None)

    def reset(self) -> None:
        """Back to the weights this run started from (the same seed gives the same weights)."""
        network, epoch = self.start
        self._start_run(network, self.data, self.setup.settings, epoch,
                        f"Reset: back to the initial weights at epoch {epoch:,}", keep_bounds=True)
        self._touch()

    def new_seed(self, seed: int) -> None:
        self.change_model(replace(self.setup.model, seed=int(seed)), f"New seed {seed}: new initial weights")

    def change_model(self, model: ModelSpec, message: str | None = None) -> None:
        """A new network (architecture, features, activation, loss, initialisation or seed): the weights are reset.

        A model that cannot learn the current points (a sigmoid output on
        3-class data, a regression network on classes) is refused.
        """
        model.check()
        check_fits(model, self.data)
        old = self.setup.model
        if message is None:
            what = "Seed changed" if old.layers == model.layers and old.seed != model.seed else "Network changed"
            message = f"{what}: weights reset to new initial values"
        network = model.build()
        self.setup = replace(self.setup, model=model)
        self._emit("setup", self.setup)
        self._start_run(network, self.data, self.setup.settings, 0, message, keep_bounds=True)
        self._touch()

    def change_data_spec(self, spec: DataSpec) -> None:
        """Another preset, or new knobs for the current one.

        A new noise or data seed redraws the same problem and training goes
        on; anything else is a new problem, and the weights are reset.
        """
        if spec.name == "custom":
            raise DataError("points from a file are chosen by importing a CSV file, not here")
        data = spec.build()
        check_coordinates(data)
        old = self.setup.data
        setup, fitted = replace(self.setup, data=spec).fitted(data)
        self.setup = setup
        self._emit("setup", self.setup)
        if (old.name, old.n, old.test_fraction, old.classes) == (spec.name, spec.n, spec.test_fraction,
                                                                 spec.classes) and not fitted:
            self._set_data(data, "redraw")
            self._emit("message", "Data redrawn; training continues from the current weights")
        else:
            self._start_run(self.setup.model.build(), data, self.setup.settings, 0,
                            _joined(f"Data set changed to {spec.name}: weights reset"
                                    f"{self._capacity_hint(spec.name)}", fitted))
        self._touch()

    def _capacity_hint(self, name: str) -> str:
        if name not in CAPACITY_HINTS or name in self._hinted:
            return ""
        needed, text = CAPACITY_HINTS[name]
        if not too_small(self.setup.model.hidden, needed):
            return ""
        self._hinted.add(name)
        return f". Tip: {text}"

    def use_dataset(self, data: Dataset, spec: DataSpec | None = None, source: str = "") -> None:
        """Train on a whole new data set (a preset or imported points); the weights are reset."""
        check_coordinates(data, source or "the data")
        spec = spec or DataSpec("custom", len(data.X))
        self.setup, fitted = replace(self.setup, data=spec).fitted(data)
        self._emit("setup", self.setup)
        self._start_run(self.setup.model.build(), data, self.setup.settings, 0,
                        _joined(f"Data set {source or spec.name}: {len(data.X):,} training points; weights reset",
                                fitted))
        self._touch()

    def open_loaded(self, loaded: Loaded, source: str, path: str | None = None) -> None:
        """Continue from a loaded weights file (with its data and settings when it has them)."""
        if loaded.data is not None:
            check_coordinates(loaded.data, source)
        settings = (loaded.settings or self.setup.settings).check()
        network = loaded.network
        model = ModelSpec.of(network, self.setup.model.init, self.setup.model.seed).check()
        if loaded.data is None:
            data, data_spec = self.data, self.setup.data
            try:
                check_fits(model, data)
            except ConfigError as exc:
                raise ConfigError(f"{source} holds no points, and its network cannot learn the current ones: "
                                  f"{exc}") from None
        else:
            data, data_spec = loaded.data, _spec_of(loaded.data)
        self.set_playing(False)
        self.setup = Setup(model, data_spec, settings)
        self.path = path
        self._emit("setup", self.setup)
        self._start_run(network, data, settings, loaded.epoch,
                        f"Opened {source}: {'-'.join(map(str, network.layers))} network at epoch "
                        f"{loaded.epoch:,}")
        self._mark_saved(path)

    def resume_from(self, past: PastEpoch) -> None:
        """Train on from a past epoch, keeping the loss curve up to it (Reset still returns to the start)."""
        if not self.start[0].same_architecture(past.network):
            raise ConfigError("that snapshot belongs to another network; it cannot be resumed here")
        self._start_run(past.network, self.data, self.setup.settings, past.epoch,
                        f"Resumed from epoch {past.epoch:,}", keep_bounds=True, keep_start=True,
                        keep_losses=True)
        self._touch()

    # -- the points ---------------------------------------------------------------------------
    def edit_data(self, data: Dataset, cause: str = "edit") -> None:
        """New training points from the next epoch on (a drag, an added, deleted or flipped point).

        A point of a class the network cannot name (class 2 on a binary
        network) refits the model to the points: new outputs, the weights reset.
        """
        check_coordinates(data)
        setup, fitted = self.setup.fitted(data, exact=False)
        if fitted:
            self.setup = setup
            self._emit("setup", setup)
            self._start_run(setup.model.build(), data, setup.settings, 0, f"{fitted}; weights reset",
                            keep_bounds=True)
        else:
            self._set_data(data, cause)
        self._touch()

    def _set_data(self, data: Dataset, cause: str) -> None:
        self.data = data
        self._send(SetData(data))
        self._emit("data", DataChange(data, cause))

    # -- snapshots ----------------------------------------------------------------------------
    def accept(self, snap: Snapshot) -> bool:
        """Take a snapshot from the training loop; False (and nothing changes) for an earlier run's."""
        if snap.run != self.run:
            return False
        self.latest = snap
        if snap.epoch != self._saved_epoch:
            self._touch()  # trained since the last save or open
        if self.playing and not snap.running and self.in_sync(snap):
            self.playing = False  # it stopped by itself (the loss diverged)
            self._emit("playing", False)
        self._emit("frame", snap)
        if self.past is None:
            self._emit("shown", self.shown())
        return True

    # -- the file -----------------------------------------------------------------------------
    def _touch(self) -> None:
        if not self.modified:
            self.modified = True
            self._emit("file", FileState(self.path, True))

    def _mark_saved(self, path: str | None) -> None:
        self.path = path
        self.modified = False
        self._saved_epoch = self.latest.epoch if self.latest is not None else self.start[1]
        self._emit("file", FileState(path, False))

    def mark_saved(self, path: str, epoch: int) -> None:
        """The session was written to ``path`` at ``epoch``."""
        self.path = path
        self.modified = False
        self._saved_epoch = epoch
        self._emit("file", FileState(path, False))

    def set_modified(self, modified: bool) -> None:
        if modified:
            self._touch()
        else:
            self._mark_saved(self.path)

    # -- lessons ------------------------------------------------------------------------------
    def apply_lesson(self, setup: Setup, data: Dataset, title: str) -> None:
        """Start a lesson's set-up on its points, all or nothing: a fresh session with no file, like New."""
        setup.model.check()
        setup.settings.check()
        check_fits(setup.model, data)
        check_coordinates(data, f"the lesson {title!r}")
        network = setup.model.build()
        self.set_playing(False)
        self.setup, self.path = setup, None
        self._emit("setup", setup)
        self._start_run(network, data, setup.settings, 0, f"Lesson: {title}. Press Play (Space) to train")
        self._mark_saved(None)


def _joined(message: str, fitted: str) -> str:
    """A run's message followed by what fitting the model to the data changed, if anything."""
    return f"{message}. {fitted}" if fitted else message


def _spec_of(data: Dataset) -> DataSpec:
    """The spec to show for loaded points: XOR's name when they are exactly the tutorial's points."""
    xor = datasets.xor()
    if not data.has_test and np.array_equal(data.X, xor.X) and np.array_equal(data.y, xor.y):
        return DataSpec("xor")
    return DataSpec("custom", len(data.X))
