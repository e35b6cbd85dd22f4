"""Apollo federated traces ("ftv1"): the per-field timings a gateway asks a subgraph for.

A gateway that reports usage to Apollo sends ``apollo-federation-include-trace: ftv1`` with
the operations it plans; a subgraph then adds ``extensions.ftv1`` to its response: the
base64 of a protobuf ``Trace`` (Apollo's ``reports.proto``) with one node per resolved field,
its return and parent type, its start and end in nanoseconds from the start of the request,
and each error at the field where it happened. The gateway decodes it and stitches it into
the trace of the whole query plan.

Only the messages and fields a subgraph fills in are written, by hand: the wire format of
these is varints and length-prefixed bytes, which takes less code than a generated protobuf
module and the runtime it needs. ``tests/federation`` checks the result with Apollo's own
decoder, as the gateway reads it. Errors are recorded as clients see them (masked where the
response masks them), so a trace never tells more than the response.
"""

from __future__ import annotations

import base64
import struct
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

import orjson
from graphql import GraphQLResolveInfo

INCLUDE_TRACE_HEADER = "apollo-federation-include-trace"
FTV1 = "ftv1"

_VARINT = 0
_FIXED64 = 1
_BYTES = 2

PathKey = tuple[str | int, ...]


@dataclass(slots=True)
class TraceNode:
    """``Trace.Node``: a field (``response_name``) or a list item (``index``) of the response."""

    response_name: str | None = None
    index: int | None = None
    original_field_name: str = ""
    type: str = ""
    parent_type: str = ""
    start_time: int = 0
    end_time: int = 0
    errors: list[Mapping[str, Any]] = field(default_factory=list)
    children: list[TraceNode] = field(default_factory=list)


class Ftv1Recorder:
    """Times every field of one request; a graphql-core middleware (``resolve``)."""

    def __init__(self) -> None:
        self._started_at_ns = time.time_ns()
        self._start = time.perf_counter_ns()
        self.root = TraceNode()
        self._nodes: dict[PathKey, TraceNode] = {(): self.root}

    def resolve(self, next_: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
        if info.field_name.startswith("__"):
            # __typename and introspection are not the schema's fields; Apollo's traces leave them out too.
            return next_(root, info, **args)
        node = self._node(tuple(info.path.as_list()))
        node.type = str(info.return_type)
        node.parent_type = info.parent_type.name
        if info.path.key != info.field_name:
            node.original_field_name = info.field_name
        node.start_time = self._elapsed()
        try:
            result = next_(root, info, **args)
        except Exception:
            node.end_time = self._elapsed()
            raise
        if isawaitable(result):
            return self._end_when_done(node, result)
        node.end_time = self._elapsed()
        return result

    async def _end_when_done(self, node: TraceNode, result: Awaitable[Any]) -> Any:
        try:
            return await result
        finally:
            node.end_time = self._elapsed()

    def add_errors(self, errors: Iterable[Mapping[str, Any]]) -> None:
        """Errors as sent to the client; each goes to the node of its path, or to the root."""
        for error in errors:
            path = error.get("path")
            node = self._node(tuple(path)) if path else self.root
            node.errors.append(error)

    def encode(self) -> str:
        """The finished trace, as the base64 ``extensions.ftv1`` value."""
        duration = self._elapsed()
        trace = b"".join(
            [
                _message(3, _timestamp(self._started_at_ns + duration)),  # end_time
                _message(4, _timestamp(self._started_at_ns)),  # start_time
                _varint_field(11, duration),  # duration_ns
                _message(14, _node(self.root)),  # root
                _tag(31, _FIXED64) + struct.pack("<d", 1.0),  # field_execution_weight: every trace counts once
            ]
        )
        return base64.b64encode(trace).decode("ascii")

    def _elapsed(self) -> int:
        return time.perf_counter_ns() - self._start

    def _node(self, path: PathKey) -> TraceNode:
        node = self._nodes.get(path)
        if node is None:
            key = path[-1]
            node = TraceNode(index=key) if isinstance(key, int) else TraceNode(response_name=key)
            self._node(path[:-1]).children.append(node)
            self._nodes[path] = node
        return node


def _node(node: TraceNode) -> bytes:
    parts: list[bytes] = []
    if node.response_name is not None:
        parts.append(_string(1, node.response_name))
    if node.index is not None:
        parts.append(_varint_field(2, node.index))
    if node.type:
        parts.append(_string(3, node.type))
    if node.response_name is not None:  # list items and the root are not timed, as in Apollo's own traces
        parts += [_varint_field(8, node.start_time), _varint_field(9, node.end_time)]
    parts += [_message(11, _error(error)) for error in node.errors]
    parts += [_message(12, _node(child)) for child in node.children]
    if node.parent_type:
        parts.append(_string(13, node.parent_type))
    if node.original_field_name:
        parts.append(_string(14, node.original_field_name))
    return b"".join(parts)


def _error(error: Mapping[str, Any]) -> bytes:
    parts = [_string(1, str(error.get("message", "")))]
    for location in error.get("locations") or []:
        parts.append(_message(2, _varint_field(1, location["line"]) + _varint_field(2, location["column"])))
    parts.append(_string(4, orjson.dumps(error).decode()))
    return b"".join(parts)


def _timestamp(ns: int) -> bytes:
    seconds, nanos = divmod(ns, 1_000_000_000)
    return _varint_field(1, seconds) + _varint_field(2, nanos)


def _tag(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _varint(value: int) -> bytes:
    if value < 0:
        raise ValueError("only non-negative varints are written here")
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _varint_field(number: int, value: int) -> bytes:
    return _tag(number, _VARINT) + _varint(value)


def _string(number: int, value: str) -> bytes:
    return _message(number, value.encode())


def _message(number: int, payload: bytes) -> bytes:
    return _tag(number, _BYTES) + _varint(len(payload)) + payload
