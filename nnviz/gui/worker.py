"""The training thread: it runs the core's ``Trainer`` and publishes immutable snapshots.

Data flows one way.  The GUI thread calls the command methods below (``play``,
``step``, ``set_lr``, ``set_data``, ``load`` ...); they only put a tuple on a
thread-safe queue, which the worker drains between chunks of epochs, so every
command takes effect at the next epoch.  The worker never touches a widget.

The worker publishes ``Snapshot`` objects through a one-slot mailbox: it
builds a new snapshot only when the GUI has taken the previous one and a
display frame (1/60 s) has passed, and then emits ``sigSnapshotReady``.  So
the event queue never floods, the boundary image is computed only for frames
that will be drawn, and a slow GUI simply gets fewer, fuller snapshots (each
carries every loss since the one before).  In slow motion and Step mode the
worker waits for the GUI to take each epoch's snapshot before the next epoch.

Sharing the interpreter (measured with ``benchmarks/gui.py``).  A thread
looping over small NumPy calls holds the GIL nearly all the time, and a GUI
frame gives the GIL up and takes it back hundreds of times (every Qt call
from Python paint code); each take-back waits for the training thread's
switch interval.  Lowering the interval alone gave 15-35 fps here.  So the
two take turns, once per frame: after publishing a snapshot the worker
stands aside (blocked on an Event, holding neither the GIL nor a CPU) until
the window reports the frame drawn (``frame_done``, at most
``GUI_FRAME_WAIT``), then trains in chunks of at most ``CHUNK_SECONDS`` that
end at the next frame's deadline.  That held 59 fps with a p99 frame
interval of about 21 ms while training at about half the headless speed.
The switch interval is still lowered while training (``gil.hold_fast``) so
that mouse and keyboard events between frames are handled within a
millisecond or so.
"""

from __future__ import annotations

import math
import queue
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QThread, Signal

from nnviz.core.datasets import Dataset
from nnviz.core.errors import NnvizError, TrainingDiverged
from nnviz.core.history import LossHistory
from nnviz.core.network import Network
from nnviz.core.plane import Bounds, PlaneSampler, square_bounds
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui import gil

