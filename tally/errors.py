"""The project's own error types: one clear line naming the file, the record and the rule broken.

Every error a user can cause (bad config, malformed CVR, invalid ballot, unknown method) is a
``TallyError``; the CLI prints ``str(error)`` and exits non-zero, never a traceback.
"""

from __future__ import annotations


class TallyError(ValueError):
    """A user-facing error. ``str()`` gives ``file: record: message`` with the known parts only."""

    def __init__(self, message: str, *, file: str | None = None, record: str | int | None = None):
        self.message = message
        self.file = file
        self.record = record
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [str(p) for p in (self.file, self.record) if p not in (None, "")]
        return ": ".join([*parts, self.message])


class ConfigError(TallyError):
    """A contest configuration that breaks one or more rules; ``errors`` lists every one of them."""

    def __init__(self, errors: list[str] | str, *, file: str | None = None):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("; ".join(self.errors), file=file)


class CvrError(TallyError):
    """A cast-vote-record file that cannot be read as its format requires."""


class BallotError(TallyError):
    """A ballot that breaks the contest's rules (named by its row or ballot id)."""


class TieBreakError(TallyError):
    """A tie that needs a decision no rule or decision file provides."""
