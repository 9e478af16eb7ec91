"""The refusals of a principle's lifecycle steps, in words a CX manager understands; the API, the pages and the
stage rules' lifecycle map each kind to its answer (403, 409, 400)."""

from __future__ import annotations

from membrane.models.principles import PrincipleAudit

from .tests_runner import ExampleResult


class PrincipleError(Exception):
    """A lifecycle step was refused; the message says why in words a CX manager understands."""


class NotAllowed(PrincipleError):
    pass


class ConflictError(PrincipleError):
    """An edit made on a stale copy: who saved since, when, and the audit rows of what changed since the copy
    (an edit's comment names the fields it changed)."""

    def __init__(self, message: str, *, saved_by: str, saved_at, changes: list[PrincipleAudit]):
        super().__init__(message)
        self.saved_by = saved_by
        self.saved_at = saved_at
        self.changes = changes


class InvalidTransition(PrincipleError):
    pass


class ExamplesFailing(InvalidTransition):
    """Publishing refused because examples fail; `failing` names each with what it expected and got."""

    def __init__(self, message: str, *, failing: list[ExampleResult]):
        super().__init__(message)
        self.failing = failing


class InvalidVersion(PrincipleError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
