"""Deliberation: proposals, supports, threaded comments, endorsements, flags and moderation."""

from .views import bp

__all__ = ["bp"]
