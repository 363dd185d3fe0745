"""Background jobs: long work off the GUI thread, reported back to it safely.

Every job that takes longer than a frame goes through here: the animation
export, the comparison runs' training, the inspector's gradient check.  A job
runs a Qt-free function ``function(job)`` in a worker thread.  The function may
call ``job.progress(done, total)`` and ``job.partial_result(value)``, and must
return soon after ``job.cancelled`` becomes true.

Why it is built this way (the pattern of Orange3's ``concurrent.py``):

- The ``Job`` is a small QObject that belongs to the GUI thread and outlives
  its thread: the registry keeps it until the thread has ended.  The worker
  only ever emits a private signal on it; the job re-emits the public signals
  on the GUI thread.  So progress, results and failures reach the GUI thread
  only, and only objects that still exist (Qt disconnects a receiver when it
  is deleted).  A dialog may be closed or deleted at any moment.
- The function never holds a reference to a widget.
- Progress is a one-slot mailbox, throttled to ``PROGRESS_HZ``: a fast job
  cannot flood the event queue, and the newest value always gets through.
- ``cancel`` only sets a flag and returns; the GUI thread never waits for a
  thread.  ``finished`` says when the thread has really ended.
- ``registry()`` knows every running job, so quitting can ask what is
  running, cancel it all, and hear when the last one has ended.  Only after
  the event loop has ended may ``wait_all`` block.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

PROGRESS_HZ = 30.0
# How often the GUI thread looks again at a thread that has posted its end
# but is still unwinding (a few microseconds of work): never by joining it.
_END_POLL_MS = 1


class Job(QObject):
    """One function running in its own thread; its signals arrive on the GUI thread.

    Parameters
    ----------
    function
        Called as ``function(job)`` in the worker thread; its return value is
        the result.  It must not touch widgets.
    description
        What the job does, for people: "Exporting animation".
    unit
        What ``progress`` counts ("frame" gives "frame 12 of 40").
    ask_before_quit
        The job makes something the user asked for (a file): the window asks
        before cancelling it on quit.  Other jobs are simply cancelled.

    Signals
    -------
    sigProgress(done, total)
        At most ``PROGRESS_HZ`` times a second, and the last value reported.
    sigPartialResult(object)
        Each value given to ``partial_result``, in order.
    sigDone(object)
        The function returned this (also after a cancel, if it returned).
    sigFailed(str)
        The function raised; a one-line message.
    finished()
        The thread has ended; always the last signal, exactly once.  Named
        as ``QThread.finished``, which code that ran its own thread connects to.
    """

    sigProgress = Signal(int, int)
    sigPartialResult = Signal(object)
    sigDone = Signal(object)
    sigFailed = Signal(str)
    finished = Signal()
    _sigPosted = Signal()  # emitted by the worker thread only

    def __init__(self, function: Callable[[Job], object], description: str, unit: str = "step",
                 ask_before_quit: bool = False) -> None:
        super().__init__()  # no parent: a widget's deletion must never take the job with it
        self._function = function
        self.description = description
        self.unit = unit
        self.ask_before_quit = ask_before_quit
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._progress: tuple[int, int] | None = None
        self._progress_shown: tuple[int, int] | None = None
        self._partials: list = []
        self._posted = False
        self._last_post = 0.0
        self._outcome: tuple[str, object] | None = None
        self._thread: threading.Thread | None = None
        self._ended = False
        self._sigPosted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # -- the GUI thread's side ----------------------------------------------------
    def start(self) -> Job:
        """Start the thread; the registry keeps the job until it has ended."""
        if self._thread is not None:
            raise RuntimeError("a job runs once")
        registry()._add(self)
        self._thread = threading.Thread(target=self._run, name=f"nnviz: {self.description}")
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the function to stop; returns at once (``finished`` follows)."""
        self._cancel.set()

    @property
    def running(self) -> bool:
        """Started and not yet reported as ended (``finished`` not yet emitted)."""
        return self._thread is not None and not self._ended

    def describe(self) -> str:
        """For people: "Exporting animation (frame 12 of 40)"."""
        with self._lock:
            progress = self._progress
        if progress is None:
            return self.description
        done, total = progress
        return f"{self.description} ({self.unit} {done:,} of {total:,})"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the thread has ended; True if it has.  Never on a running event loop."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the worker thread's side ----------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def progress(self, done: int, total: int) -> None:
        """Report progress (throttled; the last value always arrives)."""
        now = time.monotonic()
        with self._lock:
            self._progress = (int(done), int(total))
            if self._posted or (now - self._last_post < 1.0 / PROGRESS_HZ and done < total):
                return
            self._posted, self._last_post = True, now
        self._sigPosted.emit()

    def partial_result(self, value: object) -> None:
        """Hand ``value`` (a new object, never touched again by the worker) to the GUI thread."""
        with self._lock:
            self._partials.append(value)
            if self._posted:
                return
            self._posted = True
        self._sigPosted.emit()

    def _run(self) -> None:
        try:
            outcome = ("done", self._function(self))
        except Exception as exc:  # noqa: BLE001 (reported to the user, never lost in a thread)
            traceback.print_exc()
            outcome = ("failed", f"{type(exc).__name__}: {exc}")
        with self._lock:
            self._outcome = outcome
        self._sigPosted.emit()

    # -- delivery, on the GUI thread ------------------------------------------
    def _deliver(self) -> None:
        with self._lock:
            progress, partials, outcome = self._progress, self._partials, self._outcome
            self._partials, self._posted = [], False
        if self._ended:
            return
        if progress is not None and progress != self._progress_shown:
            self._progress_shown = progress
            self.sigProgress.emit(*progress)
        for value in partials:
            self.sigPartialResult.emit(value)
        if outcome is not None:
            self._end(outcome)

    def _end(self, outcome: tuple[str, object]) -> None:
        if self._thread.is_alive():
            # The function has returned; the thread is only unwinding.
            QTimer.singleShot(_END_POLL_MS, self, lambda: self._end(outcome))
            return
        if self._ended:
            return
        self._ended = True
        kind, value = outcome
        if kind == "done":
            self.sigDone.emit(value)
        else:
            self.sigFailed.emit(value)
        self.finished.emit()
        registry()._remove(self)


