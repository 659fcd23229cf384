"""Work on untrusted files runs in a child process that is stopped at its time or memory bound."""

import os
import time

import pytest

from qms_portal.bounded import BoundedWorkFailed, BoundExceeded, run_bounded

MB = 2**20


def spin_forever():
    while True:
        pass


def sleep_forever():
    time.sleep(3600)


def allocate(megabytes):
    return len(bytearray(megabytes * MB))


def fail():
    raise ValueError("this file is broken")


def test_the_value_comes_back_from_the_child():
    assert run_bounded(allocate, 10, timeout=10, memory_bytes=200 * MB) == 10 * MB
    assert run_bounded(os.getpid, timeout=10, memory_bytes=50 * MB) != os.getpid()


@pytest.mark.parametrize("work", [spin_forever, sleep_forever], ids=["cpu", "waiting"])
def test_work_past_its_time_is_stopped(work):
    started = time.monotonic()
    with pytest.raises(BoundExceeded, match="longer than 1 s"):
        run_bounded(work, timeout=1, memory_bytes=50 * MB)
    assert time.monotonic() - started < 30  # stopped, not waited for


def test_work_past_its_memory_is_stopped():
    with pytest.raises(BoundExceeded, match="more than 100 MB"):
        run_bounded(allocate, 1000, timeout=10, memory_bytes=100 * MB)


def test_an_error_in_the_child_is_told_to_the_caller():
    with pytest.raises(BoundedWorkFailed, match="ValueError: this file is broken"):
        run_bounded(fail, timeout=10, memory_bytes=50 * MB)


def quick():
    return "done"


def test_no_child_is_forked_while_another_thread_holds_an_open_pipe():
    """A child forked by one thread between another thread's pipe and its closing of the write
    end would keep that end open, and the other's answer would wait for this child to end. Forks
    take turns with that window (``_FORK_LOCK``), so while it is held no child starts."""
    import threading

    from qms_portal import bounded

    answers = []
    with bounded._FORK_LOCK:  # as another thread does between its pipe and its close
        worker = threading.Thread(
            target=lambda: answers.append(run_bounded(quick, timeout=10, memory_bytes=50 * MB))
        )
        worker.start()
        worker.join(0.5)
        assert worker.is_alive() and answers == []  # waiting for its turn to fork
    worker.join(10)
    assert answers == ["done"]
