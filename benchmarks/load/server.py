"""gunicorn serving ``consult:create_app()`` on a free loopback port, started and stopped by the run.

The server runs in its own process group; :meth:`Gunicorn.stop` sends SIGTERM to the master (graceful:
workers finish their request), waits, and only then kills the group, so no worker outlives the run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Gunicorn:
    database_url: str
    secret_key: str
    folder: Path
    workers: int = 2
    worker_class: str = "gthread"
    threads: int = 8
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "CONSULT_DATABASE_URL": self.database_url,
            "CONSULT_SECRET_KEY": self.secret_key,
            "CONSULT_SIGNING_KEY": str(self.folder / "signing_key.pem"),
            **self.env,
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--threads",
            str(self.threads),
            "--backlog",
            "2048",
            "--keep-alive",
            "30",
            "--timeout",
            "180",
            "--graceful-timeout",
            "10",
            "--error-logfile",
            str(self.folder / "gunicorn.log"),
            "consult:create_app()",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.folder}")
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.base_url} within {timeout} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def pids(self) -> list[int]:
        """The master and its workers (for profiling one worker with py-spy)."""
        if self.process is None:
            return []
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [self.process.pid, *(int(p) for p in out.split())]
