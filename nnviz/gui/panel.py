"""What every learning panel shares: a throttled ``set_state`` and a few colours.

The main window calls ``set_state(network, data, settings, epoch)`` on every
update it draws, which at full training speed is once per display frame.  A
panel keeps only the newest state and redraws at most ``max_hz`` times a
second, and not at all while it is hidden (a dock tabbed behind another):
its Python work shares the interpreter with the training thread, so work
nobody sees is work taken from the frame rate and from training.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QThread, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from nnviz.core.datasets import Dataset
from nnviz.core.network import Network
from nnviz.core.optimizers import Optimizer
from nnviz.core.trainer import TrainSettings
from nnviz.gui import theme

# The window's colour rule (theme.py): blue is positive / class 1, orange
# negative / class 0, Okabe-Ito colours that survive colour-vision deficiencies.
POSITIVE = QColor(theme.BLUE)
NEGATIVE = QColor(theme.ORANGE)
# Runs in comparisons: the rest of the Okabe-Ito set, then darker tones.
RUN_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#222222", "#999999")
MUTED = theme.MUTED


@dataclass
class State:
    network: Network
    data: Dataset
    settings: TrainSettings
    epoch: int
    # What the next update depends on besides the weights: a copy of the
    # optimizer (momentum's velocity, Adam's moments) and the mini-batch
    # shuffler's state.  None when the state does not come from a trainer.
    optimizer: Optimizer | None = None
    rng_state: dict | None = None


class Panel(QWidget):
    """A view of the current network that redraws at display rate at most, and only when seen."""

    max_hz = 30.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # An explicit small minimum: docks honour it instead of the layout's,
        # so a panel never forces the main window to grow (even while hidden,
        # restoring the window's geometry takes every dock's minimum into account).
        self.setMinimumSize(200, 140)
        self.state: State | None = None
        self._dirty = False
        self._last = -1.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    def set_state(self, network: Network, data: Dataset, settings: TrainSettings, epoch: int,
                  optimizer: Optimizer | None = None, rng_state: dict | None = None) -> None:
        """Show this network; cheap to call every frame (the redraw is coalesced)."""
        self.state = State(network, data, settings, int(epoch), optimizer, rng_state)
        self._dirty = True
        self._schedule()

    def _schedule(self) -> None:
        if not self.isVisible() or self._timer.isActive():
            return  # showEvent redraws; or a redraw is already on its way
        wait = self._last + 1.0 / self.max_hz - time.monotonic()
        if wait <= 0:
            self.flush()
        else:
            self._timer.start(int(wait * 1000) + 1)

    def flush(self) -> None:
        """Redraw now if there is something new (tests call this to skip the throttle)."""
        self._timer.stop()
        if self._dirty and self.state is not None:
            self._dirty = False
            self._last = time.monotonic()
            self.refresh(self.state)

    def refresh(self, state: State) -> None:
        raise NotImplementedError

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self._schedule()

    def closeEvent(self, event) -> None:
        self._timer.stop()
        super().closeEvent(event)


class CallThread(QThread):
    """Runs ``function(thread)`` off the GUI thread and reports its result once.

    The function may call ``thread.progress(done, total)`` and should return
    early when ``thread.cancelled`` is true.  Results are delivered through
    queued signals, so slots run on the GUI thread.
    """

    sigProgress = Signal(int, int)
    sigDone = Signal(object)
    sigFailed = Signal(str)

    def __init__(self, function, parent=None) -> None:
        super().__init__(parent)
        self._function = function
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def progress(self, done: int, total: int) -> None:
        self.sigProgress.emit(done, total)

    def run(self) -> None:
        try:
            result = self._function(self)
        except Exception as exc:  # noqa: BLE001 (reported to the user, never lost in a thread)
            self.sigFailed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.sigDone.emit(result)

    def stop(self) -> None:
        """Cancel and wait: no thread outlives its owner."""
        self.cancel()
        self.wait()
