"""Row rules compiled into Cypher: which nodes of a label the caller may see.

A role's row rule is a graph pattern from the row to the caller, as ``policy.toml`` writes it,
for example ``(row)<-[:SERVES]-(:Department)<-[:WORKS_IN]-(caller)``. ``parse_pattern`` reads
one strictly (nodes with at most a label, relationships with exactly one type and a
direction; the first node is ``(row)``, ``(caller)`` is the caller's employee node) and
refuses anything else, so a rule can only ever become a pattern of this shape.
``RowScope`` compiles the rules of a set of roles for one caller:

- the statements of ``graph.queries``, ``graph.listing``, ``graph.trace.queries`` and
  ``graph.trace.path_queries`` mark where a node of a ruled label is read, as ``@visible(Label, v)``
  (a predicate), ``@where(Label, v)`` (a whole ``WHERE`` clause, left out when the label is
  not restricted, so counts keep reading Neo4j's degree store) or ``@nodes(p)`` (every node
  of the path ``p`` visible); ``@where(Order, o, <-PLACED-Customer)`` marks rows read from a
  parent the statement already checked, and is left out when the rules make them visible with
  their parent (``RowScope.implied``);
- ``compile`` replaces each mark with ``EXISTS { MATCH <pattern> }`` for the label's patterns
  (several: any of them), ``true`` (not restricted) or ``false`` (no row at all);
- the caller's employee id goes in as the parameter ``$caller_id``, never into the text.

A statement with a mark left in it is not Cypher (``@`` is no token of the language), so a
statement that reached Neo4j without being compiled fails loudly instead of reading every row.
Only the labels in ``RULED_LABELS`` carry marks; the policy check refuses a rule on any other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, LiteralString

# The labels whose reads carry marks: a row rule for any other label would not be enforced.
RULED_LABELS: Final = frozenset({"Customer", "Order", "Interaction", "Ticket"})
MAX_PATTERN_HOPS: Final = 8

_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_NODE = re.compile(rf"\(\s*(?P<var>{_NAME})?\s*(?::\s*(?P<label>{_NAME}))?\s*\)")
_RELATIONSHIP = re.compile(r"(?P<left><)?-\[\s*:\s*(?P<type>[A-Z][A-Z0-9_]*)\s*\]-(?P<right>>)?")
_MARK = re.compile(r"@(visible|where)\((\w+), (\w+)(?:, <-(\w+)-(\w+))?\)|@(nodes)\((\w+)\)")


class PatternError(ValueError):
    """A row rule that is not a pattern of the accepted shape."""


@dataclass(frozen=True, slots=True)
class Hop:
    rel_type: str
    outgoing: bool  # from the node before it to the node after it
    label: str | None  # the label of the node it reaches
    caller: bool  # whether that node is the caller


@dataclass(frozen=True, slots=True)
class Pattern:
    """A parsed row rule: from ``(row)`` along its hops."""

    hops: tuple[Hop, ...]

    def cypher(self, row: str) -> str:
        """``EXISTS { ... }`` for the pattern from the node ``row``."""
        return "EXISTS { " + _walk(row, self.hops) + " }"

    @property
    def serving(self) -> bool:
        """Whether the pattern reaches the row over ``SERVES`` from a department, which then
        lists its rows from the ``SERVES`` indexes (``graph.serves``)."""
        first = self.hops[0]
        return first.rel_type == "SERVES" and not first.outgoing and first.label == "Department" and not first.caller


def _walk(start: str, hops: tuple[Hop, ...]) -> str:
    """The hops from the node ``start`` as ``MATCH`` clauses, one per hop, so a walk may use a
    relationship twice (Cypher keeps one ``MATCH`` from doing so, and then "an employee of the
    caller's department" would leave out the caller)."""
    clauses = []
    before = start
    for number, hop in enumerate(hops, start=1):
        arrow = f"-[:{hop.rel_type}]->" if hop.outgoing else f"<-[:{hop.rel_type}]-"
        if hop.caller:
            after, node = "", "(:Employee {id: $caller_id})"
        else:
            after = f"rule_node_{number}"
            node = f"({after}:{hop.label})" if hop.label else f"({after})"
        clauses.append(f"MATCH ({before}){arrow}{node}")
        before = after
    return " ".join(clauses)


def parse_pattern(text: str) -> Pattern:
    """The pattern ``text`` describes, or a ``PatternError`` saying where it goes wrong."""
    position = _skip_space(text, 0)
    first = _NODE.match(text, position)
    if first is None or first.group("var") != "row":
        raise PatternError("a row rule starts with the node (row)")
    position = _skip_space(text, first.end())
    hops: list[Hop] = []
    while position < len(text):
        relationship = _RELATIONSHIP.match(text, position)
        if relationship is None:
            raise PatternError(f"expected a relationship such as -[:TYPE]-> at character {position + 1}")
        left, right = relationship.group("left"), relationship.group("right")
        if bool(left) == bool(right):
            raise PatternError(f"relationship at character {position + 1} needs exactly one direction")
        position = _skip_space(text, relationship.end())
        node = _NODE.match(text, position)
        if node is None:
            raise PatternError(f"expected a node such as (:Label) at character {position + 1}")
        var, label = node.group("var"), node.group("label")
        if var not in (None, "caller"):
            raise PatternError(f"only (row) and (caller) may be named, not ({var})")
        if var == "caller" and label not in (None, "Employee"):
            raise PatternError("(caller) is the caller's Employee node")
        hops.append(Hop(relationship.group("type"), outgoing=bool(right), label=label, caller=var == "caller"))
        position = _skip_space(text, node.end())
    if not hops:
        raise PatternError("a row rule needs at least one relationship from (row)")
    if len(hops) > MAX_PATTERN_HOPS:
        raise PatternError(f"a row rule has at most {MAX_PATTERN_HOPS} relationships")
    if sum(hop.caller for hop in hops) > 1:
        raise PatternError("(caller) may appear once")
    return Pattern(tuple(hops))


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


class RowScope:
    """The row rules of one set of roles, compiled; see the module docstring.

    ``rules`` maps a label to its patterns as text: absent, the label is not restricted; an
    empty tuple, no row of it is visible.
    """

    def __init__(self, rules: Mapping[str, tuple[str, ...]]) -> None:
        # "No row" for a label without marks is left to the field checks: a caller who reads
        # nothing of a type cannot select it. A pattern for one could not be enforced.
        unknown = {label for label, texts in rules.items() if label not in RULED_LABELS and texts}
        if unknown:
            raise PatternError(f"row rules cannot be enforced for {sorted(unknown)}")
        self._patterns = {
            label: tuple(parse_pattern(text) for text in texts)
            for label, texts in rules.items()
            if label in RULED_LABELS
        }
        self.restricted = frozenset(self._patterns)
        self.uses_caller = any(hop.caller for ps in self._patterns.values() for p in ps for hop in p.hops)
        self._compiled: dict[str, LiteralString] = {}

    def restricts(self, label: str) -> bool:
        return label in self._patterns

    def predicate(self, label: str, row: str) -> str:
        """Cypher that holds for the rows of ``label`` (bound to ``row``) the caller may see."""
        if label not in RULED_LABELS:
            raise ValueError(f"{label} carries no row rules")
        patterns = self._patterns.get(label)
        if patterns is None:
            return "true"
        if not patterns:
            return "false"
        return " OR ".join(pattern.cypher(row) for pattern in patterns)

    def serving_scopes(self, label: str) -> LiteralString | None:
        """The start of a statement that binds ``scopes``, the ids of the departments whose
        ``SERVES`` the caller's rows of ``label`` are, when the label's one rule reaches them
        that way (see ``graph.listing.served_page_query``); else None."""
        patterns = self._patterns.get(label)
        if patterns is None or len(patterns) != 1 or not patterns[0].serving:
            return None
        rest = patterns[0].hops[1:]
        if not rest or not rest[-1].caller:
            return None
        # From the caller back to the department, so the walk starts at one node (a unique seek).
        clauses = []
        before = "(:Employee {id: $caller_id})"
        for number, hop in enumerate(reversed(rest[:-1]), start=1):
            arrow = f"<-[:{hop.rel_type}]-" if hop.outgoing else f"-[:{hop.rel_type}]->"
            after = f"rule_node_{number}"
            clauses.append(f"MATCH {before}{arrow}({after}{':' + hop.label if hop.label else ''})")
            before = f"({after})"
        last = rest[-1]
        arrow = f"<-[:{last.rel_type}]-" if last.outgoing else f"-[:{last.rel_type}]->"
        clauses.append(f"MATCH {before}{arrow}(scope:Department)")
        return " ".join(clauses) + " WITH collect(DISTINCT scope.id) AS scopes"

    def compile(self, query: LiteralString) -> LiteralString:
        """``query`` with its marks replaced (kept per text: statements are a fixed set)."""
        compiled = self._compiled.get(query)
        if compiled is None:
            # The marks' replacements come from the policy's checked patterns, never from a request.
            compiled = _MARK.sub(self._replace, query)
            if len(self._compiled) < 10_000:
                self._compiled[query] = compiled
        return compiled

    def nodes_predicate(self, path: str) -> str:
        """Cypher that holds when the caller may see every node of ``path``."""
        if not self._patterns:
            return "true"
        checks = [f"(NOT node:{label} OR {self.predicate(label, 'node')})" for label in sorted(self._patterns)]
        return f"all(node IN nodes({path}) WHERE " + " AND ".join(checks) + ")"

    def implied(self, label: str, rel_type: str, parent: str) -> bool:
        """Whether every row of ``label`` reached over ``<-[:rel_type]-`` from a visible row of
        ``parent`` is visible: each of the parent's patterns, after that one hop, is one of the
        label's (an order is visible when its customer is). A statement that reads the rows from
        a parent it already checked then checks nothing more, and its counts stay degree counts."""
        own = self._patterns.get(label)
        if own is None:
            return True
        parents = self._patterns.get(parent)
        if parents is None or not parents:
            return False
        first = Hop(rel_type, outgoing=False, label=parent, caller=False)
        return all(Pattern((first, *each.hops)) in own for each in parents)

    def _replace(self, mark: re.Match[str]) -> str:
        kind, label, row, rel_type, parent, nodes, path = mark.groups()
        if nodes:
            return self.nodes_predicate(path)
        if rel_type and self.implied(label, rel_type, parent):
            return "true" if kind == "visible" else ""
        if kind == "visible":
            return "(" + self.predicate(label, row) + ")"
        return "" if not self.restricts(label) else " WHERE " + self.predicate(label, row)


@lru_cache(maxsize=256)
def _scope(rules: tuple[tuple[str, tuple[str, ...]], ...]) -> RowScope:
    return RowScope(dict(rules))


def row_scope(rules: Mapping[str, tuple[str, ...]]) -> RowScope:
    """The compiled scope of ``rules``, shared by every request with the same rules."""
    return _scope(tuple(sorted(rules.items())))


UNRESTRICTED: Final = row_scope({})
