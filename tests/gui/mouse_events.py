"""Real mouse events for pyqtgraph views (QTest's moves carry no held buttons)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.MouseButton.NoButton


def send(widget, kind: QEvent.Type, pos: QPointF, button=LEFT, buttons=LEFT,
         modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    pos = QPointF(pos)
    global_pos = QPointF(widget.mapToGlobal(QPoint(round(pos.x()), round(pos.y()))))
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, global_pos, button, buttons, modifiers))


def click(view, pos: QPointF, button=LEFT, modifiers=Qt.KeyboardModifier.NoModifier, double=False) -> None:
    vp = view.viewport()
    send(vp, QEvent.Type.MouseButtonPress, pos, button, button, modifiers)
    send(vp, QEvent.Type.MouseButtonRelease, pos, button, NONE, modifiers)
    if double:
        send(vp, QEvent.Type.MouseButtonDblClick, pos, button, button, modifiers)
        send(vp, QEvent.Type.MouseButtonRelease, pos, button, NONE, modifiers)


def drag(view, start: QPointF, end: QPointF, steps: int = 12, on_step=None) -> None:
    """Press at ``start``, move in ``steps`` to ``end``, release; ``on_step(i)`` runs between moves."""
    view.scene().minDragTime = 0  # otherwise a quick drag counts as a click
    vp = view.viewport()
    send(vp, QEvent.Type.MouseButtonPress, start)
    for i in range(1, steps + 1):
        t = i / steps
        send(vp, QEvent.Type.MouseMove, start + (end - start) * t, NONE, LEFT)
        if on_step is not None:
            on_step(i)
    send(vp, QEvent.Type.MouseButtonRelease, end, LEFT, NONE)
