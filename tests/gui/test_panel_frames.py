"""Learning panels opened while training runs flat out must not hold up the window's frames.

Counted, not timed: frames keep arriving through the window's ``sigFrame``,
a panel redraws at most once per frame, and once a panel is open no frame
makes the main window lay itself out again (a label whose size follows its
text does that with every new text, and then every view is repainted).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject

PANELS = {"inspector": "Step inspector", "predictions": "Predictions", "activation": "Activation",
          "history": "History"}
FRAMES = 40  # frames watched with the panel open


class LayoutRequests(QObject):
    """Counts the times a widget is asked to lay itself out again."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


class FrameLog:
    """For every frame of the window: its epoch and how many times each panel had redrawn by then."""

    def __init__(self, window) -> None:
        self.panels = {name: window.learning.docks[name].widget() for name in PANELS}
        self.epochs: list[int] = []
        self.refreshes: list[dict[str, int]] = []
        window.sigFrame.connect(self._frame)

    def _frame(self, snap) -> None:
        self.epochs.append(snap.epoch)
        self.refreshes.append({name: panel.refreshes for name, panel in self.panels.items()})

    def most_refreshes_between_frames(self, name: str, since: int) -> int:
        counts = [r[name] for r in self.refreshes[since:]]
        return max(b - a for a, b in zip(counts, counts[1:]))


def view_menu_action(window, title: str):
    return next(action for action in window.view_menu.actions() if action.text() == title)


def open_while_training(qtbot, window, names) -> tuple[FrameLog, LayoutRequests, int]:
    """Start training, open the panels from the View menu, and watch FRAMES frames once they have drawn."""
    log = FrameLog(window)
    window.actions["play"].trigger()
    qtbot.waitUntil(lambda: len(log.epochs) >= 5, timeout=15000)
    for name in names:
        view_menu_action(window, PANELS[name]).trigger()
        assert window.learning.docks[name].isVisible()
    # Opening a panel lays the window out (a dock tabbed with others settles a
    # little later): wait until every panel has drawn twice and ten frames have passed.
    opened = len(log.epochs)
    qtbot.waitUntil(lambda: len(log.epochs) >= opened + 10
                    and all(log.panels[n].refreshes >= 2 for n in names), timeout=15000)
    requests = LayoutRequests()
    window.installEventFilter(requests)
    start = len(log.epochs)
    qtbot.waitUntil(lambda: len(log.epochs) >= start + FRAMES, timeout=30000)
    window.removeEventFilter(requests)
    return log, requests, start


@pytest.mark.parametrize("name", list(PANELS))
def test_a_panel_open_while_training_keeps_the_frames_coming(qtbot, window, name):
    status = {key: (label.sizeHint(), label.minimumSizeHint()) for key, label in window.status_labels.items()}
    log, requests, start = open_while_training(qtbot, window, [name])
    epochs = log.epochs[start:]
    assert epochs[-1] > epochs[0]  # training went on, frame after frame
    assert log.panels[name].refreshes > log.refreshes[start][name]  # and the panel followed it
    assert log.most_refreshes_between_frames(name, start) <= 1
    assert requests.count == 0
    assert {key: (label.sizeHint(), label.minimumSizeHint())
            for key, label in window.status_labels.items()} == status


def test_all_panels_open_at_once(qtbot, window):
    log, requests, start = open_while_training(qtbot, window, list(PANELS))
    for name in PANELS:
        assert log.most_refreshes_between_frames(name, start) <= 1
    assert requests.count == 0


def test_the_inspector_says_it_shows_fewer_epochs_and_is_exact_once_paused(qtbot, window):
    log, _, start = open_while_training(qtbot, window, ["inspector"])
    inspector = log.panels["inspector"]
    # Flat out, epochs come in leaps between frames, and the inspector draws a few of them a second.
    assert min(b - a for a, b in zip(log.epochs[start:], log.epochs[start + 1:])) > 1
    drawn = inspector.refreshes - log.refreshes[start]["inspector"]
    assert 0 < drawn < FRAMES
    qtbot.waitUntil(lambda: "Training runs fast" in inspector.summary.text(), timeout=5000)
    window.actions["play"].trigger()  # pause
    qtbot.waitUntil(lambda: not window.playing and window.wait_for_sync(0.1), timeout=10000)
    epoch = window.latest.epoch
    qtbot.waitUntil(lambda: f"Epoch {epoch}</b>" in inspector.summary.text(), timeout=5000)
    assert "Training runs fast" not in inspector.summary.text()
    assert inspector.state.epoch == epoch
