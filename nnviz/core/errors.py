"""The error types the core raises; each message is meant to be shown to a person as is."""

from __future__ import annotations

import math


class NnvizError(Exception):
    """Base of every error the core raises on purpose."""


class ConfigError(NnvizError, ValueError):
    """A setting is out of range or unknown (``--lr -1``, ``--layers 0``...)."""


class DataError(NnvizError, ValueError):
    """A data set or CSV file cannot be used."""


class WeightsFileError(NnvizError, ValueError):
    """A weights file cannot be loaded; nothing was changed."""


class TrainingDiverged(NnvizError, ArithmeticError):
    """The loss became NaN or infinite; training stopped before using it."""

    def __init__(self, epoch: int, value: float) -> None:
        what = "NaN" if math.isnan(value) else "infinite"
        super().__init__(f"loss became {what} at epoch {epoch}; lower the learning rate")
        self.epoch = epoch
        self.value = value


class FileWriteError(NnvizError, OSError):
    """A file cannot be written; whatever was at the path before is left as it was."""


class Interrupted(Exception):
    """Work was asked to end in the middle (a window quitting, a cancel); its partial state is not to be used."""
