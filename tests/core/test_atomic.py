"""Atomic writes replace regular files only, follow links, and never destroy the old file on an error."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from nnviz.core import atomic
from nnviz.core.atomic import atomic_file, atomic_write
from nnviz.core.errors import FileWriteError


def test_write_replaces_a_regular_file_and_keeps_its_mode(tmp_path):
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")
    path.chmod(0o640)
    atomic_write(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["out.csv"]  # no temporary file left behind


def test_a_symlink_is_followed_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "w.csv"
    target.write_bytes(b"old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    atomic_write(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path / "real")) == ["w.csv"]


def test_a_dangling_symlink_creates_the_file_it_names(tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "made.csv")
    atomic_write(link, b"data")
    assert link.is_symlink() and (tmp_path / "made.csv").read_bytes() == b"data"


def test_a_fifo_is_refused_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileWriteError, match=r"pipe: it is a FIFO \(named pipe\), not a regular file"):
        atomic_write(fifo, b"x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


def test_a_symlink_to_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to(fifo)
    with pytest.raises(FileWriteError, match="it is a FIFO"):
        atomic_write(tmp_path / "link", b"x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_folder_is_refused(tmp_path):
    folder = tmp_path / "saved.npz"
    folder.mkdir()
    with pytest.raises(FileWriteError, match="saved.npz: it is a folder, not a regular file"):
        atomic_write(folder, b"x")
    assert folder.is_dir() and os.listdir(folder) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_device_is_refused_and_not_replaced():
    before = os.lstat("/dev/full")
    with pytest.raises(FileWriteError, match="/dev/full: it is a device, not a regular file"):
        atomic_write("/dev/full", b"x")
    after = os.lstat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_a_missing_folder_is_reported(tmp_path):
    with pytest.raises(FileWriteError, match="folder .*nowhere does not exist"):
        atomic_write(tmp_path / "nowhere" / "w.npz", b"x")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_a_folder_that_takes_no_files_is_reported():
    with pytest.raises(FileWriteError, match=r"^cannot write /proc/x\.npz: "):
        atomic_write("/proc/x.npz", b"x")


def test_a_disk_error_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    path.write_bytes(b"old")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    with pytest.raises(FileWriteError) as info:
        atomic_write(path, b"new" * 1000)
    assert str(info.value) == f"cannot write {path}: No space left on device"
    assert "\n" not in str(info.value)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["w.npz"]


def test_an_error_inside_the_block_keeps_the_old_file(tmp_path):
    path = tmp_path / "log.csv"
    path.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_file(path) as f:
            f.write(b"half")
            raise KeyboardInterrupt
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["log.csv"]


def test_write_errors_are_os_errors_for_callers_that_catch_those(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    with pytest.raises(OSError):
        atomic_write(folder, b"x")
