"""The safelist: operations read from persisted-query manifests, matched by id or by body.

A manifest is what Apollo's ``generate-persisted-query-manifest`` writes and what a GraphOS
persisted query list holds::

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": "...", "name": "Customer360", "type": "query", "body": "query Customer360 { ... }"}]}

Every listed operation can be run by its id (sent as ``extensions.persistedQuery.sha256Hash``,
as Apollo clients do). When the safelist is required, listed operations are the only ones
served: a body matches when it is a listed body as it stands, or the same document once
comments, commas, spacing and the order of its definitions are set aside (as Apollo's router
matches bodies), so a GraphiQL tab that starts with a comment line still matches its example.
Queries that only introspect (``__schema``, ``__type``, ``__typename`` at the root) may be let
through, so GraphiQL and codegen can load the schema.

Manifests are read once, at start: a missing or malformed one stops the server with a message
that names the file and what is wrong in it.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    Lexer,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Source,
    TokenKind,
    parse,
    print_ast,
)

MANIFEST_FORMAT = "apollo-persisted-query-manifest"
MANIFEST_VERSION = 1
OPERATION_TYPES = frozenset({"query", "mutation", "subscription"})
# Ids are SHA-256 hex digests by default; Apollo's generator lets a project pick its own, so any
# short string is accepted, and anything longer is refused before it is looked up.
MAX_ID_LENGTH = 128
INTROSPECTION_FIELDS = frozenset({"__schema", "__type", "__typename"})
# GraphiQL's introspection query is about 300 tokens: this leaves room for larger ones.
INTROSPECTION_TOKENS = 5_000
# Verdicts on bodies that are not listed as they stand, kept by text: at most this many, of at
# most this length each (16 MiB in all), so large bodies cannot fill memory through the cache.
VERDICT_CACHE_SIZE = 1_024
VERDICT_MAX_TEXT = 16 * 1_024


class ManifestError(Exception):
    """A manifest is missing or malformed: the server refuses to start with it."""


@dataclass(frozen=True, slots=True)
class ManifestOperation:
    id: str
    name: str
    type: str
    body: str


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalized(document: DocumentNode) -> str:
    """The document without comments, commas, spacing choices or definition order."""
    return "\n".join(sorted(print_ast(definition) for definition in document.definitions))


def listed_operation(query: str) -> ManifestOperation:
    """The manifest entry for a query: its body in GraphQL's printed layout, its id the body's SHA-256.

    Ids are made as Apollo's manifest generator makes them, but a client's hash matches one only
    if the client sends this very text: graphql-js 16 prints object values as ``{a: 1}`` where
    graphql-core prints ``{ a: 1 }``, and Apollo Client adds ``__typename`` to selection sets.
    Bodies match whatever the layout; a manifest meant for hashes an app sends is best made with
    Apollo's generator from the app's own documents.
    """
    document = parse(query, no_location=True)
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    if len(operations) != 1:
        raise ValueError("a listed query holds exactly one operation")
    operation = operations[0]
    if operation.name is None:
        raise ValueError("a listed operation needs a name")
    body = print_ast(document)
    return ManifestOperation(sha256_hex(body), operation.name.value, operation.operation.value, body)


def manifest_json(operations: Iterable[ManifestOperation]) -> str:
    """A manifest in Apollo's format, as it is written to a file."""
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "operations": [{"id": item.id, "name": item.name, "type": item.type, "body": item.body} for item in operations],
    }
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def read_manifest(path: Path) -> list[ManifestOperation]:
    """The operations of one manifest file; ``ManifestError`` says what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"persisted-query manifest {path} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"persisted-query manifest {path} cannot be read: {error}") from None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
        raise ManifestError(f"persisted-query manifest {path} is not valid JSON: {error}") from None
    if not isinstance(manifest, dict):
        raise ManifestError(f"persisted-query manifest {path} must be a JSON object")
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("version") != MANIFEST_VERSION:
        raise ManifestError(
            f"persisted-query manifest {path} must have format '{MANIFEST_FORMAT}' and version {MANIFEST_VERSION}"
        )
    entries = manifest.get("operations")
    if not isinstance(entries, list):
        raise ManifestError(f"persisted-query manifest {path}: 'operations' must be a list")
    return [_operation(path, index, entry) for index, entry in enumerate(entries)]


def _operation(path: Path, index: int, entry: Any) -> ManifestOperation:
    where = f"persisted-query manifest {path}, operation {index}"
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: must be an object with id, name, type and body")
    ident, name, kind, body = (entry.get(key) for key in ("id", "name", "type", "body"))
    if not isinstance(ident, str) or not 0 < len(ident) <= MAX_ID_LENGTH:
        raise ManifestError(f"{where}: 'id' must be a string of 1 to {MAX_ID_LENGTH} characters")
    if not isinstance(name, str):
        raise ManifestError(f"{where} ({ident}): 'name' must be a string")
    if kind not in OPERATION_TYPES:
        raise ManifestError(f"{where} ({ident}): 'type' must be one of {', '.join(sorted(OPERATION_TYPES))}")
    if not isinstance(body, str):
        raise ManifestError(f"{where} ({ident}): 'body' must be a string")
    try:
        parse(body, no_location=True)
    except GraphQLError as error:
        raise ManifestError(f"{where} ({ident}): 'body' is not a GraphQL document: {error.message}") from None
    return ManifestOperation(ident, name, str(kind), body)


class Safelist:
    """The operations of the manifests: looked up by id, and matched by body."""

    def __init__(self, operations: Sequence[ManifestOperation], *, allow_introspection: bool) -> None:
        self._by_id: dict[str, ManifestOperation] = {}
        for operation in operations:
            known = self._by_id.setdefault(operation.id, operation)
            if known.body != operation.body:
                raise ManifestError(f"persisted query id {operation.id} is listed twice with different bodies")
        self._bodies = frozenset(operation.body for operation in operations)
        documents = [parse(operation.body, no_location=True) for operation in operations]
        self._normalized = frozenset(normalized(document) for document in documents)
        self._allow_introspection = allow_introspection
        # A body with far more tokens than every listed one cannot be one of them: parsing stops
        # there (twice the most, as comments may count towards the limit too).
        most_tokens = max((_token_count(operation.body) for operation in operations), default=0)
        self._max_tokens = 2 * max(most_tokens, INTROSPECTION_TOKENS if allow_introspection else 0) + 16
        self._verdicts: OrderedDict[str, bool] = OrderedDict()

    @classmethod
    def from_files(cls, paths: Sequence[Path], *, allow_introspection: bool) -> Safelist:
        operations = [operation for path in paths for operation in read_manifest(path)]
        return cls(operations, allow_introspection=allow_introspection)

    def __len__(self) -> int:
        return len(self._by_id)

    def by_id(self, ident: str) -> ManifestOperation | None:
        return self._by_id.get(ident)

    def allows(self, query: str) -> bool:
        """Whether the safelist lets this document run (a listed body, or only introspection)."""
        if query in self._bodies:
            return True
        verdict = self._verdicts.get(query)
        if verdict is not None:
            self._verdicts.move_to_end(query)
            return verdict
        verdict = self._judge(query)
        if len(query) <= VERDICT_MAX_TEXT:
            self._verdicts[query] = verdict
            if len(self._verdicts) > VERDICT_CACHE_SIZE:
                self._verdicts.popitem(last=False)
        return verdict

    def _judge(self, query: str) -> bool:
        try:
            document = parse(query, no_location=True, max_tokens=self._max_tokens)
        except GraphQLError:
            return False  # not a document, or longer than anything listed
        if normalized(document) in self._normalized:
            return True
        return self._allow_introspection and _introspects_only(document)


def _token_count(body: str) -> int:
    """The lexical tokens of a body, comments left out."""
    lexer = Lexer(Source(body))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


def _introspects_only(document: DocumentNode) -> bool:
    fragments = {node.name.value: node for node in document.definitions if isinstance(node, FragmentDefinitionNode)}
    operations = [node for node in document.definitions if isinstance(node, OperationDefinitionNode)]
    return bool(operations) and all(
        op.operation is OperationType.QUERY and _root_introspects(op.selection_set, fragments, set())
        for op in operations
    )


def _root_introspects(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> bool:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value not in INTROSPECTION_FIELDS:
                return False
        elif isinstance(selection, InlineFragmentNode):
            if not _root_introspects(selection.selection_set, fragments, seen):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen:
                continue  # each fragment is looked at once: a cycle is refused by validation anyway
            seen.add(name)
            fragment = fragments.get(name)
            if fragment is None or not _root_introspects(fragment.selection_set, fragments, seen):
                return False
    return True