FRAME_SECONDS = 1 / 60
CHUNK_SECONDS = 0.002
# The longest the worker stands aside for one frame (should the GUI never say it is done).
GUI_FRAME_WAIT = 0.03
# Measured in benchmarks/gui.py: at the default 5 ms a GUI frame that needs
# the GIL a few dozen times waits up to 5 ms each time; at 0.5 ms the window
# keeps its frame rate and the trainer keeps most of its speed.
TRAINING_SWITCH_INTERVAL = 0.0005
# At or below this many epochs per second every epoch is shown.
SLOW_MOTION_RATE = 60.0


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The state after ``epoch`` epochs; every array is new and never written again."""

    generation: int
    epoch: int  # epochs trained so far
    first_epoch: int  # the epoch of losses[0]
    losses: np.ndarray  # training loss of each epoch since the previous snapshot
    test_losses: np.ndarray | None  # the same for the test split, if there is one
    network: Network  # a copy: the weights after ``epoch`` epochs
    data: Dataset  # the data set being trained on (never mutated)
    data_version: int
    settings: TrainSettings  # a copy
    loss: float  # the last epoch's loss (before any epoch: the loss of the weights)
    accuracy: float
    test_accuracy: float  # NaN without a test split
    image: np.ndarray  # P(class 1) over the plane, float32, row 0 at bounds' ymin
    bounds: Bounds
    epochs_per_s: float
    running: bool
    commands_applied: int  # how many commands the worker had applied (see ``in_sync``)
    message: str | None = None  # why training stopped, when it stopped by itself


# Commands that act at once even while Step epochs are still to run.
_INTERRUPTING = frozenset({"step", "pause", "stop", "load", "speed", "plane", "refresh"})


class TrainingWorker(QThread):
    sigSnapshotReady = Signal()

    def __init__(self, resolution: int = 160, parent=None) -> None:
        super().__init__(parent)
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._mailbox: Snapshot | None = None
        self._generation = 0
        self._resolution = resolution
        self._sent = 0  # commands sent (GUI thread); snapshots echo how many were applied
        # Clear while the GUI thread draws a frame: the worker then waits instead
        # of competing for the GIL (see the module docstring).
        self._gui_free = threading.Event()
        self._gui_free.set()
        self._frames_reported = False

    def _send(self, *cmd) -> None:
        self._sent += 1
        self._commands.put(cmd)

    def in_sync(self, snap: Snapshot) -> bool:
        """True when ``snap`` was taken after every command sent so far had taken effect."""
        return snap.commands_applied == self._sent

    # -- commands (GUI thread) -----------------------------------------------
    def load(self, network: Network, data: Dataset, settings: TrainSettings, epoch: int = 0) -> int:
        """Train ``network`` (now owned by the worker) on ``data`` from ``epoch``; returns the new generation.

        Snapshots of earlier generations still in flight should be dropped.
        """
        with self._lock:
            self._generation += 1
            generation = self._generation
        self._send("load", generation, network, data, replace(settings), epoch)
        return generation

    @property
    def generation(self) -> int:
        with self._lock:
            return self._generation

    def play(self) -> None:
        self._send("play")

    def pause(self) -> None:
        self._send("pause")

    def step(self, epochs: int = 1) -> None:
        self._send("step", int(epochs))

    def set_speed(self, epochs_per_s: float | None) -> None:
        """``None`` trains as fast as possible; a rate at or below 60 is slow motion."""
        self._send("speed", epochs_per_s)

    def set_lr(self, lr: float) -> None:
        self._send("lr", float(lr))

    def set_settings(self, settings: TrainSettings) -> None:
        self._send("settings", replace(settings))

    def set_data(self, data: Dataset, version: int) -> None:
        """Train on ``data`` from the next epoch on, keeping the weights."""
        self._send("data", data, version)

    def set_param(self, layer: int, row: int, col: int, value: float) -> None:
        """Set one entry of layer ``layer``'s augmented matrix (row fan_in is the bias)."""
        self._send("param", layer, row, col, float(value))

    def set_plane(self, bounds: Bounds) -> None:
        """The part of the input plane to compute the boundary image over (what the view shows)."""
        self._send("plane", tuple(float(v) for v in bounds))

    def refresh(self) -> None:
        """Ask for a snapshot even if nothing changed."""
        self._send("refresh")

    def stop(self, timeout: float = 2.0) -> bool:
        """End the thread and wait for it; True when it has finished."""
        if self.isRunning():
            self._commands.put(("stop",))
            return self.wait(int(timeout * 1000))
        return True

    def frame_started(self) -> None:
        """The GUI thread is drawing: pause training between chunks until ``frame_done``."""
        self._gui_free.clear()

    def frame_done(self) -> None:
        """The frame is on screen: training may use the interpreter again.

        A consumer that never calls this (a test, a script) is never waited for.
        """
        self._frames_reported = True
        self._gui_free.set()

    def take(self) -> Snapshot | None:
        """The latest snapshot, once; the worker then prepares the next."""
        with self._lock:
            snap, self._mailbox = self._mailbox, None
        return snap

    # -- the loop (worker thread) -----------------------------------------------
    def run(self) -> None:
        self._trainer: Trainer | None = None
        self._gen = 0
        self._data_version = 0
        self._unsent = LossHistory()  # losses of the epochs trained since the last snapshot
        self._bounds: Bounds | None = None  # set by the GUI to what its view shows
        self._sampler = PlaneSampler(self._resolution)
        self._running = False
        self._steps = 0
        self._rate: float | None = None
        self._rate_clock = (time.perf_counter(), 0)  # (time, epochs) when the rate was set
        self._dirty = False
        self._message: str | None = None
        self._speed_samples: deque = deque()
        self._held: list[tuple] = []  # commands taken off the queue while waiting
        self._applied = 0
        self._epochs_per_s_estimate = 1000.0
        self._last_publish = 0.0
        try:
            while self._drain(self._drain_timeout()):
                try:
                    self._tick()
                except Exception as exc:  # noqa: BLE001 - a bug must not end the thread silently
                    traceback.print_exc()
                    self._set_running(False)
                    self._steps = 0
                    self._message = f"training stopped by an internal error: {exc}"
                    self._dirty = False  # do not retry a failing snapshot in a tight loop
        finally:
            gil.release_fast(self)

    def _drain_timeout(self) -> float | None:
        if self._trainer is not None and (self._running or self._steps > 0):
            return 0.0  # training: only look
        if self._dirty:
            return 0.004  # idle, but a snapshot is owed: look again soon
        return None  # idle: sleep until a command comes

    def _tick(self) -> None:
        """One pass of the loop: train a chunk (or one epoch) and publish when a frame is due."""
        trainer = self._trainer
        if trainer is None:
            return
        now = time.perf_counter()
        slow = self._steps > 0 or (self._rate is not None and self._rate <= SLOW_MOTION_RATE)
        if self._running or self._steps > 0:
            if slow and self._dirty:
                # Every epoch is one update: wait until the GUI has taken the last.
                if not self._publish_if_free(now):
                    self._wait_command(0.002)
                return
            n = self._epochs_due(now)
            if n == 0:
                return
            # Let a frame being drawn finish first (bounded, should the GUI never say so).
            self._gui_free.wait(GUI_FRAME_WAIT)
            self._train(n)
            now = time.perf_counter()
        if self._dirty and (slow or not self._running or now - self._last_publish >= FRAME_SECONDS):
            self._publish_if_free(now)

    def _wait_command(self, seconds: float) -> None:
        """Sleep up to ``seconds``, waking early for a command (kept, in order, for ``_drain``)."""
        if self._held:
            time.sleep(seconds)
            return
        try:
            self._held.append(self._commands.get(timeout=seconds))
        except queue.Empty:
            pass

    def _drain(self, timeout: float | None) -> bool:
        """Apply queued commands in order, waiting up to ``timeout`` (None: forever) for the first.

        Commands sent after a Step wait until its epochs are done, so "step,
        new learning rate, step" means what it says.  Returns False on stop.
        """
        pending, self._held = self._held, []
        if not pending:
            try:
                if timeout is None or timeout > 0:
                    pending.append(self._commands.get(timeout=timeout))
                else:
                    pending.append(self._commands.get_nowait())
            except queue.Empty:
                return True
        while True:
            try:
                pending.append(self._commands.get_nowait())
            except queue.Empty:
                break
        # Of many moves of a dragged point only the newest data matter.
        last_data = max((i for i, c in enumerate(pending) if c[0] == "data"), default=-1)
        for i, cmd in enumerate(pending):
            kind = cmd[0]
            if self._steps > 0 and kind not in _INTERRUPTING:
                self._held = pending[i:]
                break
            self._applied += 1
            if kind == "stop":
                self._set_running(False)
                return False
            if kind == "data" and i != last_data:
                continue
            try:
                self._apply(cmd)
            except NnvizError as exc:  # a bad value from the GUI: say so, keep going
                self._message = str(exc)
            self._dirty = True
        return True

    def _apply(self, cmd: tuple) -> None:
        kind = cmd[0]
        if kind == "load":
            _, generation, network, data, settings, epoch = cmd
            self._trainer = Trainer(network, data, settings)
            self._trainer.epoch = epoch
            self._gen = generation
            self._unsent.clear()
            self._steps = 0
            self._message = None
            self._speed_samples.clear()
            self._rate_clock = (time.perf_counter(), epoch)
            return
        if kind == "plane":
            self._bounds = cmd[1]
            return
        trainer = self._trainer
        if kind == "play":
            self._message = None
            self._set_running(True)
        elif kind == "pause":
            self._set_running(False)
            self._steps = 0
        elif kind == "step":
            self._set_running(False)
            self._steps += cmd[1]
        elif kind == "speed":
            self._rate = cmd[1]
            if trainer is not None:
                self._rate_clock = (time.perf_counter(), trainer.epoch)
        elif trainer is None:
            return
        elif kind == "lr":
            trainer.set_lr(cmd[1])
        elif kind == "settings":
            trainer.set_settings(cmd[1])
        elif kind == "data":
            trainer.set_data(cmd[1])
            self._data_version = cmd[2]
        elif kind == "param":
            _, layer, row, col, value = cmd
            edited = trainer.network.copy()
            edited.Wa[layer][row, col] = value
            trainer.set_params(edited.params)

    def _set_running(self, running: bool) -> None:
        if running and not self._running and self._trainer is not None:
            self._rate_clock = (time.perf_counter(), self._trainer.epoch)
        self._running = running
        if running:
            gil.hold_fast(self, TRAINING_SWITCH_INTERVAL)
        else:
            gil.release_fast(self)

    def _epochs_due(self, now: float) -> int:
        if self._steps > 0:
            return 1
        # A chunk never runs past the next frame, so frames leave on time.
        seconds = min(CHUNK_SECONDS, max(self._last_publish + FRAME_SECONDS - now, 0.0002))
        chunk = max(1, int(self._epochs_per_s_estimate * seconds))
        if self._rate is None:
            return chunk
        t0, e0 = self._rate_clock
        due = int((now - t0) * self._rate) - (self._trainer.epoch - e0)
        if due <= 0:
            # Not yet time for the next epoch: wait for it, or for a command.
            self._wait_command(min(FRAME_SECONDS, (1 - due) / self._rate))
            return 0
        if due > max(1.0, self._rate * 0.25):
            # Fell far behind (the machine is slower than the rate): do not race to catch up.
            self._rate_clock = (now, self._trainer.epoch)
            due = 1
        return min(due, chunk)

    def _train(self, n: int) -> None:
        trainer = self._trainer
        t = time.perf_counter()
        try:
            trainer.run(n)
        except TrainingDiverged as exc:
            self._set_running(False)
            self._steps = 0
            self._message = str(exc)
        self._unsent.append(*trainer.last_run)
        elapsed = time.perf_counter() - t
        if self._steps > 0:
            self._steps -= 1
        if elapsed > 0:
            # Sizes the next chunks: CHUNK_SECONDS of epochs whatever the network.
            self._epochs_per_s_estimate = 0.7 * self._epochs_per_s_estimate + 0.3 * (n / elapsed)
        now = time.perf_counter()
        samples = self._speed_samples
        samples.append((now, trainer.epoch))
        while len(samples) > 2 and now - samples[0][0] > 1.0:
            samples.popleft()
        self._dirty = True

    def _epochs_per_s(self) -> float:
        if not self._running or len(self._speed_samples) < 2:
            return 0.0
        (t0, e0), (t1, e1) = self._speed_samples[0], self._speed_samples[-1]
        return (e1 - e0) / (t1 - t0) if t1 > t0 else 0.0

    def _publish_if_free(self, now: float) -> bool:
        with self._lock:
            if self._mailbox is not None:
                return False
        snap = self._snapshot()
        if self._frames_reported:
            # From now until the GUI has drawn this snapshot the worker stands
            # aside, leaving the GIL (and a CPU) to the GUI thread.
            self._gui_free.clear()
        with self._lock:
            self._mailbox = snap
        self._dirty = False
        self._last_publish = now
        self.sigSnapshotReady.emit()
        return True

    def _snapshot(self) -> Snapshot:
        trainer = self._trainer
        unsent = self._unsent
        losses = unsent.train.copy()
        test = unsent.test.copy() if trainer.data.has_test else None
        first_epoch = trainer.epoch - len(unsent)
        unsent.clear()
        network = trainer.network.copy()
        if not trainer.history.empty:
            loss = trainer.history.last_loss
        else:
            with np.errstate(all="ignore"):
                loss = network.loss_value(trainer.data.X, trainer.data.y)
        bounds = self._bounds or square_bounds(trainer.data)
        with np.errstate(all="ignore"):
            accuracy = trainer.accuracy()
            test_accuracy = trainer.accuracy(test=True) if trainer.data.has_test else math.nan
        return Snapshot(
            generation=self._gen,
            epoch=trainer.epoch,
            first_epoch=first_epoch,
            losses=losses,
            test_losses=test,
            network=network,
            data=trainer.data,
            data_version=self._data_version,
            settings=replace(trainer.settings),
            loss=loss,
            accuracy=accuracy,
            test_accuracy=test_accuracy,
            image=self._sampler.image(network, bounds),
            bounds=bounds,
            epochs_per_s=self._epochs_per_s(),
            running=self._running or self._steps > 0,
            commands_applied=self._applied,
            message=self._message,
        )
