"""SQLite writers take turns on a kernel lock instead of sleeping in SQLite's busy handler.

SQLite lets one connection write at a time. A writer that finds the write lock taken calls the busy
handler, which in Python's ``sqlite3`` sleeps 1, 2, 5, 10 ... up to 100 ms between tries; with dozens of
casts waiting, most of them sleep long after the lock came free, and the database commits far fewer
transactions per second than its fsync allows. Here every connection to a database file orders its
writers on that file's own lock before SQLite sees them:

- A thread about to start a write transaction (the first INSERT, UPDATE, DELETE or REPLACE outside a
  transaction, the statements on which ``sqlite3`` opens one) takes its process's thread lock, then an
  exclusive ``flock`` on ``<database>-writers`` (one open file per process). It lets both go the moment
  the transaction ends (commit, rollback, close). A waiting thread wakes when the lock is free; a waiting
  process polls the ``flock`` every 0.1-1 ms. Reads never take the lock: WAL readers do not block writers.
- The transaction opens with ``BEGIN IMMEDIATE``, so SQLite's own write lock is taken at its start too.
- SQLite's locks still decide everything: this lock only orders the waiting. A writer that does not use
  it (the ``sqlite3`` shell, another program) is waited for by SQLite's busy handler as before.
- A process that dies holding the lock (kill -9) drops it with its open files; SQLite rolls its
  unfinished transaction back on the next open, as always.
- Waiting is bounded by the connection's busy timeout: a writer that gets neither lock in time fails with
  ``database is locked``, as SQLite would (the app answers 503, retryable).

Only plain file paths are locked; ``:memory:`` and ``file:`` URIs keep SQLite's own waiting.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from typing import Any

_WRITES = ("insert", "update", "delete", "replace")
_POLL_MIN_S = 0.0001
_POLL_MAX_S = 0.001


def _opens_transaction(sql: str) -> bool:
    """The statements on which ``sqlite3`` (legacy transaction control) emits BEGIN first."""
    head = sql.lstrip(" \t\r\n")[:7].lower()
    return head.startswith(_WRITES)


class WriterLock:
    """The writers' lock of one database file: a thread lock per process plus a ``flock`` between
    processes. The lock file is opened per process (after a fork the child opens its own: a ``flock`` on
    an inherited open file would be shared with the parent, not exclusive)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = os.getpid()

    def acquire(self, timeout: float) -> bool:
        """Take the lock within ``timeout`` seconds; False if that was not possible."""
        deadline = time.monotonic() + timeout
        self._after_fork()
        if not self._threads.acquire(timeout=max(timeout, 0.0)):
            return False
        try:
            fd = self._file()
            delay = _POLL_MIN_S
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    pass
                left = deadline - time.monotonic()
                if left <= 0:
                    self._threads.release()
                    return False
                time.sleep(min(delay, left))
                delay = min(2 * delay, _POLL_MAX_S)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def locked(self) -> bool:
        """Whether some thread of this process holds the lock (for tests and checks)."""
        return self._threads.locked()

    def _file(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                raise sqlite3.OperationalError(f"cannot open the writers' lock {self.path}: {exc}") from None
        return self._fd

    def _after_fork(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._threads = threading.Lock()
            self._fd = None  # the parent's file stays open in the parent; ours is opened on first use


_LOCKS: dict[str, WriterLock] = {}
_LOCKS_GUARD = threading.Lock()


def writer_lock(database: str) -> WriterLock:
    """The one :class:`WriterLock` of this process for ``database`` (a file path)."""
    path = os.path.realpath(database) + "-writers"
    with _LOCKS_GUARD:
        lock = _LOCKS.get(path)
        if lock is None:
            lock = _LOCKS[path] = WriterLock(path)
        return lock


class Connection(sqlite3.Connection):
    """``sqlite3`` connection whose write transactions begin with BEGIN IMMEDIATE under the database's
    :class:`WriterLock` (pass as ``factory=`` to ``sqlite3.connect``; SQLAlchemy: ``connect_args``)."""

    def __init__(self, database: Any, timeout: float = 5.0, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, timeout, *args, **kwargs)
        plain = isinstance(database, str | bytes | os.PathLike) and not kwargs.get("uri", False)
        name = os.fsdecode(database) if plain else ""
        self.writers = writer_lock(name) if name and name != ":memory:" else None
        self.lock_timeout = timeout
        self.holding = False
        if self.isolation_level is not None:
            self.isolation_level = "IMMEDIATE"

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:
        return super().cursor(factory or Cursor)

    # sqlite3's shortcuts make their cursor in C, past cursor(): route them through ours.
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        return self.cursor().executescript(sql_script)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.statement_done()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.statement_done()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def before_statement(self, sql: str) -> None:
        """Take the writers' lock before a statement that opens a write transaction."""
        if self.writers is None or self.holding or self.in_transaction or not _opens_transaction(sql):
            return
        if not self.writers.acquire(self.lock_timeout):
            raise sqlite3.OperationalError("database is locked")
        self.holding = True

    def statement_done(self) -> None:
        """After a statement, commit or rollback: let go once no transaction is open."""
        if self.holding and not self.in_transaction:
            self._release()

    def _release(self) -> None:
        if self.holding:
            self.holding = False
            self.writers.release()


class Cursor(sqlite3.Cursor):
    """Cursor of :class:`Connection`: every statement passes the writers' lock check."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self.connection.before_statement(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection.statement_done()

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:
        self.connection.before_statement(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.statement_done()

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(sql_script)
        finally:
            self.connection.statement_done()
