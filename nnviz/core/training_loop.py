"""The training loop's logic, without threads or Qt: commands in, snapshots out, paced by a clock.

The window's worker thread (``nnviz.gui.worker``) is a thin shell around a
``TrainingLoop``: it hands it the commands it received and calls ``tick``
until told to stop.  Everything that decides *what* happens lives here, so
tests drive it directly, with a fake clock and no thread:

* **Commands** are small frozen objects (``Load``, ``Play``, ``Step`` ...).
  They take effect at the next epoch.  Commands sent after a Step wait until
  its epochs are done, so "step, new learning rate, step" means what it says.
* **Snapshots** are immutable: every array in one is new and never written
  again, so the GUI thread may keep and draw it while training goes on.
* **Pacing.**  At full speed the loop trains in chunks of about
  ``CHUNK_SECONDS`` that never run past the next display frame, and publishes
  at most one snapshot per frame (each carries every loss since the one
  before).  At a chosen rate it trains that many epochs per second; at or
  below ``SLOW_MOTION_RATE``, and in Step mode, every epoch is published.
* **Frames.**  Snapshots go through a ``FrameGate`` (one slot: a new snapshot
  is built only when the previous one has been taken) that also lets the
  trainer stand aside while the GUI draws (see ``frame_gate.py``).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from nnviz.core import losses as loss_functions
from nnviz.core.datasets import Dataset
from nnviz.core.errors import Interrupted, NnvizError, TrainingDiverged
from nnviz.core.frame_gate import FrameGate
from nnviz.core.network import Network
from nnviz.core.optimizers import Optimizer
from nnviz.core.plane import Bounds, PlaneSampler, square_bounds
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.core.unit_maps import NOTHING, DiagramExtras, DiagramNeeds, diagram_extras

FRAME_SECONDS = 1 / 60
CHUNK_SECONDS = 0.002
# The longest the trainer stands aside for one frame (should the GUI never say it is done).
GUI_FRAME_WAIT = 0.03
# At or below this many epochs per second every epoch is shown.
SLOW_MOTION_RATE = 60.0
# At full speed the training thread's time goes to training and to frames (building each snapshot,
# standing aside while the GUI draws it).  Training gets TRAINING_SHARE of it as long as frames still
# come MIN_FRAME_RATE times a second, and never less than LEAST_TRAINING_SHARE: on a slow or busy
# machine frames then come less often instead of training nearly stopping.  Measured on a 2-core
# machine (benchmarks/gui.py): a frame costs the training thread 6-8 ms, so at 60 frames a second
# training had about half its time; 58 (which the eye does not tell from 60) give it a tenth more.
TRAINING_SHARE = 0.6
MIN_FRAME_RATE = 58.0
LEAST_TRAINING_SHARE = 0.35
# ... but never more than this many seconds of training between two snapshots, so that on a very
# busy machine, or with huge data, the window still follows a dragged point several times a second.
MAX_OWED_TRAINING = 0.05


# -- commands -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Load:
    """Train ``network`` (now owned by the loop) on ``data`` from ``epoch``, as run number ``run``."""

    run: int
    network: Network
    data: Dataset
    settings: TrainSettings
    epoch: int = 0


@dataclass(frozen=True)
class Play:
    pass


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Step:
    epochs: int = 1


@dataclass(frozen=True)
class SetSpeed:
    """Epochs per second; None trains as fast as possible."""

    rate: float | None


@dataclass(frozen=True)
class SetSettings:
    settings: TrainSettings


@dataclass(frozen=True)
class SetData:
    """Train on ``data`` from the next epoch on, keeping the weights."""

    data: Dataset


@dataclass(frozen=True)
class SetParam:
    """Set one entry of layer ``layer``'s augmented matrix (row fan_in is the bias)."""

    layer: int
    row: int
    col: int
    value: float


@dataclass(frozen=True)
class SetPlane:
    """The part of the input plane to compute the boundary image over (what the view shows)."""

    bounds: Bounds


@dataclass(frozen=True)
class SetDiagramNeeds:
    """What the network diagram shows besides the weights (computed for each snapshot from now on).

    It changes what snapshots carry, not the session, so it is not counted
    among the commands a snapshot echoes (``Snapshot.commands_applied``).
    """

    needs: DiagramNeeds
    counted = False


@dataclass(frozen=True)
class Stop:
    pass


