"""What every learning panel shares: a throttled ``set_state``, fixed-size labels and a few colours.

The main window calls ``set_state(network, data, settings, epoch)`` on every
update it draws, which at full training speed is once per display frame.  A
panel redraws at most ``max_hz`` times a second, and not at all while it is
hidden (a dock tabbed behind another): its Python work shares the
interpreter with the training thread, so work nobody sees is work taken from
the frame rate and from training.

A redraw that is due runs at once, inside the frame that delivered the
state: the training thread stands aside while a frame is drawn (see
``gil.py``), so the panel's work and the repaint it causes get the
interpreter to themselves.  One that is not due yet waits for a later frame;
only when no frame comes (training paused, a single step) does a timer show
the last state, so a stopped panel always shows exactly what the window shows.

Panels with a lot of text can ask for fewer redraws while training skips
epochs between frames (``busy_hz``): no one reads a table of numbers that
changes sixty times a second, and every epoch is still shown in slow motion
and when stepping, where the epochs come one by one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QComboBox, QFrame, QLabel, QSizePolicy, QWidget

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


def refill_combo(combo: QComboBox, names: list[str]) -> bool:
    """Give ``combo`` the items ``names`` when they differ from its own; True if it changed.

    Refilled only on a change: clearing a combo box every frame would lose the
    user's open popup and fire its selection signals for nothing.
    """
    if [combo.itemText(i) for i in range(combo.count())] == list(names):
        return False
    combo.clear()
    combo.addItems(names)
    return True


def fix_size(label: QLabel, *widest: str) -> None:
    """Fix ``label``'s size to fit the widest of these texts, so that changing its text never relayouts.

    A label whose size may change asks its parent's layout to be redone on
    every ``setText``, and that request climbs to the main window, which lays
    out the docks and the views again.  A label of fixed size only repaints.
    """
    metrics = label.fontMetrics()
    margins = label.contentsMargins()
    width = max(metrics.horizontalAdvance(text) for text in widest) + margins.left() + margins.right() + 4
    label.setFixedSize(width, metrics.height() + margins.top() + margins.bottom())


class RichText(QFrame):
    """Rich text laid out once per new text, in one ``QTextDocument``; a new text never relayouts the window.

    With ``lines``, the height is fixed at that many lines and the text wraps
    to the width: a new text only repaints.  Without, the widget takes the
    text's natural size (no wrapping), and only a text of another size asks
    for a new layout: keep such widgets in a scroll area, which ends the
    request there.  A ``QLabel`` asks for a new layout with every text, a
    request that climbs through the dock to the main window, which then lays
    out and repaints the main views; and it lays rich text out several times
    over (size hint, minimum size, paint): for the inspector's tables about
    ten times the work of laying them out once (measured).

    Links (``<a href=...>``) emit ``linkActivated(href)`` when clicked.
    """

    linkActivated = Signal(str)

    def __init__(self, lines: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._lines = lines
        # Two documents: the one shown, and one a new text is laid out in
        # (``prepare``) until it is shown (``commit``).
        self._doc, self._back = (self._document() for _ in range(2))
        self._pending: str | None = None
        self._natural = QSize(0, 0)
        if lines is not None:
            self.setFixedHeight(lines * self.fontMetrics().lineSpacing() + 2)
            self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        else:
            self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def _document(self) -> QTextDocument:
        doc = QTextDocument(self)
        doc.setDocumentMargin(0)
        doc.setDefaultFont(self.font())
        return doc

    def _frame_size(self) -> QSize:
        return self.size() - self.contentsRect().size()

    def sizeHint(self) -> QSize:
        if self._lines is not None:
            return QSize(200, self.height())
        return self._natural + self._frame_size()

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.height()) if self._lines is not None else self.sizeHint()

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        self.prepare(text)
        self.commit()

    def prepare(self, text: str) -> None:
        """Lay ``text`` out without showing it yet (``commit`` shows it)."""
        self._pending = None
        if text != self._text:
            self._back.setHtml(text)
            if self._lines is not None:
                self._back.setTextWidth(self.contentsRect().width())
            self._back.size()  # the layout is done here, not at the commit
            self._pending = text

    def commit(self) -> None:
        """Show the text last prepared."""
        if self._pending is None:
            return
        self._text, self._pending = self._pending, None
        self._doc, self._back = self._back, self._doc
        if self._lines is None:
            natural = self._doc.size().toSize()
            if natural != self._natural:
                self._natural = natural
                self.setFixedSize(natural + self._frame_size())
        self.update()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)  # the frame, if any
        painter = QPainter(self)
        area = self.contentsRect()
        painter.translate(area.topLeft())
        if self._lines is not None:
            self._doc.setTextWidth(area.width())
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, self.palette().color(QPalette.ColorRole.WindowText))
        context.clip = QRectF(0, 0, area.width(), area.height())
        painter.setClipRect(context.clip)
        self._doc.documentLayout().draw(painter, context)
        painter.end()

    def _anchor(self, pos) -> str:
        return self._doc.documentLayout().anchorAt(QPointF(pos - self.contentsRect().topLeft()))

    def mouseMoveEvent(self, event) -> None:
        link = bool(self._anchor(event.position().toPoint()))
        self.setCursor(Qt.CursorShape.PointingHandCursor if link else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        href = self._anchor(event.position().toPoint()) if event.button() == Qt.MouseButton.LeftButton else ""
        if href:
            self.linkActivated.emit(href)
        else:
            super().mouseReleaseEvent(event)


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
    # The rate while epochs are skipped between states (training at full speed).
    busy_hz: float | None = None
    # How long after a state that was not drawn the timer draws it, should no frame come first.
    SETTLE_SECONDS = 0.05

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # An explicit small minimum: docks honour it instead of the layout's,
        # so a panel never forces the main window to grow (even while hidden,
        # restoring the window's geometry takes every dock's minimum into account).
        self.setMinimumSize(200, 140)
        self.state: State | None = None
        self._dirty = False
        self._last = -math.inf
        self.skipping = False  # the last state came more than one epoch after the one before it
        self.refreshes = 0  # how many times the panel has redrawn (tests and benchmarks count them)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._settle)

    def set_state(self, network: Network, data: Dataset, settings: TrainSettings, epoch: int,
                  optimizer: Optimizer | None = None, rng_state: dict | None = None) -> None:
        """Show this network; cheap to call every frame (the redraw is coalesced)."""
        before = self.state.epoch if self.state is not None else None
        self.state = State(network, data, settings, int(epoch), optimizer, rng_state)
        self.skipping = before is not None and abs(self.state.epoch - before) > 1
        self._dirty = True
        self._schedule()

    def _period(self) -> float:
        return 1.0 / (self.busy_hz if self.skipping and self.busy_hz else self.max_hz)

    def _schedule(self) -> None:
        if not self.isVisible():
            return  # showEvent redraws
        # A little early is on time: frames come at intervals that jitter.
        wait = self._last + self._period() * 0.9 - time.monotonic()
        if wait <= 0:
            self.flush()
        else:
            self._timer.start(int((wait + self.SETTLE_SECONDS) * 1000))

    def _settle(self) -> None:
        # No frame came for a while: training stopped or is slow; show the last state as it is.
        self.skipping = False
        self.flush()

    def flush(self) -> None:
        """Redraw now if there is something new (tests call this to skip the throttle)."""
        self._timer.stop()
        if self._dirty and self._drawable():
            self._dirty = False
            self._last = time.monotonic()
            self.refreshes += 1
            self.refresh(self.state)

    def _drawable(self) -> bool:
        return self.state is not None

    def refresh(self, state: State) -> None:
        raise NotImplementedError

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self._schedule()

    def closeEvent(self, event) -> None:
        self._timer.stop()
        super().closeEvent(event)
