"""Epochs per second of the nnviz engine against the tutorial's own loop.

Both train the tutorial's task (XOR, 2-4-1 sigmoid, MSE, full-batch gradient
descent at learning rate 1.0, seed 42) in this one process, alternating
rounds so that neither gets a quieter machine.  Prints one line per engine
and their ratio; the target is a ratio of at least 3.

    python benchmarks/engine.py [--epochs N] [--rounds R]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer


# -- the baseline: the tutorial's training loop, as the article writes it -----
def _sigmoid(x):
    return 1 / (1 + np.exp(-np.clip(x, -500, 500)))


def _sigmoid_derivative(x):
    s = _sigmoid(x)
    return s * (1 - s)


def tutorial_loop(X, y, epochs, learning_rate=1.0):
    np.random.seed(42)
    W1 = np.random.randn(2, 4) * 0.5
    b1 = np.zeros((1, 4))
    W2 = np.random.randn(4, 1) * 0.5
    b2 = np.zeros((1, 1))
    losses = []
    for _ in range(epochs):
        z1 = X @ W1 + b1
        a1 = _sigmoid(z1)
        z2 = a1 @ W2 + b2
        a2 = _sigmoid(z2)
        losses.append(np.mean((a2 - y) ** 2))
        m = X.shape[0]
        dz2 = 2 * (a2 - y) * _sigmoid_derivative(z2)
        dW2 = a1.T @ dz2 / m
        db2 = np.mean(dz2, axis=0, keepdims=True)
        dz1 = (dz2 @ W2.T) * _sigmoid_derivative(z1)
        dW1 = X.T @ dz1 / m
        db1 = np.mean(dz1, axis=0, keepdims=True)
        W1 -= learning_rate * dW1
        b1 -= learning_rate * db1
        W2 -= learning_rate * dW2
        b2 -= learning_rate * db2
    return losses


def nnviz_loop(data, epochs):
    trainer = Trainer(Network.initialised([2, 4, 1]), data)
    return trainer.run(epochs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    data = datasets.xor()
    X, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([[0], [1], [1], [0]])
    # Same numbers first: a fast engine that computes something else is no win.
    reference, ours = tutorial_loop(X, y, 1000), nnviz_loop(data, 1000)
    assert np.allclose(reference, ours, rtol=0, atol=1e-12), "engine and tutorial disagree"

    best = {"tutorial": 0.0, "nnviz": 0.0}
    for _ in range(args.rounds):
        for name, run in (("tutorial", lambda: tutorial_loop(X, y, args.epochs)),
                          ("nnviz", lambda: nnviz_loop(data, args.epochs))):
            t0 = time.perf_counter()
            run()
            best[name] = max(best[name], args.epochs / (time.perf_counter() - t0))
    print(f"tutorial loop: {best['tutorial']:10,.0f} epochs/s")
    print(f"nnviz engine:  {best['nnviz']:10,.0f} epochs/s")
    print(f"ratio={best['nnviz'] / best['tutorial']:.2f} (target >= 3)")


if __name__ == "__main__":
    main()
