"""Composition root of the live sources: read the configuration, build, open and close them.

``SourceRegistry.from_file(path, environ)`` reads ``sources.toml`` (see ``sources.config``),
builds one connector per entry (SQL, HTTP/JSON or GraphQL) and, used as an async context
manager, opens their pools and clients on entry and closes them on exit. The app's lifespan,
the ``sync`` command and the benchmarks hold one registry each and look sources up by name,
or by what their lookups are keyed by (``serving("Customer", "CRM")``).

``environ`` fills in the file's ``${NAME}`` references: the caller passes the process
environment once, as it builds its settings once; nothing here reads ``os.environ``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from sources.config import (
    GraphqlSourceConfig,
    HttpSourceConfig,
    SourceConfigError,
    SourcesFile,
    SqlSourceConfig,
    load_sources,
)
from sources.graphql_remote import GraphqlSource
from sources.guarded import GuardedSource
from sources.http_json import HttpSource
from sources.port import SourceHealth
from sources.sql import SqlSource

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCES_FILE = PROJECT_ROOT / "sources.toml"

Connector = SqlSource | HttpSource | GraphqlSource


def build_source(name: str, config: SqlSourceConfig | HttpSourceConfig | GraphqlSourceConfig) -> Connector:
    """The connector for one configured source (not opened yet)."""
    if isinstance(config, SqlSourceConfig):
        return SqlSource(name, config)
    if isinstance(config, HttpSourceConfig):
        return HttpSource(name, config)
    return GraphqlSource(name, config)


class SourceRegistry(Mapping[str, GuardedSource]):
    """The configured sources by name, in configuration order; open them with ``async with``.

    It is a read-only mapping, so it can be handed to the resolvers as their port
    (``Mapping[str, Source]``) without them knowing this class.
    """

    def __init__(self, sources: Mapping[str, GuardedSource]) -> None:
        self._sources = dict(sources)
        self._open = False

    @classmethod
    def from_config(cls, config: SourcesFile) -> SourceRegistry:
        try:
            return cls({name: build_source(name, entry) for name, entry in config.sources.items()})
        except ValueError as exc:
            raise SourceConfigError(str(exc)) from None

    @classmethod
    def from_file(cls, path: Path, environ: Mapping[str, str]) -> SourceRegistry:
        return cls.from_config(load_sources(path, environ))

    async def __aenter__(self) -> Self:
        opened: list[GuardedSource] = []
        try:
            for source in self._sources.values():
                await source.open()
                opened.append(source)
        except BaseException:
            await asyncio.gather(*(source.aclose() for source in opened), return_exceptions=True)
            raise
        self._open = True
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._open = False
        results = await asyncio.gather(*(source.aclose() for source in self._sources.values()), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result

    def __getitem__(self, name: str) -> GuardedSource:
        try:
            return self._sources[name]
        except KeyError:
            known = ", ".join(sorted(self._sources)) or "none"
            raise KeyError(f"no source '{name}' is configured (configured: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    @property
    def names(self) -> list[str]:
        return list(self._sources)

    def serving(self, entity: str, key: str = "id") -> list[GuardedSource]:
        """The sources whose lookups take this entity's ``key`` (``id`` or a system name)."""
        wanted = (entity, key)
        return [source for source in self._sources.values() if (source.serves.entity, source.serves.key) == wanted]

    def exporting(self) -> list[GuardedSource]:
        return [source for source in self._sources.values() if source.exports]

    async def health(self) -> list[SourceHealth]:
        """Every source's health, checked concurrently (never raises)."""
        return list(await asyncio.gather(*(source.health() for source in self._sources.values())))
