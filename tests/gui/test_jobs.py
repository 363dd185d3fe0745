from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtWidgets import QLabel

from nnviz.gui import jobs


@pytest.fixture(autouse=True)
def _no_job_left(qtbot):
    yield
    jobs.registry().cancel_all()
    qtbot.waitUntil(lambda: not jobs.registry().running(), timeout=5000)


def record(job: jobs.Job) -> list[tuple]:
    seen: list[tuple] = []
    job.sigProgress.connect(lambda done, total: seen.append(("progress", done, total)))
    job.sigPartialResult.connect(lambda value: seen.append(("partial", value)))
    job.sigDone.connect(lambda value: seen.append(("done", value)))
    job.sigFailed.connect(lambda message: seen.append(("failed", message)))
    job.finished.connect(lambda: seen.append(("finished",)))
    return seen


def test_result_progress_and_partial_results_arrive_in_order_on_the_gui_thread(qtbot):
    gui_thread = threading.current_thread()
    threads_seen = set()

    def count(job):
        for i in range(1, 20_001):
            job.progress(i, 20_000)
            if i % 5000 == 0:
                job.partial_result(i)
        return "counted"

    started = time.monotonic()
    job = jobs.start(count, "Counting", unit="item")
    seen = record(job)
    job.sigProgress.connect(lambda *_: threads_seen.add(threading.current_thread()))
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    elapsed = time.monotonic() - started
    assert threads_seen == {gui_thread}
    progress = [s for s in seen if s[0] == "progress"]
    # Throttled: 20,000 reports become one per tick of a 30 Hz clock, plus the
    # first, the last, and one riding along with each of the 4 partial results.
    assert 1 <= len(progress) <= elapsed * jobs.PROGRESS_HZ + 2 + 4
    assert progress[-1] == ("progress", 20_000, 20_000)
    assert [s[1] for s in seen if s[0] == "partial"] == [5000, 10_000, 15_000, 20_000]
    assert seen[-2:] == [("done", "counted"), ("finished",)]
    assert job not in jobs.registry().running() and not job.running


def test_cancel_returns_at_once_and_finished_follows(qtbot):
    def spin(job):
        while not job.cancelled:
            time.sleep(0.005)
        return "stopped early"

    job = jobs.start(spin, "Spinning")
    seen = record(job)
    qtbot.wait(50)
    assert job.running and job in jobs.registry().running()
    started = time.perf_counter()
    with qtbot.waitSignal(jobs.registry().sigAllEnded, timeout=2000):
        job.cancel()
        assert time.perf_counter() - started < 0.01  # a flag, not a join
    assert seen == [("done", "stopped early"), ("finished",)]
    assert not jobs.registry().running()


def test_a_failure_is_one_line_and_the_job_still_finishes(qtbot, capsys):
    def fail(job):
        raise ValueError("the disk said no")

    job = jobs.start(fail, "Failing")
    seen = record(job)
    with qtbot.waitSignal(job.finished, timeout=2000):
        pass
    assert seen == [("failed", "ValueError: the disk said no"), ("finished",)]
    assert "Traceback" in capsys.readouterr().err  # the details go to stderr, not to the user


def test_describe_counts_in_the_jobs_unit(qtbot):
    go_on = threading.Event()

    def halfway(job):
        job.progress(12, 40)
        go_on.wait(5)

    job = jobs.start(halfway, "Exporting animation", unit="frame", ask_before_quit=True)
    qtbot.waitUntil(lambda: "12" in job.describe(), timeout=2000)
    assert job.describe() == "Exporting animation (frame 12 of 40)"
    assert jobs.registry().descriptions(ask_before_quit_only=True) == ["Exporting animation (frame 12 of 40)"]
    other = jobs.start(lambda j: go_on.wait(5), "Training compared runs")
    assert jobs.registry().descriptions() == ["Exporting animation (frame 12 of 40)",
                                              "Training compared runs"]
    assert jobs.registry().descriptions(ask_before_quit_only=True) == ["Exporting animation (frame 12 of 40)"]
    assert jobs.registry().running(ask_before_quit_only=True) == [job]
    assert jobs.registry().running() == [job, other]
    go_on.set()
    qtbot.waitUntil(lambda: not job.running and not other.running, timeout=2000)


def test_a_receiver_deleted_while_the_job_reports_is_never_called(qtbot):
    go_on = threading.Event()

    def report(job):
        for i in range(200):
            job.progress(i + 1, 200)
            time.sleep(0.002)
            if i == 20:
                go_on.wait(5)
        return i + 1

    label = QLabel()
    job = jobs.start(report, "Reporting")
    # A bound method of the widget: Qt disconnects it when the widget is deleted.
    job.sigProgress.connect(label.setNum)
    qtbot.waitUntil(lambda: label.text() != "", timeout=2000)
    label.deleteLater()
    qtbot.waitUntil(lambda: not _alive(label), timeout=2000)
    results = []
    job.sigDone.connect(results.append)
    go_on.set()
    qtbot.waitUntil(lambda: not job.running, timeout=5000)
    assert results == [200]


def _alive(widget) -> bool:
    try:
        widget.objectName()
    except RuntimeError:
        return False
    return True


def test_wait_all_blocks_until_every_thread_has_ended(qtbot):
    def slow_to_notice(job):
        while not job.cancelled:
            time.sleep(0.01)
        time.sleep(0.2)

    first, second = jobs.start(slow_to_notice, "one"), jobs.start(slow_to_notice, "two")
    assert not jobs.registry().wait_all(0.05)
    jobs.registry().cancel_all()
    started = time.monotonic()
    assert jobs.registry().wait_all(2.0)
    assert 0.15 < time.monotonic() - started < 1.0
    assert jobs.registry().wait_all(None)
    assert first.wait(0) and second.wait(0)
    qtbot.waitUntil(lambda: not jobs.registry().running(), timeout=2000)


def test_a_job_runs_once(qtbot):
    job = jobs.start(lambda j: None, "once")
    with pytest.raises(RuntimeError):
        job.start()
    qtbot.waitUntil(lambda: not job.running, timeout=2000)
