"""Running work on untrusted files in a child process with a time and memory bound.

Parsing, stamping or extracting text from a file someone uploaded can cost far more than its size
suggests (a 12 KB PDF with a hundred page sizes, a decompression bomb). Such work runs through
:func:`run_bounded`: a forked child, its address space and CPU time capped with ``setrlimit`` and
its wall-clock time watched by the parent, which kills it when the time is up. The child never
touches the database (the connections it inherits belong to the parent) and leaves by
``os._exit``, so nothing of the parent's is closed or flushed twice: pass it bytes, get back a
picklable value.

A plain ``os.fork`` rather than ``multiprocessing``: Celery's pool processes are daemonic, and
``multiprocessing`` refuses to start children from those.
"""

import logging
import os
import pickle
import resource
import selectors
import signal
import threading
import time

logger = logging.getLogger(__name__)

#: Held from a pipe's creation to the parent closing its write end: a child forked meanwhile by
#: another thread (threaded servers, ASGI) would keep that end open and the answer would wait.
_FORK_LOCK = threading.Lock()

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class BoundExceeded(Exception):
    """The work took longer or needed more memory than it is allowed; it was stopped."""


class BoundedWorkFailed(Exception):
    """The work raised an error in the child; the message names it."""


def _address_space_now():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * _PAGE_SIZE


def _run_child(write_fd, func, args, memory_bytes, cpu_seconds):
    """In the forked child: cap this process, run ``func``, write the pickled outcome."""
    # The headroom is on top of what the fork inherited: the parent's libraries are already mapped.
    limit = _address_space_now() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    try:
        outcome = ("ok", func(*args))
    except MemoryError:
        outcome = ("memory", "")
    except Exception as error:  # sent back as text: an arbitrary exception may not pickle
        outcome = ("error", f"{type(error).__name__}: {error}"[:2000])
    try:
        payload = pickle.dumps(outcome)
    except MemoryError:
        payload = pickle.dumps(("memory", ""))
    with os.fdopen(write_fd, "wb") as pipe:
        pipe.write(payload)


def _read_until(read_fd, deadline):
    """All the child writes before ``deadline``; ``None`` when the time ran out first."""
    chunks = []
    with selectors.DefaultSelector() as selector:
        selector.register(read_fd, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return None
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def run_bounded(func, *args, timeout, memory_bytes, label="bounded work"):
    """``func(*args)`` in a forked child given ``timeout`` seconds (wall clock and CPU) and
    ``memory_bytes`` of address space beyond what it starts with. Returns its value; raises
    :class:`BoundExceeded` when a bound stopped it and :class:`BoundedWorkFailed` when it raised."""
    started = time.monotonic()
    with _FORK_LOCK:  # no other thread's child inherits this pipe's write end (its EOF would wait)
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            raise
        if pid == 0:  # the child: never returns into the caller's code
            status = 1
            try:
                os.close(read_fd)
                _run_child(write_fd, func, args, memory_bytes, max(1, int(timeout + 0.999)))
                status = 0
            finally:
                os._exit(status)
        os.close(write_fd)
    payload = None  # until the child has answered: killed on the way out, whatever interrupted
    try:
        payload = _read_until(read_fd, started + timeout)
    finally:
        os.close(read_fd)
        if payload is None:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if payload is None:
        raise BoundExceeded(f"{label} took longer than {timeout} s; stopped.")
    if not payload:  # killed by the CPU limit (SIGXCPU) or the kernel before it answered
        raise BoundExceeded(f"{label} was stopped at its CPU or memory limit.")
    try:
        status, value = pickle.loads(payload)
    except Exception as error:  # the child died half-way through its answer
        raise BoundExceeded(f"{label} was stopped before it finished answering.") from error
    if status == "memory":
        raise BoundExceeded(f"{label} needed more than {memory_bytes // 2**20} MB; stopped.")
    if status == "error":
        raise BoundedWorkFailed(value)
    logger.debug("%s finished in %.2f s", label, time.monotonic() - started)
    return value
