"""Atomic file writes: a crash mid-save never leaves a half-written file behind.

The bytes go to a temporary file beside the target, are flushed to disk, and
then replace the target in one ``os.replace``; the old file is intact until
that moment.  ``os.replace`` swaps whatever sits at the path, so the target is
checked first: a symbolic link is followed (the link stays and the file it
points to is replaced), and anything that is not a regular file (a folder, a
device such as ``/dev/full``, a FIFO, a socket) is refused rather than
replaced.  Every failure raises ``FileWriteError`` with a one-line message.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from typing import BinaryIO

from nnviz.core.errors import FileWriteError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def writable_target(path: str | os.PathLike) -> str:
    """The regular file that writing ``path`` would replace, links followed.

    Raises ``FileWriteError`` when the path names something other than a
    regular file, or its folder does not exist.
    """
    name = os.fspath(path)
    target = os.path.realpath(name)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise FileWriteError(f"cannot write {name}: {exc.strerror or exc}") from None
    if mode is not None and not stat.S_ISREG(mode):
        kind = next((text for test, text in _KINDS if test(mode)), "not a regular file")
        raise FileWriteError(f"cannot write {name}: it is {kind}, not a regular file")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileWriteError(f"cannot write {name}: folder {folder} does not exist")
    return target


class AtomicFile:
    """A temporary file beside ``path``: ``commit`` puts it in place of ``path``, ``discard`` drops it.

    For writes that span a long job (a log streamed while training): the
    target is checked and the temporary file made at the start, so a bad path
    is refused before any work.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.name = os.fspath(path)
        self._target = writable_target(self.name)
        try:
            fd, self._tmp = tempfile.mkstemp(prefix="." + os.path.basename(self._target) + ".", suffix=".tmp",
                                             dir=os.path.dirname(self._target))
        except OSError as exc:
            raise _write_error(self.name, exc) from None
        # mkstemp creates the file readable by its owner only; give it the mode
        # the file it replaces had, or what a plain open() would have given.
        try:
            os.chmod(self._tmp, _mode_for(self._target))
        except OSError as exc:
            os.close(fd)
            self.discard()
            raise _write_error(self.name, exc) from None
        self.file: BinaryIO = os.fdopen(fd, "wb")

    def commit(self) -> None:
        """Flush to disk and replace the target; on an error the target is left as it was."""
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self._tmp, self._target)
        except OSError as exc:
            self.discard()
            raise _write_error(self.name, exc) from None

    def discard(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self._tmp)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write; on leaving the block without an error it replaces ``path``.

    On an error (raised by the block or by the disk) the temporary file is
    removed and ``path`` is left as it was.
    """
    out = AtomicFile(path)
    try:
        yield out.file
    except BaseException as exc:
        out.discard()
        if isinstance(exc, OSError) and not isinstance(exc, FileWriteError):
            raise _write_error(out.name, exc) from None
        raise
    out.commit()


def atomic_write(path: str | os.PathLike, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write ``data`` (bytes, or a function that writes to a binary file) to ``path`` atomically."""
    with atomic_file(path) as f:
        if callable(data):
            data(f)
        else:
            f.write(data)


def _write_error(name: str, exc: OSError) -> FileWriteError:
    return FileWriteError(f"cannot write {name}: {exc.strerror or exc}")


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
