"""Epochs per second of the nnviz engine against the tutorial's own loop.

Both train the tutorial's task (XOR, 2-4-1 sigmoid, MSE, full-batch gradient
descent at learning rate 1.0, seed 42) in this one process, alternating
rounds so that neither gets a quieter machine.  Prints one line per engine
and their ratio; the target is a ratio of at least 3.

Then two more cases, each against a plain NumPy loop written here the way
the tutorial writes its loop (its sigmoid helpers, allocating as it goes):
a 3-class spiral (300 points, 2-16-3, sigmoid hidden units as in the
tutorial, softmax and cross-entropy, full batch) and a regression (the
``bumps`` set, 300 points, 2-8-1 sigmoid, linear output, MSE).  Their
target is a ratio of at least 2.

Last, it times the tutorial's comparison as a user meets it, whole processes
from start to exit (start-up and imports included): ``nnviz train --epochs
100000 --quiet`` against the tutorial's loop run as a script of its own, in
alternating runs, and prints the medians on a line of their own::

    process: tutorial_s=<f> nnviz_s=<f> ratio=<f> cpu_ratio=<f> (median of N runs each; target >= 3)

``ratio`` compares wall-clock times; ``cpu_ratio`` the processes' CPU time
(user + system), which a busy machine disturbs less.

    python benchmarks/engine.py [--epochs N] [--rounds R] [--task-epochs N]
                                [--process-epochs N] [--process-runs R]
"""

from __future__ import annotations

import argparse
import inspect
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import nnviz  # noqa: F401 -- first, so that NumPy's BLAS gets the app's thread setting
import numpy as np

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings


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


def tutorial_script(epochs: int) -> str:
    """The tutorial's training as a program of its own: numpy, its loop, its final loss printed."""
    return "\n\n".join([
        "import numpy as np",
        *(inspect.getsource(f) for f in (_sigmoid, _sigmoid_derivative, tutorial_loop)),
        "X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])\ny = np.array([[0], [1], [1], [0]])\n"
        f"losses = tutorial_loop(X, y, {epochs})\nprint(f\"Final loss: {{losses[-1]:.6f}}\")\n",
    ])


