"""Request bodies sent with `Transfer-Encoding: chunked`, read like any other body.

Django reads CONTENT_LENGTH bytes of a WSGI request's input, and a chunked request has no
Content-Length: its body was read as empty (an API call answered as if nothing had been sent). A
server that decodes chunked input says so with `wsgi.input_terminated` (gunicorn does): its input
ends with the body. From such a server, the body is read here, up to one byte past
DATA_UPLOAD_MAX_MEMORY_SIZE, and given its length, so that Django then reads it, or refuses it as too
large (the API answers 413) exactly as it would a body of that declared length. A chunked body is held to the
site's limit even where an endpoint takes larger ones: those must come with their Content-Length.
"""

from __future__ import annotations

import io

from django.conf import settings

# Set in the WSGI environ (request.META) when a chunked body was longer than the site's limit.
CUT_SHORT = "cxm.chunked_body_cut_short"


class ChunkedBodies:
    """WSGI middleware: a chunked request's body, read from a server that ends its input, gets its length."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if (
            environ.get("wsgi.input_terminated")
            and not environ.get("CONTENT_LENGTH")
            and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        ):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            stream = environ["wsgi.input"]
            body = stream.read() if limit is None else stream.read(limit + 1)
            if limit is not None and len(body) > limit:
                # The rest is left unread: an endpoint that takes larger bodies (api.body_allow) must refuse
                # this one rather than read it cut short.
                environ[CUT_SHORT] = True
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)
