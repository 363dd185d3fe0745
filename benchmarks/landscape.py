"""Time to compute a 41 x 41 loss landscape slice (and its interpolation line).

Two cases: XOR on the tutorial's 2-4-1 sigmoid network, and a spiral of 400
points on a 2-8-8-1 tanh network.  Each is trained a little first (so the
slice is around real weights, with a history for the PCA directions), then
the slice along the trajectory's principal directions and the line from the
initial weights are computed ``--rounds`` times; the best time is printed.

    python benchmarks/landscape.py [--rounds R] [--resolution N]

Prints ``xor_41_ms=… spiral_41_ms=…``; targets: at most 200 and 2000 ms.
"""

from __future__ import annotations

import argparse
import time

import nnviz  # noqa: F401 -- first, so that NumPy's BLAS gets the app's thread setting
import numpy as np

from nnviz.core import datasets, landscape
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings


def case(network: Network, data: datasets.Dataset, epochs: int, lr: float):
    initial = network.params.copy()
    trainer = Trainer(network, data, TrainSettings(lr=lr))
    trajectory = [initial]
    for _ in range(20):
        trainer.run(epochs // 20)
        trajectory.append(trainer.network.params.copy())
    return trainer.network, data, initial, np.array(trajectory)


def best_ms(network, data, initial, trajectory, resolution: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        directions = landscape.pca_directions(network, trajectory)
        landscape.compute(network, data.X, data.y, directions, 0, initial, resolution)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--resolution", type=int, default=41)
    args = parser.parse_args()
    xor = case(Network.initialised([2, 4, 1], seed=42), datasets.xor(), 2000, 1.0)
    spiral_data = datasets.generate("spiral", n=400, seed=0, test_fraction=0.0)
    spiral = case(Network.initialised([2, 8, 8, 1], "tanh", "sigmoid", "bce", init="xavier", seed=1),
                  spiral_data, 400, 0.3)
    assert len(spiral_data.X) == 400
    xor_ms = best_ms(*xor, args.resolution, args.rounds)
    spiral_ms = best_ms(*spiral, args.resolution, args.rounds)
    n = args.resolution
    print(f"xor_{n}_ms={xor_ms:.1f} spiral_{n}_ms={spiral_ms:.1f}")


if __name__ == "__main__":
    main()
