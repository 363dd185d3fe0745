"""A bounded history of weight snapshots, for scrubbing back through training.

Every snapshot is a full copy of ``Network.params`` at some epoch (the weights
*before* that epoch's update, the same convention as the losses), so restoring
one with ``Trainer.rewind(epoch, params)`` gives back exactly the network the
window showed at that epoch.

Memory is bounded by thinning, not by forgetting the start: snapshots are kept
on a grid of ``stride`` epochs (the first one offered in each stride-wide
bucket).  The stride starts at 1, so early training is kept epoch by epoch;
whenever the store is full the stride doubles and every snapshot that is not
the first of its new, twice-as-wide bucket is dropped.  After any number of
epochs the store therefore holds between half and all of ``capacity``
snapshots, spread evenly from epoch 0 to now, and never more than
``capacity`` of them.

The budget: ``capacity`` snapshots, at most ``MAX_SNAPSHOTS`` (4096) and
at most ``budget_bytes`` (32 MiB by default) of parameters, whichever is
smaller; a million-epoch run of the tutorial's 17-parameter network keeps 4096
snapshots in 0.6 MB, the largest allowed network (8 x 64 units, ~29,000
parameters) keeps 142 in 32 MiB.
"""

from __future__ import annotations

import numpy as np

from nnviz.core.network import Network

MAX_SNAPSHOTS = 4096
MIN_SNAPSHOTS = 16
DEFAULT_BUDGET_BYTES = 32 * 1024 * 1024


class SnapshotHistory:
    """Weights at a thinning grid of past epochs, within a fixed memory budget.

    Parameters
    ----------
    template
        A network of the architecture to record; its weights are not used.
    budget_bytes
        Upper bound on the memory the stored parameters take.
    max_snapshots
        Upper bound on the number of snapshots, whatever their size.
    """

    def __init__(self, template: Network, budget_bytes: int = DEFAULT_BUDGET_BYTES,
                 max_snapshots: int = MAX_SNAPSHOTS) -> None:
        self.template = template.copy()
        size = template.params.size
        by_memory = budget_bytes // (size * 8)
        self.capacity = int(max(MIN_SNAPSHOTS, min(max_snapshots, by_memory)))
        # One preallocated block: the memory bound holds from the first epoch.  Written through
        # now: the pages of an np.empty block become resident one by one as snapshots first fill
        # them, and a store that grows for its first 4096 frames looks, from outside, like a leak.
        self._params = np.full((self.capacity, size), np.nan)
        self._epochs = np.full(self.capacity, -1, dtype=np.int64)
        self._losses = np.full(self.capacity, np.nan)
        self.count = 0
        self.stride = 1

    def __len__(self) -> int:
        return self.count

    @property
    def nbytes(self) -> int:
        return self._params.nbytes + self._epochs.nbytes + self._losses.nbytes

    @property
    def epochs(self) -> np.ndarray:
        """Epochs of the stored snapshots, increasing (a view; copy to keep)."""
        return self._epochs[: self.count]

    @property
    def losses(self) -> np.ndarray:
        """Loss at each stored snapshot if it was given, else NaN (a view)."""
        return self._losses[: self.count]

    def accepts(self, network: Network) -> bool:
        """Whether snapshots of ``network`` fit this history (same architecture)."""
        return self.template.same_architecture(network)

    def record(self, epoch: int, params: np.ndarray, loss: float = float("nan")) -> bool:
        """Offer the weights of ``epoch``; returns whether they were stored.

        An epoch at or before the newest stored one means training went back
        (a reset, or a resume from a past snapshot): the snapshots from that
        epoch on belong to a future that no longer happens and are dropped
        first.
        """
        epoch = int(epoch)
        if self.count and epoch <= self._epochs[self.count - 1]:
            self.truncate(epoch - 1)
        if self.count and epoch // self.stride == self._epochs[self.count - 1] // self.stride:
            return False  # this stride bucket already has its snapshot
        while self.count == self.capacity:
            # Irregular epochs may all sit in distinct buckets: widen until one merges.
            self._thin()
        if self.count and epoch // self.stride == self._epochs[self.count - 1] // self.stride:
            return False
        self._params[self.count] = params
        self._epochs[self.count] = epoch
        self._losses[self.count] = loss
        self.count += 1
        return True

    def _thin(self) -> None:
        """Double the stride, keeping the first snapshot of each wider bucket."""
        self.stride *= 2
        buckets = self.epochs // self.stride
        keep = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
        n = len(keep)
        self._params[:n] = self._params[keep]
        self._epochs[:n] = self._epochs[keep]
        self._losses[:n] = self._losses[keep]
        self.count = n

    def truncate(self, last_epoch: int) -> None:
        """Forget every snapshot after ``last_epoch``."""
        self.count = int(np.searchsorted(self.epochs, last_epoch, side="right"))

    def clear(self) -> None:
        self.count = 0
        self.stride = 1

    def index_at(self, epoch: int) -> int:
        """Index of the newest snapshot at or before ``epoch`` (0 if none is)."""
        return max(0, int(np.searchsorted(self.epochs, epoch, side="right")) - 1)

    def params(self, index: int) -> np.ndarray:
        """A copy of the weights of snapshot ``index``."""
        if not 0 <= index < self.count:
            raise IndexError(f"snapshot {index} of {self.count}")
        return self._params[index].copy()

    def epoch(self, index: int) -> int:
        if not 0 <= index < self.count:
            raise IndexError(f"snapshot {index} of {self.count}")
        return int(self._epochs[index])

    def network(self, index: int) -> Network:
        """The network as it was at snapshot ``index`` (a new object)."""
        net = self.template.copy()
        net.params[:] = self._params[index]
        return net