def _timed_process(command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of one process, from start to exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def whole_process(epochs: int, runs: int) -> str:
    """``nnviz train --epochs N --quiet`` against the tutorial's loop, each as a whole process."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory(prefix="nnviz-engine-") as directory:
        script = os.path.join(directory, "tutorial.py")
        with open(script, "w") as f:
            f.write(tutorial_script(epochs))
        commands = {"tutorial": [sys.executable, script],
                    "nnviz": [sys.executable, "-m", "nnviz", "train", "--epochs", str(epochs), "--quiet"]}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        cwd = os.getcwd()
        os.chdir(repo)  # `-m nnviz` runs this checkout's nnviz
        try:
            for _ in range(runs):
                for name, command in commands.items():  # alternating, so neither gets the quieter moments
                    times[name].append(_timed_process(command))
        finally:
            os.chdir(cwd)
    wall = {name: statistics.median(w for w, _ in t) for name, t in times.items()}
    cpu = {name: statistics.median(c for _, c in t) for name, t in times.items()}
    return (f"process: tutorial_s={wall['tutorial']:.2f} nnviz_s={wall['nnviz']:.2f} "
            f"ratio={wall['tutorial'] / wall['nnviz']:.2f} cpu_ratio={cpu['tutorial'] / cpu['nnviz']:.2f} "
            f"(median of {runs} runs each, {epochs:,} epochs; target >= 3)")


# -- the task cases: K classes and regression, against plain NumPy loops -----
SPIRAL_LR, REGRESSION_LR = 1.0, 0.1


def _initial_weights(layers):
    """The weights ``Network.initialised(layers)`` draws (the tutorial's scheme), as plain arrays."""
    np.random.seed(42)
    return [(np.random.randn(a, b) * 0.5, np.zeros((1, b))) for a, b in zip(layers[:-1], layers[1:])]


def reference_loop(X, epochs, lr, layers, output):
    """One sigmoid hidden layer and full-batch gradient descent; ``output(z2)`` gives the loss and dL/dz2."""
    (W1, b1), (W2, b2) = _initial_weights(layers)
    losses = []
    for _ in range(epochs):
        z1 = X @ W1 + b1
        a1 = _sigmoid(z1)
        z2 = a1 @ W2 + b2
        loss, dz2 = output(z2)
        losses.append(loss)
        dz1 = (dz2 @ W2.T) * _sigmoid_derivative(z1)
        W2 -= lr * (a1.T @ dz2)
        b2 -= lr * dz2.sum(axis=0, keepdims=True)
        W1 -= lr * (X.T @ dz1)
        b1 -= lr * dz1.sum(axis=0, keepdims=True)
    return losses


def softmax_reference_loop(X, labels, epochs, lr=SPIRAL_LR, hidden=16, classes=3):
    """2-hidden-K, softmax and cross-entropy from the logits."""
    m = len(X)
    rows = np.arange(m)
    onehot = np.zeros((m, classes))
    onehot[rows, labels] = 1.0

    def output(z2):
        shifted = z2 - z2.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        return np.mean(np.log(total[:, 0]) - shifted[rows, labels]), (e / total - onehot) / m

    return reference_loop(X, epochs, lr, [2, hidden, classes], output)


def regression_reference_loop(X, y, epochs, lr=REGRESSION_LR, hidden=8):
    """2-hidden-1, linear output, mean squared error."""
    m = len(X)
    return reference_loop(X, epochs, lr, [2, hidden, 1], lambda z2: (np.mean((z2 - y) ** 2), 2 * (z2 - y) / m))


def task_cases() -> dict:
    """name: (reference run(epochs), nnviz run(epochs)) for the 3-class spiral and the regression."""
    spiral = datasets.generate("spiral", 300, 0.1, 0, test_fraction=0.0, classes=3)
    bumps = datasets.generate("bumps", 300, 0.1, 0, test_fraction=0.0)
    labels = spiral.y[:, 0].astype(int)

    def nnviz_spiral(epochs):
        net = Network.initialised([2, 16, 3], "sigmoid", "softmax", "ce")
        return Trainer(net, spiral, TrainSettings(lr=SPIRAL_LR)).run(epochs)

    def nnviz_regression(epochs):
        net = Network.initialised([2, 8, 1], "sigmoid", "linear", "mse", task="regression")
        return Trainer(net, bumps, TrainSettings(lr=REGRESSION_LR)).run(epochs)

    return {
        "3-class spiral, 300 points, 2-16-3": (lambda e: softmax_reference_loop(spiral.X, labels, e), nnviz_spiral),
        "regression (bumps), 300 points, 2-8-1": (lambda e: regression_reference_loop(bumps.X, bumps.y, e),
                                                  nnviz_regression),
    }


def run_task_cases(epochs: int, rounds: int) -> None:
    for name, (reference, ours) in task_cases().items():
        # Same numbers first.
        assert np.allclose(reference(500), ours(500), rtol=1e-10, atol=1e-12), f"{name}: engine and loop disagree"
        best = {"reference": 0.0, "nnviz": 0.0}
        for _ in range(rounds):
            for which, run in (("reference", reference), ("nnviz", ours)):
                t0 = time.perf_counter()
                run(epochs)
                best[which] = max(best[which], epochs / (time.perf_counter() - t0))
        print(f"{name}:")
        print(f"  plain NumPy loop: {best['reference']:10,.0f} epochs/s")
        print(f"  nnviz engine:     {best['nnviz']:10,.0f} epochs/s")
        print(f"  ratio={best['nnviz'] / best['reference']:.2f} (target >= 2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--process-epochs", type=int, default=100_000,
                        help="epochs of each whole-process run (default 100000)")
    parser.add_argument("--process-runs", type=int, default=5,
                        help="whole-process runs of each (default 5); 0 leaves them out")
    parser.add_argument("--task-epochs", type=int, default=5000, help="epochs of the spiral and regression cases")
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
    run_task_cases(args.task_epochs, args.rounds)
    if args.process_runs > 0:
        print(whole_process(args.process_epochs, args.process_runs), flush=True)


if __name__ == "__main__":
    main()
