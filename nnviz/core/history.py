"""A growing record of losses that stays cheap over millions of epochs."""

from __future__ import annotations

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
