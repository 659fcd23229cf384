"""Real servers that a fault-injection test starts and stops itself (never the shared ones)."""

import shutil
import socket
import subprocess
import time


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(port, timeout=20):
    """A throw-away Redis on ``port`` (no persistence); fails the test if it does not answer."""
    server = shutil.which("redis-server")
    assert server, "redis-server is needed for this test (Debian package redis-server)"
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while not _redis_answers(port):
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the test Redis did not start")
        time.sleep(0.1)
    return process


def stop(process):
    """Stop a server the test started, and wait until it is gone."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