class JobRegistry(QObject):
    """Every running job of the process, for the window's quit.

    Signals
    -------
    sigAllEnded()
        The last running job has ended (emitted on the GUI thread).
    """

    sigAllEnded = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._jobs: list[Job] = []

    def running(self, ask_before_quit_only: bool = False) -> list[Job]:
        """The jobs started and not yet ended, oldest first (only those that ask, if so told)."""
        return [job for job in self._jobs if job.ask_before_quit or not ask_before_quit_only]

    def descriptions(self, ask_before_quit_only: bool = False) -> list[str]:
        """What is running, in words: ["Exporting animation (frame 12 of 40)", …]."""
        return [job.describe() for job in self.running(ask_before_quit_only)]

    def cancel_all(self) -> None:
        """Cancel every running job; returns at once (``sigAllEnded`` follows)."""
        for job in self._jobs:
            job.cancel()

    def wait_all(self, timeout: float | None) -> bool:
        """Block until every job's thread has ended, at most ``timeout`` seconds (None: no limit).

        True if all have.  Only for after the event loop has ended (the
        application's last lines): on a running loop it would freeze the window.
        """
        if timeout is None:
            return all(job.wait() for job in list(self._jobs))
        deadline = time.monotonic() + timeout
        return all(job.wait(max(0.0, deadline - time.monotonic())) for job in list(self._jobs))

    def _add(self, job: Job) -> None:
        self._jobs.append(job)

    def _remove(self, job: Job) -> None:
        if job in self._jobs:
            self._jobs.remove(job)
            if not self._jobs:
                self.sigAllEnded.emit()


_registry: JobRegistry | None = None


def registry() -> JobRegistry:
    """The process's registry of running jobs (made on first use, on the GUI thread)."""
    global _registry
    if _registry is None:
        _registry = JobRegistry()
    return _registry


def start(function: Callable[[Job], object], description: str, unit: str = "step",
          ask_before_quit: bool = False) -> Job:
    """Make a job and start it; connect to its signals right away (they are queued)."""
    return Job(function, description, unit, ask_before_quit).start()
