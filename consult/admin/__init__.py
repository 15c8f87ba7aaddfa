"""Administration: the list of accounts and their roles."""

from .views import bp

__all__ = ["bp"]
