"""Epochs per second of the nnviz engine against the tutorial's own loop.

Both train the tutorial's task (XOR, 2-4-1 sigmoid, MSE, full-batch gradient
descent at learning rate 1.0, seed 42) in this one process, alternating
rounds so that neither gets a quieter machine.  Prints one line per engine
and their ratio; the target is a ratio of at least 3.

It then times the same comparison as a user meets it, whole processes from
start to exit (start-up and imports included): ``nnviz train --epochs
100000 --quiet`` against the tutorial's loop run as a script of its own, in
alternating runs, and prints the medians on a line of their own::

    process: tutorial_s=<f> nnviz_s=<f> ratio=<f> cpu_ratio=<f> (median of N runs each; target >= 3)

``ratio`` compares wall-clock times; ``cpu_ratio`` the processes' CPU time
(user + system), which a busy machine disturbs less.

    python benchmarks/engine.py [--epochs N] [--rounds R] [--process-epochs N] [--process-runs R]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--process-epochs", type=int, default=100_000,
                        help="epochs of each whole-process run (default 100000)")
    parser.add_argument("--process-runs", type=int, default=5,
                        help="whole-process runs of each (default 5); 0 leaves them out")
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
    if args.process_runs > 0:
        print(whole_process(args.process_epochs, args.process_runs), flush=True)


if __name__ == "__main__":
    main()
