"""Errors the domain raises; views and the CLI turn them into clear messages."""


class DomainError(Exception):
    """A rule of the programme refused the request. `str(error)` is for the user."""


class PermissionDenied(DomainError):
    """The actor may not do this to this object."""


class IllegalTransition(DomainError):
    """The proposal's current state does not allow the requested move."""
