"""What a source configuration file says, checked: one pydantic model per connector kind.

Sources are declared in a TOML file (``sources.toml`` at the project root by default), not in
code. Each ``[sources.<name>]`` table gives the connector kind (``sql``, ``http`` or
``graphql``), where the system is (a DSN or URL), the entity and key its lookups serve, the
resilience knobs, the fields of a record and where each comes from in the answer, and the
row kinds it can export for a sync. ``${NAME}`` and ``${NAME:-default}`` in any string are
replaced from an environment mapping the caller passes in, so secrets stay out of the file;
``${CONFIG_DIR}`` is the folder of the file itself.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sources.interpolation import InterpolationError, interpolate_all

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")]
FieldType = Literal["str", "int", "float", "bool", "datetime", "date", "list", "object", "any"]
# Which key a lookup takes: the graph id of the entity, or its key in one source system.
KeyKind = Literal["id", "ERP", "CRM", "HR", "HELPDESK"]
Entity = Literal["Customer", "Order", "Product", "Employee", "Ticket"]


class SourceConfigError(ValueError):
    """The configuration file is missing, unreadable or does not describe valid sources."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Model):
    """Where one field of a record comes from: a column, or a dotted path into a JSON answer."""

    path: str | None = None
    type: FieldType = "any"
    optional: bool = False
    # A fixed value instead of a path: e.g. the system name of an exported identity row.
    value: str | int | float | bool | None = None

    @field_validator("path")
    @classmethod
    def _non_empty_path(cls, path: str | None) -> str | None:
        if path is not None and (not path or any(not part for part in path.split("."))):
            raise ValueError("a path is names joined by dots")
        return path

    @model_validator(mode="after")
    def _path_or_value(self) -> Self:
        if self.path is not None and self.value is not None:
            raise ValueError("a field has a path or a fixed value, not both")
        return self


def _field_specs(raw: Mapping[str, str | FieldSpec]) -> dict[str, FieldSpec]:
    return {name: FieldSpec(path=spec) if isinstance(spec, str) else spec for name, spec in raw.items()}


FieldMap = Annotated[dict[str, str | FieldSpec], Field(min_length=1)]


class Resilience(_Model):
    """Timeouts, retries, circuit breaker and cache of one source; the defaults suit a fast LAN."""

    # The whole budget of one call, retries included: a caller never waits much longer.
    timeout_s: float = Field(default=2.0, gt=0)
    connect_timeout_s: float = Field(default=0.5, gt=0)
    # Extra attempts after a transient failure, only for idempotent reads.
    retries: int = Field(default=2, ge=0, le=10)
    backoff_s: float = Field(default=0.05, ge=0)
    backoff_max_s: float = Field(default=0.5, ge=0)
    # Consecutive failed calls that open the circuit, and how long it stays open before a probe.
    failure_threshold: int = Field(default=5, ge=1)
    cool_down_s: float = Field(default=5.0, ge=0)
    # Per-key cache of answers (unknown keys included); 0 turns it off.
    cache_ttl_s: float = Field(default=2.0, ge=0)
    cache_max_entries: int = Field(default=10_000, ge=0)
    # Keys per request; a bigger batch is split into requests sent concurrently.
    max_batch: int = Field(default=200, ge=1)


class SourceBase(_Model):
    entity: Entity
    key: KeyKind = "id"
    description: str = ""
    resilience: Resilience = Resilience()
    fields: FieldMap

    def field_specs(self) -> dict[str, FieldSpec]:
        return _field_specs(self.fields)


class ExportBase(_Model):
    fields: FieldMap
    page_size: int = Field(default=500, ge=1, le=10_000)

    def field_specs(self) -> dict[str, FieldSpec]:
        return _field_specs(self.fields)


class SqlLookup(_Model):
    table: Identifier
    key_column: Identifier


class SqlExport(ExportBase):
    table: Identifier
    # A unique column the pages are cut along (keyset pagination: no OFFSET scans).
    order_by: Identifier


class SqlSourceConfig(SourceBase):
    kind: Literal["sql"]
    dsn: str = Field(min_length=1)
    pool_size: int = Field(default=5, ge=1)
    lookup: SqlLookup
    exports: dict[str, SqlExport] = {}


class HttpLookup(_Model):
    path: str = Field(pattern=r"^/")
    # GET sends the keys as one comma-separated query parameter, POST as a JSON list.
    method: Literal["GET", "POST"] = "GET"
    keys_param: str = "ids"
    items: str = Field(min_length=1, description="dotted path of the list of records in the answer")
    key_field: str = Field(min_length=1)
    # POST is not idempotent in HTTP terms: say so here when a POST lookup is a safe read.
    idempotent: bool | None = None

    @property
    def is_idempotent(self) -> bool:
        return self.idempotent if self.idempotent is not None else self.method == "GET"


class HttpExport(ExportBase):
    path: str = Field(pattern=r"^/")
    items: str = Field(min_length=1)
    cursor_param: str = "cursor"
    page_size_param: str = "limit"
    # Dotted path of the next page's cursor in the answer; null or absent on the last page.
    next_cursor: str = "next_cursor"


class HttpSourceConfig(SourceBase):
    kind: Literal["http"]
    base_url: str = Field(pattern=r"^https?://")
    headers: dict[str, str] = {}
    health_path: str = Field(default="/health", pattern=r"^/")
    lookup: HttpLookup
    exports: dict[str, HttpExport] = {}


class GraphqlLookup(_Model):
    query: str = Field(min_length=1)
    keys_variable: str = "keys"
    items: str = Field(min_length=1, description="dotted path under `data` of the list of records")
    key_field: str = Field(min_length=1)


class GraphqlExport(ExportBase):
    query: str = Field(min_length=1)
    items: str = Field(min_length=1)
    next_cursor: str = Field(min_length=1, description="dotted path under `data`; null on the last page")
    cursor_variable: str = "after"
    page_size_variable: str = "first"


class GraphqlSourceConfig(SourceBase):
    kind: Literal["graphql"]
    url: str = Field(pattern=r"^https?://")
    headers: dict[str, str] = {}
    lookup: GraphqlLookup
    exports: dict[str, GraphqlExport] = {}


SourceConfig = Annotated[SqlSourceConfig | HttpSourceConfig | GraphqlSourceConfig, Field(discriminator="kind")]


class SourcesFile(_Model):
    sources: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], SourceConfig] = {}


def parse_sources(text: str, environ: Mapping[str, str], *, config_dir: Path) -> SourcesFile:
    """Check a configuration text; ``environ`` fills in ``${NAME}`` references."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourceConfigError(f"not valid TOML: {exc}") from None
    variables = {**environ, "CONFIG_DIR": str(config_dir)}
    try:
        return SourcesFile.model_validate(interpolate_all(raw, variables))
    except InterpolationError as exc:
        raise SourceConfigError(str(exc)) from None
    except ValidationError as exc:
        raise SourceConfigError(f"invalid sources configuration:\n{exc}") from None


def load_sources(path: Path, environ: Mapping[str, str]) -> SourcesFile:
    """Read and check the configuration file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_sources(text, environ, config_dir=path.resolve().parent)
