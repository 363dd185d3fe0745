"""Records of losses per epoch.

``LossHistory`` keeps every epoch (for runs of a known length, such as compared
runs); ``LossRecord`` keeps a run of any length in bounded memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


class LossHistory:
    """Training (and optionally test) loss per epoch in a buffer that doubles when full.

    ``train`` and ``test`` return views of the filled part; callers that keep
    them past the next ``append`` (a plot, another thread) must copy.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._train = np.empty(capacity)
        self._test = np.full(capacity, np.nan)
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def _reserve(self, extra: int) -> None:
        need = self.size + extra
        if need <= len(self._train):
            return
        capacity = max(need, 2 * len(self._train))
        for name, fill in (("_train", np.empty), ("_test", lambda n: np.full(n, np.nan))):
            old = getattr(self, name)
            new = fill(capacity)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)

    def append(self, train: np.ndarray, test: np.ndarray | None = None) -> None:
        n = len(train)
        self._reserve(n)
        self._train[self.size:self.size + n] = train
        if test is not None:
            self._test[self.size:self.size + n] = test
        self.size += n

    def truncate(self, size: int) -> None:
        self.size = max(0, min(size, self.size))
        self._test[self.size:] = np.nan

    def clear(self) -> None:
        self.truncate(0)

    @property
    def train(self) -> np.ndarray:
        return self._train[: self.size]

    @property
    def test(self) -> np.ndarray:
        return self._test[: self.size]

    @property
    def has_test(self) -> bool:
        return self.size > 0 and not np.all(np.isnan(self.test))


_TRAIN, _TEST = 0, 3  # first row of each curve's (min, max, last) in a bucket's stats


@dataclass(frozen=True)
class LossRows:
    """What a ``LossRecord`` keeps, one row per exact epoch or per bucket of epochs (new arrays).

    A row covers the epochs ``first_epoch`` to ``epoch``; ``loss`` is the loss
    of ``epoch`` (the row's last), ``loss_min`` and ``loss_max`` the lowest and
    highest in the row.  For an exact epoch all three are that epoch's loss.
    Test columns are NaN where there was no test loss.
    """

    first_epoch: np.ndarray
    epoch: np.ndarray
    loss: np.ndarray
    loss_min: np.ndarray
    loss_max: np.ndarray
    test_loss: np.ndarray
    test_loss_min: np.ndarray
    test_loss_max: np.ndarray


