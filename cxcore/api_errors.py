"""One error shape for the whole API: {"detail": ..., "errors": [...]}; never a 500 for bad input."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, exceptions.ParseError):
        exc = exceptions.ParseError(f"Malformed JSON: {exc.detail}")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        response.status_code = 401
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        response.data = {"detail": str(data["detail"])}
    elif isinstance(data, dict) and "errors" in data:
        pass
    else:
        response.data = {"detail": "Invalid input.", "errors": data}
    return response
