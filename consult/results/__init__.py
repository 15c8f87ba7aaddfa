"""Results: certification by ``tally``, result pages and charts, bulletin, receipt check, audit packages."""

from .views import bp

__all__ = ["bp"]
