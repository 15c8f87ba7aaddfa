"""Errors raised by service functions. Views turn them into 400/403 responses with the message shown."""


class ServiceError(ValueError):
    """A refused action the user can fix; the message is shown to them as is."""


class PermissionDenied(ServiceError):
    """The acting user may not do this to this object (HTTP 403)."""
