"""What every resolver can reach during one request."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry

from graph.store import Neo4jGraphStore
from resolvers.loaders import Loaders


@dataclass
class Context:
    store: Neo4jGraphStore
    max_page_size: int = 100
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.store)


Info = strawberry.Info[Context, None]
