"""Errors the engine raises for callers (web, CLI, workers) to show to people."""


class DomainError(Exception):
    """A request the engine refuses; the message is meant for the user, in Spanish."""


class ValidationError(DomainError):
    """Bad input: names the field and says why. Nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(DomainError):
    """The thing asked for does not exist."""


class PermissionDenied(DomainError):
    """The actor may not do this."""
