"""Read a GraphQL document within limits, and measure its shape before it is validated or run.

Parsing is bounded by a token count (``parse_document``); then ``shape_errors`` measures every
operation of the document, with each fragment measured once and reused wherever it is spread,
so a document of fragments spreading fragments is measured in time linear in its size:

- depth: the longest chain of nested fields (``{ customer { orders { nodes { id } } } }`` is 4);
  the depth of introspection (``__schema``, ``__type``) is left out, graphql-core's own
  ``MaxIntrospectionDepthRule`` bounds it (its aliases count);
- aliases: every aliased field, counted each time its fragment is spread;
- root fields: distinct response names at the root (``__typename`` aside);
- repeats: how often one response name occurs in one selection set. Validation compares the
  fields of one name pairwise, so a few thousand copies of one field took seconds to validate
  while each copy adds nothing to the answer.

Each limit that is exceeded gives an error with its own code, for the request to be refused
before validation. ``IndexedSource`` keeps error locations cheap: graphql-core finds the line
of an error by scanning the document from its start, once per error, which made answering
many errors in a long document quadratic; this source finds it by binary search.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    SourceLocation,
    parse,
)

from domain.errors import LimitExceededError

_NEWLINE = re.compile(r"\r\n|[\n\r]")
_INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
# More copies of one response name in one selection set than any client writes: overlapping
# fragments rarely repeat a field more than a few times. (``__typename``, which clients add to
# every fragment, is not counted: without arguments or fields below it, it compares cheaply.)
MAX_REPEATED_FIELD = 30


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """What one document may ask for; ``None`` leaves a measure unchecked."""

    max_tokens: int | None = None
    max_depth: int | None = None
    max_aliases: int | None = None
    max_root_fields: int | None = None


class IndexedSource(Source):
    """A ``Source`` that locates a position by binary search over its line starts."""

    def __init__(self, body: str) -> None:
        super().__init__(body)
        self._newlines = [(match.start(), match.end()) for match in _NEWLINE.finditer(body)]
        self._starts = [start for start, _ in self._newlines]

    def get_location(self, position: int) -> SourceLocation:
        # As graphql-core counts: a newline that starts before the position begins a new line.
        before = bisect_left(self._starts, position)
        line_start = self._newlines[before - 1][1] if before else 0
        return SourceLocation(before + 1, position + 1 - line_start)


def parse_document(query: str, max_tokens: int | None) -> DocumentNode:
    """The parsed document; a ``GraphQLError`` for bad syntax or too many tokens (``MAX_TOKENS_LIMIT``)."""
    try:
        return parse(IndexedSource(query), max_lexical_tokens=max_tokens, max_comments=max_tokens)
    except GraphQLError as error:
        if max_tokens is not None and "Parsing aborted" in error.message:
            raise _limit_error(
                "MAX_TOKENS_LIMIT",
                f"the document has more than {max_tokens} tokens (or comments), the most a request may have",
                max_tokens,
            ) from None
        raise


def token_count(document: DocumentNode) -> int:
    """How many tokens (comments included) a parsed document holds: a measure of its memory.

    A parsed document keeps every token of its text (each node's location points into the
    list), a few hundred bytes each: a cache of documents is bounded by their tokens.
    """
    count = 0
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        count += 1
        token = token.next
    return count


def _limit_error(code: str, message: str, limit: int, requested: int | None = None) -> GraphQLError:
    extensions: dict[str, object] = {"limit": limit}
    if requested is not None:
        extensions["requested"] = requested
    cause = LimitExceededError(code, message, **extensions)
    return GraphQLError(message, original_error=cause, extensions=cause.extensions)


@dataclass(slots=True)
class _Measure:
    depth: int
    aliases: int


class _Shape:
    """Measures of one document, with each fragment's measured once (see the module docstring)."""

    def __init__(self, document: DocumentNode, depth_cap: int) -> None:
        self._fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self._depth_cap = depth_cap
        self._measured: dict[str, _Measure] = {}
        self._in_progress: set[str] = set()
        self.most_repeated = 0

    def measure(self, selection_set: SelectionSetNode) -> _Measure:
        """Depth (at most ``depth_cap``) and aliases of a selection set; also notes repeated names."""
        depth = aliases = 0
        self._note_repeats(selection_set)
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    aliases += 1
                below = _Measure(0, 0) if selection.selection_set is None else self._below(selection.selection_set)
                aliases += below.aliases
                if selection.name.value not in _INTROSPECTION_ROOTS and selection.name.value != "__typename":
                    depth = max(depth, 1 + below.depth)
            else:
                inner = self._fragment(selection.name.value) if isinstance(selection, FragmentSpreadNode) else None
                if isinstance(selection, InlineFragmentNode):
                    inner = self.measure(selection.selection_set)
                if inner is not None:
                    depth = max(depth, inner.depth)
                    aliases += inner.aliases
        return _Measure(min(depth, self._depth_cap), aliases)

    def _below(self, selection_set: SelectionSetNode) -> _Measure:
        # Past the cap the exact depth does not matter: stop descending, so nesting cannot
        # exhaust the interpreter's stack. Aliases below are then not counted, but the
        # request is refused for its depth anyway.
        if self._depth_cap <= 1:
            return _Measure(self._depth_cap, 0)
        self._depth_cap -= 1
        try:
            return self.measure(selection_set)
        finally:
            self._depth_cap += 1

    def _fragment(self, name: str) -> _Measure | None:
        fragment = self._fragments.get(name)
        if fragment is None or name in self._in_progress:
            return None  # unknown or cyclic: validation reports it
        key = f"{name}@{self._depth_cap}"
        measured = self._measured.get(key)
        if measured is None:
            self._in_progress.add(name)
            try:
                measured = self._measured[key] = self.measure(fragment.selection_set)
            finally:
                self._in_progress.discard(name)
        return measured

    def response_names(self, selection_set: SelectionSetNode) -> Counter[str]:
        """How often each response name occurs in a selection set, each fragment expanded once."""
        names: Counter[str] = Counter()
        expanded: set[str] = set()
        pending = [iter(selection_set.selections)]
        while pending:
            selection = next(pending[-1], None)
            if selection is None:
                pending.pop()
            elif isinstance(selection, FieldNode):
                names[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, InlineFragmentNode):
                pending.append(iter(selection.selection_set.selections))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self._fragments and name not in expanded:
                    expanded.add(name)
                    pending.append(iter(self._fragments[name].selection_set.selections))
        return names

    def _note_repeats(self, selection_set: SelectionSetNode) -> None:
        names = self.response_names(selection_set)
        names.pop("__typename", None)
        if names:
            self.most_repeated = max(self.most_repeated, names.most_common(1)[0][1])


