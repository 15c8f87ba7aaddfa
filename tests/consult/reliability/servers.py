"""Real servers for the fault tests and the load run (``benchmarks/load``): gunicorn serving the app on a
loopback port, and a throwaway PostgreSQL cluster. Both are started and stopped by the code that uses
them, and stop only the processes they started (by pid, never by name).

- :class:`Gunicorn` runs ``consult:create_app()`` (the production factory, configured by ``CONSULT_*``
  environment variables) with several workers (sync by default; the load run uses gthread) and
  ``--preload`` (the app is imported once in the master and forked, so a restart after ``kill -9`` takes a
  fraction of a second instead of one import per worker). Rate limits are off unless asked for (the fault
  tests send many casts from one address). :meth:`Gunicorn.kill9` sends SIGKILL to the master and every
  worker at once.
- :class:`PostgresCluster` is its own cluster (``initdb`` into a temporary folder, ``pg_ctl`` on a free
  port, socket in that folder), run as the ``postgres`` OS user when the tests run as root (initdb
  refuses root). The shared server on 5432 is never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PG_BIN = Path(os.environ.get("CONSULT_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (an orphaned worker may stay a zombie in a
    container whose init does not reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


class Gunicorn:
    """gunicorn on ``127.0.0.1:port`` (the same port across restarts, so clients simply reconnect)."""

    def __init__(
        self,
        database_url: str,
        folder: Path,
        secret_key: str,
        workers: int = 3,
        env: dict[str, str] | None = None,
        *,
        worker_class: str = "sync",
        threads: int = 1,
        timeout: int = 30,
        rate_limits: bool = False,
    ) -> None:
        self.database_url = database_url
        self.folder = Path(folder)
        self.secret_key = secret_key
        self.workers = workers
        self.worker_class = worker_class
        self.threads = threads
        self.timeout = timeout
        self.env = {"CONSULT_RATELIMIT_ENABLED": "1" if rate_limits else "0", **(env or {})}
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> float:
        """Start and wait until ``/`` answers 200; returns the seconds that took."""
        began = time.monotonic()
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
            "--preload",
            "--backlog",
            "2048",
            "--keep-alive",
            "30",
            "--timeout",
            str(self.timeout),
            "--graceful-timeout",
            "10",
            "--error-logfile",
            str(self.folder / "gunicorn.log"),
            "consult:create_app()",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        self.starts += 1
        deadline = began + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.folder}")
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - began
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer on {self.base_url} within {timeout} s")

    def pids(self) -> list[int]:
        """The master and its workers."""
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *_children(self.process.pid)]

    def kill9(self) -> int:
        """SIGKILL the master and every worker at once; returns how many processes were killed."""
        pids = self.pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._wait_gone(pids)
        return len(pids)

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the master), then SIGKILL for anything of ours still running."""
        if self.process is None:
            return
        pids = self.pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(20)
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        self._wait_gone(pids)

    def _wait_gone(self, pids: list[int]) -> None:
        if self.process is not None:
            self.process.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.02)


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary folder, on a free loopback port, trust auth."""

    def __init__(self, bindir: Path = PG_BIN) -> None:
        self.bindir = Path(bindir)
        self.port = free_port()
        self.folder: Path | None = None

    @classmethod
    def missing(cls, bindir: Path = PG_BIN) -> str | None:
        """Why a cluster cannot be made here, or ``None``."""
        for tool in ("initdb", "pg_ctl"):
            if not (Path(bindir) / tool).exists():
                return f"{Path(bindir) / tool} not found (set CONSULT_PG_BIN to PostgreSQL's bin folder)"
        if os.geteuid() == 0:
            try:
                import pwd

                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no 'postgres' user to run initdb as"
        return None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> Path:
        assert self.folder is not None
        return self.folder / "data"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")

    def create(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="consult-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        if self.folder is None:
            return
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None
