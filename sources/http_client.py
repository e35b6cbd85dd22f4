"""The HTTP edge shared by the HTTP/JSON and GraphQL connectors: one client, one translation.

``open_client`` builds the connector's ``httpx.AsyncClient`` (auth headers, connect and read
timeouts, a bounded pool). ``translated`` turns what httpx raises into ``SourceCallError``:
timeouts and lost connections are transient, so are 5xx and 429 answers; other 4xx mean the
request itself is wrong (bad credentials, bad path) and are not retried. ``json_body`` reads
an answer as JSON, and a body that is not JSON is a malformed answer.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import cache

import httpx

from sources.answers import MalformedAnswerError
from sources.config import Resilience
from sources.guarded import SourceCallError


@cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client: loading the CA bundle is slow, so it is loaded once."""
    return httpx.create_ssl_context()


def open_client(
    resilience: Resilience,
    *,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    timeout = httpx.Timeout(resilience.timeout_s, connect=resilience.connect_timeout_s)
    # Enough connections for the concurrent chunks of one big batch, plus concurrent callers.
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20, keepalive_expiry=30.0)
    return httpx.AsyncClient(
        base_url=base_url,
        headers=dict(headers or {}),
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        verify=tls_context(),
        transport=transport,
    )


@asynccontextmanager
async def translated() -> AsyncIterator[None]:
    try:
        yield
    except httpx.TimeoutException as exc:
        raise SourceCallError(f"timed out ({type(exc).__name__})", transient=True) from exc
    except httpx.TransportError as exc:
        raise SourceCallError(f"cannot reach the system: {exc or type(exc).__name__}", transient=True) from exc
    except httpx.HTTPError as exc:
        raise SourceCallError(f"HTTP error: {exc}", transient=False) from exc


def json_body(response: httpx.Response) -> object:
    """The decoded JSON of a successful answer; raises SourceCallError or MalformedAnswerError."""
    status = response.status_code
    if status >= 500 or status == 429:
        raise SourceCallError(f"HTTP {status} from {response.request.url.path}", transient=True)
    if status >= 400:
        raise SourceCallError(f"HTTP {status} from {response.request.url.path}: request refused", transient=False)
    if status >= 300:
        raise SourceCallError(f"unexpected redirect (HTTP {status}) from {response.request.url.path}", transient=False)
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedAnswerError(f"the answer is not JSON ({exc})") from None
