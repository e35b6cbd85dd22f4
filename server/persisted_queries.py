"""Persisted operations: Apollo's automatic persisted queries (APQ) and the safelist.

APQ, as Apollo Server and Apollo Client's persisted-queries link speak it: a client sends
``extensions.persistedQuery = {"version": 1, "sha256Hash": <SHA-256 of the query>}`` and no
query. If the hash is unknown the answer is ``PERSISTED_QUERY_NOT_FOUND`` (message
``PersistedQueryNotFound``, status 200, not cacheable); the client sends the hash again with the
query, the server checks that the hash is the query's SHA-256, runs it and keeps it, and later
requests, also ``GET`` ones a CDN can cache, carry the hash alone. With APQ turned off (and no
safelist required) the answer is ``PERSISTED_QUERY_NOT_SUPPORTED``, on which the link falls
back to sending queries in full.

The store is a least-recently-used map bounded in bytes, one per worker process: with several
workers each learns a hash on its own, and a client whose hash one worker has not seen gets
``PERSISTED_QUERY_NOT_FOUND`` and sends the query again, as the protocol expects. A query is
kept only once it has parsed, validated and been let through, so garbage cannot push out good
entries for free.

Operations listed in manifests (``server/safelist.py``) run by id whether APQ is on or not;
with APQ off, any other id is ``PERSISTED_QUERY_NOT_SUPPORTED``. When the safelist is
required, every other operation is refused with ``QUERY_NOT_IN_SAFELIST`` (status 403), and
an unknown id with APQ off with ``PERSISTED_QUERY_NOT_IN_LIST`` (404): the codes and statuses
Apollo's router uses. A malformed ``persistedQuery`` is ``BAD_REQUEST``
(400), a hash that is not the query's ``PERSISTED_QUERY_HASH_MISMATCH`` (400). None of these
answers echoes the input.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from server.safelist import MAX_ID_LENGTH, Safelist, sha256_hex

APQ_VERSION = 1
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
NOT_IN_SAFELIST = "QUERY_NOT_IN_SAFELIST"
HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
BAD_REQUEST = "BAD_REQUEST"
# What Apollo Server and router send with persisted-query errors: a CDN or browser that kept
# a "not found" would keep the client from ever registering the query.
DONT_CACHE = "private, no-cache, must-revalidate"
DEFAULT_APQ_CACHE_BYTES = 16 * 1024 * 1024
# Each entry also costs its map slot and string headers, counted roughly.
ENTRY_OVERHEAD_BYTES = 200

_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


class PersistedQueryError(Exception):
    """A request the persisted-query rules refuse: answered with ``status`` and a coded error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = {"Cache-Control": DONT_CACHE}


@dataclass(frozen=True, slots=True)
class PersistedOperation:
    """What a ``persistedQuery`` extension named: the query to run, and what to do with it."""

    query: str
    sha256_hash: str
    # The query came with its hash and APQ is on: keep it once it has been let through.
    register: bool
    # Listed in a manifest, or let through before it was kept: the safelist need not look again.
    trusted: bool