class LossRecord:
    """Training and test loss of a run, in memory that stays bounded however long it trains.

    The first ``exact_epochs`` epochs are kept exactly.  Later epochs go into
    buckets of ``bucket_width`` consecutive epochs, each keeping its minimum,
    maximum and last loss (train and test), so a curve drawn from them has the
    exact envelope of the real one.  When ``max_buckets`` are in use,
    neighbouring buckets merge and the width doubles.  With the defaults the
    record never holds more than about 2 MiB.

    Epochs are absolute: ``add`` takes the epoch of its first loss, and a
    record continues a run that started anywhere (a loaded file's epoch).
    """

    def __init__(self, exact_epochs: int = 65_536, max_buckets: int = 16_384) -> None:
        if exact_epochs < 1 or max_buckets < 2 or max_buckets % 2:
            raise ValueError("exact_epochs must be at least 1 and max_buckets an even number of at least 2")
        self.exact_epochs = exact_epochs
        self.max_buckets = max_buckets
        # Written through now, not as training reaches them: the pages of an np.empty array
        # become resident one by one as they are first written, and a record that grows for
        # its first hundred thousand epochs looks, from outside, like memory that never stops.
        self._head = np.full((2, exact_epochs), np.nan)  # train, test of each exact epoch
        # First and last epoch of a bucket; -1: empty.
        self._span = np.full((2, max_buckets), -1, dtype=np.int64)
        self._stats = np.full((6, max_buckets), np.nan)  # train min, max, last; test min, max, last
        self.clear()

    def clear(self, first_epoch: int = 0) -> None:
        """Forget everything; the next losses may start at any epoch."""
        self.first_epoch = first_epoch
        self._end = first_epoch
        self._n_head = 0
        self._n_tail = 0
        self.bucket_width = 1
        self.has_test = False
        self._drawn_head: dict = {}  # what series() last drew of the exact part, by curve

    # -- what it holds ------------------------------------------------------------
    @property
    def end_epoch(self) -> int:
        """One past the last epoch recorded: the epoch whose loss comes next."""
        return self._end

    def __len__(self) -> int:
        """Epochs from the first recorded to the end."""
        return self._end - self.first_epoch

    @property
    def empty(self) -> bool:
        return self._n_head == 0

    @property
    def merged(self) -> bool:
        """Whether some epochs are kept only as buckets (min, max and last of several epochs)."""
        return self._n_tail > 0 and self.bucket_width > 1

    @property
    def nbytes(self) -> int:
        return self._head.nbytes + self._span.nbytes + self._stats.nbytes

    @property
    def _origin(self) -> int:
        """The first epoch that goes into a bucket."""
        return self.first_epoch + self.exact_epochs

    @property
    def last_epoch(self) -> int | None:
        """The last epoch with a loss (the end may lie beyond it after a truncation)."""
        if self._n_tail:
            return int(self._span[1, self._n_tail - 1])
        return self.first_epoch + self._n_head - 1 if self._n_head else None

    @property
    def last_loss(self) -> float:
        """The training loss of ``last_epoch``; NaN when empty."""
        if self._n_tail:
            return float(self._stats[_TRAIN + 2, self._n_tail - 1])
        return float(self._head[0, self._n_head - 1]) if self._n_head else float("nan")

    def _exact(self, row: int) -> np.ndarray:
        if self.merged or len(self) != self._n_head + self._n_tail:
            raise ValueError("the record no longer holds every epoch; read rows() instead")
        return np.r_[self._head[row, :self._n_head], self._stats[3 * row + 2, :self._n_tail]]

    @property
    def train(self) -> np.ndarray:
        """Every epoch's training loss (a new array), while the record still holds every epoch."""
        return self._exact(0)

    @property
    def test(self) -> np.ndarray:
        """Every epoch's test loss (NaN where there was none), while the record holds every epoch."""
        return self._exact(1)

    # -- changing it --------------------------------------------------------------
    def add(self, first_epoch: int, train: np.ndarray, test: np.ndarray | None = None) -> None:
        """Record the losses of epochs ``first_epoch``, ``first_epoch + 1``, ... .

        They must continue the record (start at ``end_epoch``) unless it is empty.
        """
        train = np.asarray(train, dtype=np.float64).ravel()
        n = len(train)
        test = np.full(n, np.nan) if test is None else np.asarray(test, dtype=np.float64).ravel()
        if len(test) != n:
            raise ValueError(f"{n} training losses but {len(test)} test losses")
        if n == 0:
            return
        if self.empty:
            self.clear(first_epoch)
        elif first_epoch != self._end:
            raise ValueError(f"losses from epoch {first_epoch} cannot follow epoch {self._end - 1}")
        self.has_test = self.has_test or not np.all(np.isnan(test))
        take = min(self.exact_epochs - self._n_head, n)
        if take:
            self._head[0, self._n_head:self._n_head + take] = train[:take]
            self._head[1, self._n_head:self._n_head + take] = test[:take]
            self._n_head += take
        if take < n:
            self._add_to_buckets(first_epoch + take, train[take:], test[take:])
        self._end = first_epoch + n

    def _clear_buckets(self, start: int, stop: int) -> None:
        self._span[:, start:stop] = -1
        self._stats[:, start:stop] = np.nan

    def _add_to_buckets(self, e0: int, train: np.ndarray, test: np.ndarray) -> None:
        m = len(train)
        while (e0 + m - 1 - self._origin) // self.bucket_width >= self.max_buckets:
            self._merge()
        index = (np.arange(e0, e0 + m) - self._origin) // self.bucket_width
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        ends = np.r_[starts[1:], m] - 1
        k = index[starts]
        if k[-1] >= self._n_tail:
            self._clear_buckets(self._n_tail, k[-1] + 1)
            self._n_tail = int(k[-1]) + 1
        # The first bucket may hold epochs already: fold them in.
        held = self._span[0, k[0]] >= 0
        for row, values in ((_TRAIN, train), (_TEST, test)):
            lo, hi = np.fmin.reduceat(values, starts), np.fmax.reduceat(values, starts)
            lo[0] = np.fmin(lo[0], self._stats[row, k[0]])
            hi[0] = np.fmax(hi[0], self._stats[row + 1, k[0]])
            self._stats[row, k], self._stats[row + 1, k], self._stats[row + 2, k] = lo, hi, values[ends]
        first = e0 + starts
        if held:
            first[0] = self._span[0, k[0]]
        self._span[0, k], self._span[1, k] = first, e0 + ends

    def _merge(self) -> None:
        """Merge neighbouring buckets in pairs; the width doubles and the boundaries stay aligned."""
        n = self._n_tail + self._n_tail % 2
        if n > self._n_tail:
            self._clear_buckets(self._n_tail, n)
        left, right = slice(0, n, 2), slice(1, n, 2)
        in_right = self._span[0, right] >= 0
        in_left = self._span[0, left] >= 0
        first = np.where(in_left, self._span[0, left], self._span[0, right])
        last = np.where(in_right, self._span[1, right], self._span[1, left])
        stats = []
        for row in (_TRAIN, _TEST):
            stats += [np.fmin(self._stats[row, left], self._stats[row, right]),
                      np.fmax(self._stats[row + 1, left], self._stats[row + 1, right]),
                      np.where(in_right, self._stats[row + 2, right], self._stats[row + 2, left])]
        half = n // 2
        self._span[0, :half], self._span[1, :half] = first, last
        self._stats[:, :half] = stats
        self._n_tail = half
        self.bucket_width *= 2

    def truncate(self, last_epoch: int) -> None:
        """Drop every loss after ``last_epoch`` (going back to a past epoch); ``end_epoch`` becomes
        ``last_epoch + 1``.

        A bucket that also holds later epochs is dropped whole: its minimum,
        maximum and last value cannot be split.
        """
        if self.empty or last_epoch >= self._end - 1:
            return
        if last_epoch < self.first_epoch:
            self.clear(last_epoch + 1)
            return
        keep = last_epoch + 1 - self.first_epoch
        if keep <= self.exact_epochs:
            self._n_head = min(self._n_head, keep)
            self._drawn_head.clear()
            self._n_tail = 0
            self.bucket_width = 1
        else:
            k = (last_epoch - self._origin) // self.bucket_width
            n = min(k + 1, self._n_tail)
            if n == k + 1 and self._span[1, k] > last_epoch:
                self._clear_buckets(k, k + 1)
                n = k
            while n and self._span[0, n - 1] < 0:
                n -= 1
            self._n_tail = n
        self._end = last_epoch + 1

    # -- reading it -----------------------------------------------------------------
    def rows(self) -> LossRows:
        """Every exact epoch, then every bucket in use."""
        head = np.arange(self.first_epoch, self.first_epoch + self._n_head, dtype=np.int64)
        used = np.flatnonzero(self._span[0, :self._n_tail] >= 0)
        tr, te = self._head[0, :self._n_head], self._head[1, :self._n_head]
        s = self._stats[:, used]
        return LossRows(np.r_[head, self._span[0, used]], np.r_[head, self._span[1, used]],
                        np.r_[tr, s[_TRAIN + 2]], np.r_[tr, s[_TRAIN]], np.r_[tr, s[_TRAIN + 1]],
                        np.r_[te, s[_TEST + 2]], np.r_[te, s[_TEST]], np.r_[te, s[_TEST + 1]])

    def series(self, which: str, start: float, stop: float,
               max_points: int = 4000) -> tuple[np.ndarray, np.ndarray]:
        """(epochs, losses) to draw the ``"train"`` or ``"test"`` curve from ``start`` to ``stop``.

        At most about ``max_points`` points whatever the range: where several
        epochs share a pixel column, their minimum and maximum are drawn at the
        first of them, so no spike is lost.  The line ends at the last epoch's
        own loss.  New arrays; NaN where there is no loss (a gap in the line).
        """
        row = {"train": 0, "test": 1}[which]
        if self.empty or stop < start:
            return np.empty(0), np.empty(0)
        # Epochs per point, a power of two: it changes only when the range
        # doubles, so the exact part's summary can be reused frame after frame.
        per_point = 1 << max(0, math.ceil(math.log2(max(1.0, (stop - start) / max(1, max_points // 2)))))
        xs, ys = [], []
        i0 = int(min(max(math.floor(start) - self.first_epoch, 0), self._n_head))
        i1 = int(min(max(math.ceil(stop) - self.first_epoch + 1, 0), self._n_head))
        if i1 > i0:
            key = (i0, i1, per_point)
            drawn = self._drawn_head.get(row)
            if drawn is None or drawn[0] != key:
                drawn = (key, self._head_series(row, i0, i1, per_point))
                self._drawn_head[row] = drawn
            xs.append(drawn[1][0])
            ys.append(drawn[1][1])
        if self._n_tail:
            w = self.bucket_width
            k0 = int(min(max((math.floor(start) - self._origin) // w, 0), self._n_tail))
            k1 = int(min(max((math.ceil(stop) - self._origin) // w + 1, 0), self._n_tail))
            used = k0 + np.flatnonzero(self._span[0, k0:k1] >= 0)
            if len(used):
                factor = max(1, math.ceil(per_point / w))
                if len(used) == k1 - k0:  # no empty bucket: slices, not copies
                    used = slice(k0, k1)
                lo, hi = _group(self._stats[3 * row, used], self._stats[3 * row + 1, used], factor)
                firsts = self._span[0, used]
                xs.append(np.repeat(firsts[::factor].astype(np.float64), 2))
                ys.append(np.column_stack([lo, hi]).ravel())
        last = self.last_epoch
        if start <= last <= stop + 1:
            xs.append(np.array([float(last)]))
            ys.append(np.array([self._stats[3 * row + 2, self._n_tail - 1] if self._n_tail
                                else self._head[row, self._n_head - 1]]))
        if not xs:
            return np.empty(0), np.empty(0)
        return np.concatenate(xs), np.concatenate(ys)

    def _head_series(self, row: int, i0: int, i1: int, per_point: int) -> tuple[np.ndarray, np.ndarray]:
        values = self._head[row, i0:i1]
        if per_point == 1:
            return np.arange(self.first_epoch + i0, self.first_epoch + i1, dtype=np.float64), values.copy()
        lo, hi = _group(values, values, per_point)
        x = self.first_epoch + i0 + np.arange(len(lo), dtype=np.float64) * per_point
        return np.repeat(x, 2), np.column_stack([lo, hi]).ravel()

    def to_csv(self) -> str:
        """The record as CSV text.

        While every epoch is kept: ``epoch,loss`` (and ``test_loss``), one row
        per epoch.  Once buckets are merged, a first line starting with ``#``
        says so, and each row also gives the epochs it covers and its lowest
        and highest loss.
        """
        r = self.rows()
        test = self.has_test
        if not self.merged:
            columns = [r.epoch, r.loss] + ([r.test_loss] if test else [])
            header = "epoch,loss,test_loss" if test else "epoch,loss"
            lines = [header]
        else:
            columns = [r.first_epoch, r.epoch, r.loss, r.loss_min, r.loss_max]
            columns += [r.test_loss, r.test_loss_min, r.test_loss_max] if test else []
            exact_end = self.first_epoch + self._n_head - 1
            lines = [f"# Epochs {self.first_epoch} to {exact_end}: one row each. Later epochs are merged "
                     f"into rows of up to {self.bucket_width} epochs, from first_epoch to epoch: loss is "
                     "the loss of its last epoch, min and max the lowest and highest in the row.",
                     "first_epoch,epoch,loss,loss_min,loss_max"
                     + (",test_loss,test_loss_min,test_loss_max" if test else "")]
        as_lists = [c.tolist() for c in columns]
        lines += [",".join(map(repr, values)) for values in zip(*as_lists)]
        return "\n".join(lines) + "\n"


def _group(lo: np.ndarray, hi: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max over groups of ``factor`` consecutive entries (the last group may be shorter)."""
    if factor <= 1:
        return lo.copy(), hi.copy()
    # reduceat walks each group once; reducing a (n, factor) reshape along its
    # short axis was ten times slower.
    starts = np.arange(0, len(lo), factor)
    return np.fmin.reduceat(lo, starts), np.fmax.reduceat(hi, starts)
