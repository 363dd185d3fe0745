"""While training flat out the loss curve and the diagram redraw on alternate frames, and catch up after."""

from __future__ import annotations

from painting import on_paint

from nnviz.gui.view_turns import BOTH, DIAGRAM, LOSS, QUICK_FRAME, ViewTurns


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_quick_frames_take_turns_and_slow_ones_draw_both():
    clock = FakeClock()
    turns = ViewTurns(clock)
    assert turns.frame(running=True) == BOTH  # the first frame after a pause
    seen = []
    for _ in range(6):
        clock.now += 1 / 60
        seen.append(turns.frame(running=True))
    assert seen == [{LOSS}, {DIAGRAM}] * 3
    # Slow motion: frames further apart than a quick frame are drawn in full.
    clock.now += QUICK_FRAME * 1.5
    assert turns.frame(running=True) == BOTH
    # The frame that ends a run (training stopped after it) is drawn in full, however soon it comes.
    clock.now += 1 / 60
    assert turns.frame(running=False) == BOTH


def test_a_diagram_left_out_of_the_last_frames_is_drawn_soon_after(qtbot, window):
    window._view_turns.frame = lambda running: frozenset({LOSS})  # every frame is the loss curve's turn
    painted = []
    on_paint(window.diagram, lambda: painted.append(window.diagram.epoch))
    window.set_playing(True)
    qtbot.waitUntil(lambda: window.latest is not None and window.latest.epoch >= 5000, timeout=20000)
    window.set_playing(False)
    assert window.wait_for_sync()
    qtbot.waitUntil(lambda: bool(painted) and painted[-1] == window.latest.epoch, timeout=2000)


def test_a_loss_curve_left_out_of_the_last_frames_is_drawn_soon_after(qtbot, window):
    window._view_turns.frame = lambda running: frozenset({DIAGRAM})
    window.set_playing(True)
    qtbot.waitUntil(lambda: window.latest is not None and window.latest.epoch >= 5000, timeout=20000)
    window.set_playing(False)
    assert window.wait_for_sync()
    curve = window.loss_view.train_curve
    qtbot.waitUntil(lambda: len(curve.getData()[0]) > 0 and curve.getData()[0][-1] == window.latest.epoch - 1,
                    timeout=2000)
