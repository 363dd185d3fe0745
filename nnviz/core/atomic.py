"""Atomic file writes: a crash mid-save never leaves a half-written file behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable


def atomic_write(path: str | os.PathLike, data: bytes | Callable[[object], None]) -> None:
    """Write ``data`` (bytes, or a function that writes to a binary file) to ``path``.

    The bytes go to a temporary file in the same directory, are flushed to
    disk, and then replace the target in one ``os.replace``; the old file is
    intact until that moment.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        # mkstemp creates the file readable by its owner only; give it the mode
        # the file it replaces had, or what a plain open() would have given.
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