Command = Load | Play | Pause | Step | SetSpeed | SetSettings | SetData | SetParam | SetPlane | SetDiagramNeeds | Stop

# Commands that act at once even while Step epochs are still to run.
_INTERRUPTING = (Step, Pause, Stop, Load, SetSpeed, SetPlane, SetDiagramNeeds)


def counted(command: Command) -> bool:
    """Whether ``command`` counts towards ``Snapshot.commands_applied``."""
    return getattr(command, "counted", True)


# -- snapshots ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Snapshot:
    """The state after ``epoch`` epochs of run ``run``; every array is new and never written again."""

    run: int
    epoch: int  # epochs trained so far
    first_epoch: int  # the epoch of losses[0]
    losses: np.ndarray  # training loss of each epoch since the previous snapshot
    test_losses: np.ndarray | None  # the same for the test split, if there is one
    network: Network  # a copy: the weights after ``epoch`` epochs
    data: Dataset  # the data set being trained on (never mutated)
    settings: TrainSettings  # a copy
    loss: float  # the last epoch's loss, measured before its update (before any epoch: weights_loss)
    weights_loss: float  # the loss of these weights, on the training points
    accuracy: float
    test_accuracy: float  # NaN without a test split
    image: np.ndarray  # P(class 1) over the plane, float32, row 0 at bounds' ymin
    bounds: Bounds
    epochs_per_s: float
    running: bool
    commands_applied: int  # how many commands the loop had applied (the sender compares)
    optimizer: Optimizer  # a copy: momentum's velocity, Adam's moments
    rng_state: dict  # the mini-batch shuffler's state
    message: str | None = None  # why training stopped, when it stopped by itself
    diagram: DiagramExtras | None = None  # what the diagram asked for (``SetDiagramNeeds``), if anything