def shape_errors(document: DocumentNode, limits: DocumentLimits) -> list[GraphQLError]:
    """Errors for each limit an operation of ``document`` exceeds (see the module docstring)."""
    errors: list[GraphQLError] = []
    depth_cap = (limits.max_depth or 10_000) + 1
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        shape = _Shape(document, depth_cap)
        try:
            measured = shape.measure(operation.selection_set)
        except RecursionError:
            message = "the document nests fragments too deeply to be measured"
            errors.append(_limit_error("MAX_DEPTH_LIMIT", message, limits.max_depth or 0))
            continue
        root_fields = len(shape.response_names(operation.selection_set).keys() - {"__typename"})
        if limits.max_depth is not None and measured.depth > limits.max_depth:
            message = f"the operation nests fields more than {limits.max_depth} deep"
            errors.append(_limit_error("MAX_DEPTH_LIMIT", message, limits.max_depth))
        if limits.max_aliases is not None and measured.aliases > limits.max_aliases:
            message = f"the operation has {measured.aliases} aliases; at most {limits.max_aliases} are allowed"
            errors.append(_limit_error("MAX_ALIASES_LIMIT", message, limits.max_aliases, measured.aliases))
        if limits.max_root_fields is not None and root_fields > limits.max_root_fields:
            message = f"the operation asks for {root_fields} root fields; at most {limits.max_root_fields} are allowed"
            errors.append(_limit_error("MAX_ROOT_FIELDS_LIMIT", message, limits.max_root_fields, root_fields))
        if shape.most_repeated > MAX_REPEATED_FIELD:
            message = f"a field is repeated more than {MAX_REPEATED_FIELD} times in one selection set"
            errors.append(_limit_error("MAX_REPEATED_FIELD_LIMIT", message, MAX_REPEATED_FIELD, shape.most_repeated))
        if errors:
            break
    return errors
