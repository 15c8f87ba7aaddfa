"""Accounts: registration, log-in, password reset, roles (``flask users ...``) and eligibility."""

from .views import bp

__all__ = ["bp"]
