"""What the panels' tests share: the tutorial's network after some epochs, and stepping the window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def tutorial_at(epochs: int) -> Network:
    """The window's default network (XOR, 2-4-1, seed 42, learning rate 1) after ``epochs`` epochs."""
    trainer = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=1.0))
    trainer.run(epochs)
    return trainer.network


def step(window, n: int) -> None:
    """Press Step ``n`` times, each time until the window has drawn the epoch."""
    for _ in range(n):
        window.actions["step"].trigger()
        assert window.wait_for_sync()
