"""Helpers the benchmark scripts share: percentiles, a free port, a uvicorn run.

The scripts are run from the repository (``.venv/bin/python bench/NAME.py``), which puts
this folder first on ``sys.path``; uvicorn loads their app factories with ``--app-dir bench``.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank value at ``share`` (0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(
    command: list[str], env: dict[str, str], port: int, probe: str, log_path: Path, cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server until ``GET probe`` on ``port`` answers below 500; stop it afterwards.

    Only the process started here is stopped, by its own handle. Its output goes to
    ``log_path``, which the error names when the server does not come up within 90 s.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    connection = http.client.HTTPConnection(HOST, port, timeout=5)
                    connection.request("GET", probe)
                    status = connection.getresponse().status
                    connection.close()
                    if status < 500:
                        break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server on port {port} did not start; see {log_path}")
                time.sleep(0.3)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
