"""Voting: contests, ballot forms validated by ``tally``, casting with a poll book and secret ballots."""

from .views import bp

__all__ = ["bp"]
