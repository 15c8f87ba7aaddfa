"""Consultations: create, edit, phases, list/filter/search, eligibility management, open data."""

from .views import bp

__all__ = ["bp"]