class TrainingLoop:
    """Applies commands and trains in frame-sized chunks; see the module docstring.

    Parameters
    ----------
    gate
        Where snapshots go, and who says when the GUI is drawing.
    clock
        Seconds, monotonic; tests pass a fake one.
    interrupted
        Polled during long epochs: True ends the epoch at once (used to quit).
    """

    def __init__(self, gate: FrameGate, clock: Callable[[], float] = time.perf_counter,
                 resolution: int = 160, interrupted: Callable[[], bool] | None = None) -> None:
        self.gate = gate
        self.clock = clock
        self.interrupted = interrupted
        self.trainer: Trainer | None = None
        self.run_id = 0
        self.sampler = PlaneSampler(resolution)
        self.bounds: Bounds | None = None  # set by the GUI to what its view shows
        self.diagram_needs: DiagramNeeds = NOTHING
        self.running = False
        self.steps = 0
        self.rate: float | None = None
        self.applied = 0
        self.message: str | None = None
        self._rate_clock = (clock(), 0)  # (time, epochs) when the rate was set
        self._dirty = False
        self._held: list[Command] = []  # commands waiting for Step epochs to finish
        self._pending_losses: list[np.ndarray] = []
        self._pending_test: list[np.ndarray] = []
        self._first_unpublished = 0
        self._last_loss = math.nan  # the newest epoch's loss in this run
        self._speed_samples: deque = deque()
        self._epochs_per_s_estimate = 1000.0
        self._last_publish = -math.inf
        self._overhead = 0.0  # seconds since the last snapshot spent building it and waiting for the GUI
        self._trained = 0.0  # seconds spent training since the last snapshot
        self.on_running_changed: Callable[[bool], None] = lambda running: None

    # -- commands -------------------------------------------------------------------------
    @property
    def holding(self) -> bool:
        return bool(self._held)

    def apply(self, commands: list[Command]) -> bool:
        """Apply ``commands`` in order (after any held ones); False once told to stop."""
        pending, self._held = self._held + list(commands), []
        # Of many moves of a dragged point only the newest data matter.
        last_data = max((i for i, c in enumerate(pending) if isinstance(c, SetData)), default=-1)
        for i, cmd in enumerate(pending):
            if self.steps > 0 and not isinstance(cmd, _INTERRUPTING):
                self._held = pending[i:]
                break
            self.applied += counted(cmd)
            if isinstance(cmd, Stop):
                self._set_running(False)
                return False
            if isinstance(cmd, SetData) and i != last_data:
                continue
            try:
                self._apply(cmd)
            except NnvizError as exc:  # a bad value got through: say so, keep going
                self.message = str(exc)
            self._dirty = True
        return True

    def _apply(self, cmd: Command) -> None:
        if isinstance(cmd, Load):
            self.trainer = Trainer(cmd.network, cmd.data, replace(cmd.settings))
            self.trainer.epoch = cmd.epoch
            self.run_id = cmd.run
            self._pending_losses, self._pending_test = [], []
            self._first_unpublished = cmd.epoch
            self._last_loss = math.nan
            self.steps = 0
            self.message = None
            self._speed_samples.clear()
            self._rate_clock = (self.clock(), cmd.epoch)
            return
        if isinstance(cmd, SetPlane):
            self.bounds = tuple(float(v) for v in cmd.bounds)
            return
        if isinstance(cmd, SetDiagramNeeds):
            self.diagram_needs = cmd.needs
            return
        trainer = self.trainer
        if isinstance(cmd, Play):
            self.message = None
            self._set_running(True)
        elif isinstance(cmd, Pause):
            self._set_running(False)
            self.steps = 0
        elif isinstance(cmd, Step):
            self._set_running(False)
            self.steps += int(cmd.epochs)
        elif isinstance(cmd, SetSpeed):
            self.rate = cmd.rate
            if trainer is not None:
                self._rate_clock = (self.clock(), trainer.epoch)
        elif trainer is None:
            return
        elif isinstance(cmd, SetSettings):
            trainer.set_settings(replace(cmd.settings))
        elif isinstance(cmd, SetData):
            trainer.set_data(cmd.data)
        elif isinstance(cmd, SetParam):
            edited = trainer.network.copy()
            edited.Wa[cmd.layer][cmd.row, cmd.col] = cmd.value
            trainer.set_params(edited.params)

    def _set_running(self, running: bool) -> None:
        if running and not self.running and self.trainer is not None:
            self._rate_clock = (self.clock(), self.trainer.epoch)
        if running != self.running:
            self.running = running
            self.on_running_changed(running)

    def halt(self, message: str) -> None:
        """Stop training and say why (the next snapshot carries the message)."""
        self._set_running(False)
        self.steps = 0
        self.message = message
        self._dirty = False  # do not retry a failing snapshot in a tight loop

    # -- training ------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        return self.trainer is not None and (self.running or self.steps > 0)

    def tick(self) -> float | None:
        """Train a chunk (or one epoch) and publish when a frame is due.

        Returns how long the caller may wait for a command before the next
        tick: 0 to go on at once, a number of seconds, or None (idle: until
        a command comes).
        """
        if self.trainer is None:
            return None
        now = self.clock()
        slow = self.steps > 0 or (self.rate is not None and self.rate <= SLOW_MOTION_RATE)
        if self.training:
            if slow and self._dirty:
                # Every epoch is one update: wait until the GUI has taken the last.
                return 0.0 if self._publish_if_free(now) else 0.002
            n, wait = self._epochs_due(now)
            if n == 0:
                return wait
            # Let a frame being drawn finish first (bounded, should the GUI never say so).
            waited = self.clock()
            self.gate.wait_gui_free(GUI_FRAME_WAIT)
            self._overhead += self.clock() - waited
            self._train(n)
            now = self.clock()
        if self._dirty and (slow or not self.running or (now - self._last_publish >= FRAME_SECONDS
                                                          and self._owed_training() <= 0)):
            self._publish_if_free(now)
        if self.training:
            return 0.0
        return 0.004 if self._dirty else None  # idle, but a snapshot may still be owed

    def _epochs_due(self, now: float) -> tuple[int, float]:
        """How many epochs to train now, or (0, seconds to wait) when the next is not due yet."""
        if self.steps > 0:
            return 1, 0.0
        # A chunk never runs past the next frame, so frames leave on time, unless training is owed its share.
        until_frame = max(self._last_publish + FRAME_SECONDS - now, self._owed_training())
        seconds = min(CHUNK_SECONDS, max(until_frame, 0.0002))
        chunk = max(1, int(self._epochs_per_s_estimate * seconds))
        if self.rate is None:
            return chunk, 0.0
        t0, e0 = self._rate_clock
        due = int((now - t0) * self.rate) - (self.trainer.epoch - e0)
        if due <= 0:
            return 0, min(FRAME_SECONDS, (1 - due) / self.rate)
        if due > max(1.0, self.rate * 0.25):
            # Fell far behind (the machine is slower than the rate): do not race to catch up.
            self._rate_clock = (now, self.trainer.epoch)
            due = 1
        return min(due, chunk), 0.0

    def _owed_training(self) -> float:
        """Seconds still to train before the next snapshot, for training to keep its share at full speed."""
        if self.rate is not None:
            return 0.0
        def for_share(share: float) -> float:
            return self._overhead * share / (1.0 - share)

        room = 1.0 / MIN_FRAME_RATE - self._overhead  # what the frame-rate floor leaves for training
        owed = min(for_share(TRAINING_SHARE), max(room, for_share(LEAST_TRAINING_SHARE)), MAX_OWED_TRAINING)
        return owed - self._trained

    def _train(self, n: int) -> None:
        trainer = self.trainer
        t = self.clock()
        try:
            trainer.run(n, interrupted=self.interrupted)
        except TrainingDiverged as exc:
            self._set_running(False)
            self.steps = 0
            self.message = str(exc)
        except Interrupted:
            self._set_running(False)
            self.steps = 0
            return
        finally:
            self._collect_losses()
        elapsed = self.clock() - t
        self._trained += elapsed
        if self.steps > 0:
            self.steps -= 1
        if elapsed > 0:
            # Sizes the next chunks: CHUNK_SECONDS of epochs whatever the network.
            self._epochs_per_s_estimate = 0.7 * self._epochs_per_s_estimate + 0.3 * (n / elapsed)
        now = self.clock()
        samples = self._speed_samples
        samples.append((now, trainer.epoch))
        while len(samples) > 2 and now - samples[0][0] > 1.0:
            samples.popleft()
        self._dirty = True

    def _collect_losses(self) -> None:
        """Keep the losses of the epochs just trained until the next snapshot carries them."""
        last = self.trainer.last_run
        if last is None or not len(last.train):
            return
        self._pending_losses.append(last.train)
        self._last_loss = float(last.train[-1])
        if last.test is not None:
            self._pending_test.append(last.test)

    def epochs_per_s(self) -> float:
        if not self.running or len(self._speed_samples) < 2:
            return 0.0
        (t0, e0), (t1, e1) = self._speed_samples[0], self._speed_samples[-1]
        return (e1 - e0) / (t1 - t0) if t1 > t0 else 0.0

    # -- publishing ----------------------------------------------------------------------
    def _publish_if_free(self, now: float) -> bool:
        if not self.gate.is_free():
            return False
        snap = self.snapshot()
        self._overhead, self._trained = max(self.clock() - now, 0.0), 0.0
        self.gate.publish(snap)
        self._dirty = False
        self._last_publish = now
        return True

    def snapshot(self) -> Snapshot:
        """The state now, as a new immutable snapshot (takes the pending losses with it)."""
        trainer = self.trainer
        data = trainer.data
        losses = np.concatenate(self._pending_losses) if self._pending_losses else np.empty(0)
        test = (np.concatenate(self._pending_test) if self._pending_test else np.empty(0)) \
            if data.has_test else None
        first = self._first_unpublished
        self._pending_losses, self._pending_test = [], []
        self._first_unpublished = trainer.epoch
        network = trainer.network.copy()
        # One forward pass gives both the loss of these weights and the accuracy; in blocks,
        # so that a stop request is heard even on 100,000 points.
        weights_loss, train_accuracy = network.evaluate(data.X, data.y, stop=self.interrupted)
        test_accuracy = network.evaluate(data.X_test, data.y_test, stop=self.interrupted)[1]
        bounds = self.bounds or square_bounds(data)
        needs = self.diagram_needs
        optimizer = trainer.optimizer.copy()
        rng_state = trainer.rng_state
        diagram = diagram_extras(network, data, trainer.settings, bounds, needs, optimizer, rng_state) \
            if needs.any else None
        return Snapshot(
            run=self.run_id,
            epoch=trainer.epoch,
            first_epoch=first,
            losses=losses,
            test_losses=test,
            network=network,
            data=data,
            settings=replace(trainer.settings),
            loss=weights_loss if math.isnan(self._last_loss) else self._last_loss,
            weights_loss=weights_loss,
            accuracy=train_accuracy,
            test_accuracy=test_accuracy,
            image=self.sampler.image(network, bounds),
            bounds=bounds,
            epochs_per_s=self.epochs_per_s(),
            running=self.training,
            commands_applied=self.applied,
            optimizer=optimizer,
            rng_state=rng_state,
            message=self.message,
            diagram=diagram,
        )