class ApqStore:
    """Queries by their SHA-256, least recently used first out, within a byte budget."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._queries: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._queries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, sha256_hash: str) -> str | None:
        query = self._queries.get(sha256_hash)
        if query is not None:
            self._queries.move_to_end(sha256_hash)
        return query

    def put(self, sha256_hash: str, query: str) -> None:
        if sha256_hash in self._queries:
            self._queries.move_to_end(sha256_hash)
            return
        cost = _cost(sha256_hash, query)
        if cost > self._max_bytes:
            return  # larger than the whole store: the client keeps sending it in full
        while self._queries and self._bytes + cost > self._max_bytes:
            evicted_hash, evicted = self._queries.popitem(last=False)
            self._bytes -= _cost(evicted_hash, evicted)
        self._queries[sha256_hash] = query
        self._bytes += cost


def _cost(sha256_hash: str, query: str) -> int:
    return len(sha256_hash) + len(query.encode("utf-8")) + ENTRY_OVERHEAD_BYTES


class PersistedQueries:
    """The persisted-operation rules of one process: APQ, manifests and the safelist."""

    def __init__(
        self,
        *,
        apq_enabled: bool = True,
        apq_cache_bytes: int = DEFAULT_APQ_CACHE_BYTES,
        safelist: Safelist | None = None,
        safelist_required: bool = False,
        get_cache_control: str = "no-store",
    ) -> None:
        if safelist_required and safelist is None:
            raise ValueError("a required safelist needs a manifest")
        self.apq_enabled = apq_enabled
        self.store = ApqStore(apq_cache_bytes)
        self.safelist = safelist
        self.safelist_required = safelist_required
        self.get_cache_control = get_cache_control

    def lookup(self, query: object, extensions: dict[str, Any] | None) -> PersistedOperation | None:
        """The operation a ``persistedQuery`` extension names; ``None`` if the request has none."""
        extension = None if extensions is None else extensions.get("persistedQuery")
        if extension is None:
            return None
        if not isinstance(extension, dict):
            raise PersistedQueryError(400, BAD_REQUEST, "'extensions.persistedQuery' must be a JSON object")
        if not self.apq_enabled and self.safelist is None:
            raise PersistedQueryError(200, NOT_SUPPORTED, "PersistedQueryNotSupported")
        version = extension.get("version")
        if type(version) is not int or version != APQ_VERSION:  # True == 1 in Python: bool is refused too
            raise PersistedQueryError(400, BAD_REQUEST, "unsupported persisted query version: only 1 is known")
        ident = extension.get("sha256Hash")
        if not isinstance(ident, str) or not 0 < len(ident) <= MAX_ID_LENGTH:
            raise PersistedQueryError(
                400, BAD_REQUEST, "'extensions.persistedQuery.sha256Hash' must be the query's SHA-256 as 64 hex digits"
            )
        if query is not None and not isinstance(query, str):
            raise PersistedQueryError(400, BAD_REQUEST, "'query' must be a string")
        listed = self.safelist.by_id(ident) if self.safelist is not None else None
        if listed is not None:
            if query is not None and query != listed.body:
                raise PersistedQueryError(400, HASH_MISMATCH, "the query is not the one listed under this id")
            return PersistedOperation(listed.body if query is None else query, ident, register=False, trusted=True)
        if not self.apq_enabled:
            if query is None and self.safelist_required:
                raise PersistedQueryError(404, NOT_IN_LIST, "the persisted query id is not in the persisted query list")
            # The client falls back to sending queries in full, which the safelist (if any) still checks.
            raise PersistedQueryError(200, NOT_SUPPORTED, "PersistedQueryNotSupported")
        if not _SHA256_HEX.fullmatch(ident):
            raise PersistedQueryError(
                400, BAD_REQUEST, "'extensions.persistedQuery.sha256Hash' must be the query's SHA-256 as 64 hex digits"
            )
        sha256_hash = ident.lower()
        if query is None:
            stored = self.store.get(sha256_hash)
            if stored is None:
                raise PersistedQueryError(200, NOT_FOUND, "PersistedQueryNotFound")
            return PersistedOperation(stored, sha256_hash, register=False, trusted=True)
        if sha256_hex(query) != sha256_hash:
            raise PersistedQueryError(400, HASH_MISMATCH, "provided sha256Hash does not match the query")
        return PersistedOperation(query, sha256_hash, register=True, trusted=False)

    def admit(self, query: str, operation: PersistedOperation | None) -> None:
        """Refuse the query if the safelist is required and does not hold it."""
        if not self.safelist_required or (operation is not None and operation.trusted):
            return
        if self.safelist is None or not self.safelist.allows(query):
            raise PersistedQueryError(403, NOT_IN_SAFELIST, "the operation is not in the safelist of persisted queries")

    def remember(self, operation: PersistedOperation | None) -> None:
        """Keep a registered query (call once it parsed, validated and was let through)."""
        if operation is not None and operation.register:
            self.store.put(operation.sha256_hash, operation.query)
