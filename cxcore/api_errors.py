"""One error shape for the whole API: {"detail": ..., "errors": [...]}; never a 500 for bad input."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        # Django's own answer would be an HTML 400 without a word of why.
        limit = getattr(exc, "limit", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return Response(
            {"detail": f"The request body is larger than the limit of {limit:,} bytes."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
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
