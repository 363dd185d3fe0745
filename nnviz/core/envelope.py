"""A loss curve that stays cheap to draw after millions of epochs.

Drawing every epoch of a long run would cost the window more per frame than
the frame lasts.  ``PeakEnvelope`` keeps, as losses arrive, the minimum and
maximum of consecutive bins of epochs; when it holds ``max_bins`` bins it
merges neighbours and doubles the bin width, so memory and drawing cost stay
fixed while every spike survives (peak downsampling, as pyqtgraph's
``downsampleMethod='peak'`` does, but maintained incrementally instead of
recomputed over the whole history every frame).

``visible_series`` picks what to draw for a range of epochs: the raw losses
when few enough are in view, otherwise min/max pairs from the envelope (or
from the raw losses when the envelope is too coarse for a zoomed-in view).
NaN (no test loss for those epochs) is ignored by ``fmin``/``fmax``.
"""

from __future__ import annotations

import math

import numpy as np


class PeakEnvelope:
    def __init__(self, max_bins: int = 4096) -> None:
        if max_bins < 2 or max_bins % 2:
            raise ValueError("max_bins must be an even number of at least 2")
        self.max_bins = max_bins
        self.width = 1  # epochs per bin
        self.size = 0  # epochs seen
        self._lo = np.empty(max_bins)
        self._hi = np.empty(max_bins)
        self._bins = 0  # complete bins
        self._part = (math.nan, math.nan, 0)  # (lo, hi, count) of the bin being filled

    def __len__(self) -> int:
        return self.size

    def _push(self, lo: np.ndarray, hi: np.ndarray) -> None:
        k = len(lo)
        self._lo[self._bins:self._bins + k] = lo
        self._hi[self._bins:self._bins + k] = hi
        self._bins += k
        if self._bins == self.max_bins:
            # Full: merge pairs.  The complete bins then end on a boundary of
            # the doubled width, so the (empty) partial bin stays aligned.
            half = self.max_bins // 2
            self._lo[:half] = np.fmin(self._lo[0::2], self._lo[1::2])
            self._hi[:half] = np.fmax(self._hi[0::2], self._hi[1::2])
            self._bins = half
            self.width *= 2

    def append(self, values: np.ndarray) -> None:
        v = np.asarray(values, dtype=np.float64).ravel()
        i, n = 0, len(v)
        while i < n:
            lo, hi, count = self._part
            if count or n - i < self.width:
                take = min(self.width - count, n - i)
                chunk = v[i:i + take]
                lo = np.fmin(lo, np.fmin.reduce(chunk))
                hi = np.fmax(hi, np.fmax.reduce(chunk))
                count += take
                i += take
                if count == self.width:
                    self._part = (math.nan, math.nan, 0)
                    self._push(np.array([lo]), np.array([hi]))
                else:
                    self._part = (lo, hi, count)
                continue
            k = min((n - i) // self.width, self.max_bins - self._bins)
            block = v[i:i + k * self.width].reshape(k, self.width)
            i += k * self.width
            self._push(np.fmin.reduce(block, axis=1), np.fmax.reduce(block, axis=1))
        self.size += n

    def bins(self) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) of every bin, the partly filled last one included (copies)."""
        lo, hi, count = self._part
        if count:
            return np.r_[self._lo[:self._bins], lo], np.r_[self._hi[:self._bins], hi]
        return self._lo[:self._bins].copy(), self._hi[:self._bins].copy()


def _group(lo: np.ndarray, hi: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Min/max over groups of ``factor`` consecutive entries (the last group may be shorter)."""
    if factor <= 1:
        return lo, hi
    pad = (-len(lo)) % factor
    if pad:
        lo = np.r_[lo, np.full(pad, np.nan)]
        hi = np.r_[hi, np.full(pad, np.nan)]
    return (np.fmin.reduce(lo.reshape(-1, factor), axis=1),
            np.fmax.reduce(hi.reshape(-1, factor), axis=1))


def _interleave(starts: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.repeat(starts.astype(np.float64), 2), np.column_stack([lo, hi]).ravel()


def visible_series(raw: np.ndarray, envelope: PeakEnvelope, start: float, stop: float,
                   max_points: int = 4000, raw_limit: int = 2_000_000) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, losses) to draw for the epochs from ``start`` to ``stop``; new arrays.

    ``raw`` is the full per-epoch history that ``envelope`` was fed.  At most
    about ``max_points`` points come back whatever the range.
    """
    n = min(len(raw), envelope.size)
    i0 = int(min(max(math.floor(start), 0), n))
    i1 = int(min(max(math.ceil(stop) + 1, 0), n))
    count = i1 - i0
    if count <= max_points:
        return np.arange(i0, i1, dtype=np.float64), np.array(raw[i0:i1], dtype=np.float64)
    per_bin = math.ceil(count / (max_points // 2))
    width = envelope.width
    if width > per_bin and count <= raw_limit:
        # Zoomed in beyond the envelope's resolution: reduce the raw slice.
        lo, hi = _group(raw[i0:i1], raw[i0:i1], per_bin)
        x, y = _interleave(i0 + np.arange(len(lo)) * per_bin, lo, hi)
    else:
        factor = max(1, per_bin // width)
        b0, b1 = i0 // width, -(-i1 // width)
        lo, hi = envelope.bins()
        lo, hi = _group(lo[b0:b1], hi[b0:b1], factor)
        x, y = _interleave((b0 + np.arange(len(lo)) * factor) * width, lo, hi)
    # Bins are drawn at their first epoch; end the line at the last epoch's own value.
    return np.r_[x, i1 - 1], np.r_[y, raw[i1 - 1]]
