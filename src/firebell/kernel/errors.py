"""Domain errors: raised by the core and the services, mapped to HTTP in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Sequence[Mapping[str, object]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: list[Mapping[str, object]] = list(details or [])


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class ValidationFailed(DomainError):
    code = "validation_failed"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        """An error about one named input field."""
        return cls(f"{field}: {message}", details=[{"field": field, "message": message}])


class PermissionDenied(DomainError):
    code = "permission_denied"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float, details: Sequence[Mapping[str, object]] | None = None):
        super().__init__(message, details=details)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The database cannot be reached: nothing was stored; retry after `retry_after` seconds."""

    code = "unavailable"

    def __init__(self, message: str, *, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StorageFull(DomainError):
    """The database's disk is full: nothing was stored; retry once there is room."""

    code = "storage_full"

    def __init__(self, message: str, *, retry_after: float = 30.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
