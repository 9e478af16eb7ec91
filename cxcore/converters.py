"""URL converters of cxcore."""

from __future__ import annotations

from django.urls import register_converter


class ExternalIdConverter:
    """A customer's external id in a URL: the source system's text, slashes included.

    "ACME/123" is linked as /customers/ACME/123/, and an integration that sends it URL-encoded
    (ACME%2F123) reaches Django decoded as well: either way the id spans path segments, so the
    match does not stop at a "/". It spans line breaks too: the ingest refuses control characters
    now, but a customer stored before must not make every page that links it fail to build the URL.
    Ids whose segments are "." or ".." are refused at ingest (schemas.external_id): browsers and
    HTTP clients resolve those before the request is sent.
    """

    regex = r"(?s:.+)"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExternalIdConverter, "external_id")
