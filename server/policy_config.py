"""Read ``policy.toml``: the roles, what each reads, masks and sees of the graph's rows.

The file is checked twice when the service starts, and either check stops the start with a
``PolicyError`` that names the file, the role, the entry and (where it can be found) the line:
its shape here (``read`` is ``"*"`` or a list of names, masks are ``"null"`` or ``"redact"``,
rows are pattern strings), then every name against the GraphQL schema
(``resolvers.access.policy_problems``). Row patterns are kept as text for the graph layer.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from graphql import GraphQLSchema
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.access import EVERYTHING, MaskMode, Policy, RolePolicy, RowRuleText
from resolvers.access import PolicyProblem, graph_labels, policy_problems
from server.settings import Settings

ROLE_NAME = r"^[a-z][a-z0-9_]{0,63}$"
# "Type" or "Type.field", as GraphQL names them.
READ_NAME = r"^[_A-Za-z][_0-9A-Za-z]*(\.[_A-Za-z][_0-9A-Za-z]*)?$"
FIELD_NAME = r"^[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*$"
MAX_PATTERN_CHARS = 1000
_TABLE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")


class PolicyError(ValueError):
    """The policy file is missing, unreadable, or says something that does not fit the schema."""


Pattern = Annotated[str, Field(min_length=1, max_length=MAX_PATTERN_CHARS)]


class _RoleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    read: Literal["*"] | list[Annotated[str, Field(pattern=READ_NAME)]]
    mask: dict[Annotated[str, Field(pattern=FIELD_NAME)], MaskMode] = {}
    rows: dict[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")], Pattern | list[Pattern]] = {}
    write: Literal["*"] | list[Annotated[str, Field(pattern=r"^[_A-Za-z][_0-9A-Za-z]*$")]] = []
    acts_for_others: bool = False

    @field_validator("rows")
    @classmethod
    def _some_pattern(cls, rows: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for label, patterns in rows.items():
            if isinstance(patterns, list) and not patterns:
                raise ValueError(f"'{label}' needs at least one pattern")
        return rows


class _PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: dict[Annotated[str, Field(pattern=ROLE_NAME)], _RoleEntry] = Field(min_length=1)


def _role_policy(name: str, entry: _RoleEntry) -> RolePolicy:
    reads_everything = entry.read == EVERYTHING
    names = [] if isinstance(entry.read, str) else entry.read
    fields = {tuple(name.split(".", 1)) for name in names if "." in name}
    return RolePolicy(
        name=name,
        reads_everything=reads_everything,
        read_types=frozenset(name for name in names if "." not in name),
        read_fields=frozenset((owner, field) for owner, field in fields),
        masks={(owner, field): mode for key, mode in entry.mask.items() for owner, field in [key.split(".", 1)]},
        rows={
            label: RowRuleText(label, (patterns,) if isinstance(patterns, str) else tuple(patterns))
            for label, patterns in entry.rows.items()
        },
        writes=frozenset([entry.write] if isinstance(entry.write, str) else entry.write),
        acts_for_others=entry.acts_for_others,
    )


class PolicyFile:
    """A checked policy file: the domain ``Policy`` and each role's description."""

    def __init__(self, path: Path, text: str, schema: GraphQLSchema) -> None:
        self.path = path
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"{path}: not valid TOML: {exc}") from None
        try:
            checked = _PolicyFile.model_validate(raw)
        except ValidationError as exc:
            raise PolicyError(f"{path}: {_shape_errors(exc)}") from None
        self.descriptions = {name: entry.description for name, entry in checked.roles.items()}
        roles = {name: _role_policy(name, entry) for name, entry in checked.roles.items()}
        self.policy = Policy(roles, labels=graph_labels(schema))
        problems = policy_problems(self.policy, schema)
        if problems:
            lines = [_located(path, text, problem) for problem in problems]
            raise PolicyError(f"{path} does not fit the schema:\n" + "\n".join(lines))

    @classmethod
    def load(cls, path: Path, schema: GraphQLSchema) -> PolicyFile:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"cannot read the policy file {path}: {exc.strerror or exc}") from None
        return cls(path, text, schema)


def load_policy(settings: Settings, schema: GraphQLSchema) -> PolicyFile:
    """The settings' policy file, checked against the schema and the anonymous role."""
    policy_file = PolicyFile.load(settings.policy_file, schema)
    anonymous = settings.auth_anonymous_role
    if anonymous is not None and anonymous not in policy_file.policy.roles:
        known = ", ".join(policy_file.policy.roles)
        raise PolicyError(f"CG_AUTH_ANONYMOUS_ROLE names '{anonymous}', which {settings.policy_file} lacks ({known})")
    return policy_file


def _shape_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        lines.append(f"  {where}: {error['msg']}")
    return "the policy is not valid:\n" + "\n".join(lines)


def line_of(text: str, role: str, section: str, entry: str) -> int | None:
    """The line of ``entry`` within the tables of ``role`` (``[roles.<role>]`` and its sub-tables)."""
    table = ""
    wanted = (f"roles.{role}", f"roles.{role}.{section}")
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header is not None:
            table = header.group(1).replace('"', "").replace(" ", "")
            continue
        if table in wanted and (f'"{entry}"' in line or line.lstrip().startswith(f"{entry} ")):
            return number
    return None


def _located(path: Path, text: str, problem: PolicyProblem) -> str:
    line = line_of(text, problem.role, problem.section, problem.entry)
    where = f"{path.name}:{line}" if line is not None else path.name
    return f"  {where}: role '{problem.role}', {problem.section} '{problem.entry}': {problem.message}"
