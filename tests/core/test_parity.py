"""The tutorial preset must give the article's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer


def tutorial_trainer() -> Trainer:
    return Trainer(Network.initialised([2, 4, 1]), datasets.xor())


def test_initial_weights_are_the_articles_draws():
    np.random.seed(42)
    W1 = np.random.randn(2, 4) * 0.5
    W2 = np.random.randn(4, 1) * 0.5
    net = Network.initialised([2, 4, 1], init="tutorial", seed=42)
    assert np.array_equal(net.W[0], W1)
    assert np.array_equal(net.W[1], W2)
    assert np.array_equal(net.b[0], np.zeros((1, 4))) and np.array_equal(net.b[1], np.zeros((1, 1)))


@pytest.mark.parametrize("epoch, loss", [(0, 0.2556753002), (99, 0.2501457364), (999, 0.2036439287)])
def test_losses_match_the_tutorial(epoch, loss):
    losses = tutorial_trainer().run(1000)
    assert losses[epoch] == pytest.approx(loss, abs=1e-9)


def test_after_1000_epochs_three_of_four_are_right_and_after_2000_all():
    trainer = tutorial_trainer()
    trainer.run(1000)
    assert trainer.accuracy() == 0.75
    losses = trainer.run(1000)
    assert trainer.accuracy() == 1.0
    assert losses[-1] == pytest.approx(0.005219, abs=5e-7)


def test_training_in_chunks_equals_training_at_once():
    whole = tutorial_trainer()
    whole.run(500)
    parts = tutorial_trainer()
    for n in (1, 99, 150, 250):
        parts.run(n)
    assert parts.epoch == 500
    assert np.array_equal(parts.network.params, whole.network.params)
    assert np.array_equal(parts.history.train, whole.history.train)
