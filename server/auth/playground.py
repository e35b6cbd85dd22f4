"""Ready tokens for the playground: one per role of the policy, for a real employee of the graph.

Only with the development key (nothing configured for production): then whoever opens the
playground can act as any demo role at once, which is the point of a local playground and
would be a hole anywhere else. The employees are picked from the graph (``graph.demo_callers``)
and kept for a minute; the tokens are minted for each page load.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from domain.errors import CustomerGraphError
from graph.demo_callers import ANYONE, DemoCaller, demo_callers
from graph.store import Neo4jGraphStore
from server.auth.tokens import ClaimNames, SigningKey, mint_token

logger = logging.getLogger("customer_graph.auth")

TOKEN_TTL: Final = timedelta(hours=12)
PICKS_TTL_S: Final = 60.0
# The demo roles first, in the order a newcomer meets them; any other role after them.
DEMO_ORDER: Final = ("admin", "analyst", "service_agent", "back_office", "account_manager")


@dataclass(frozen=True, slots=True)
class PlaygroundIdentity:
    role: str
    description: str
    subject: str
    label: str
    token: str


class PlaygroundIdentities:
    """Mints the playground's tokens (see the module docstring)."""

    def __init__(
        self,
        signing: SigningKey,
        roles: Mapping[str, str],
        *,
        claims: ClaimNames,
        audience: str | None = None,
    ) -> None:
        self._signing = signing
        self._roles = sorted(roles.items(), key=lambda item: (_rank(item[0]), item[0]))
        self._claims = claims
        self._audience = audience
        self._picks: dict[str, DemoCaller] = {}
        self._picked_at = float("-inf")

    async def current(self, store: Neo4jGraphStore | None) -> list[PlaygroundIdentity]:
        picks = await self._employees(store)
        return [
            self._identity(role, description, picks.get(role) or picks.get(ANYONE)) for role, description in self._roles
        ]

    async def _employees(self, store: Neo4jGraphStore | None) -> Mapping[str, DemoCaller]:
        if store is not None and (not self._picks or time.monotonic() - self._picked_at > PICKS_TTL_S):
            try:
                self._picks = await demo_callers(store)
                self._picked_at = time.monotonic()
            except CustomerGraphError as error:
                logger.warning("playground: no employees to act as (%s)", error.message)
        return self._picks

    def _identity(self, role: str, description: str, employee: DemoCaller | None) -> PlaygroundIdentity:
        subject = employee.employee_id if employee is not None else f"playground-{role}"
        token = mint_token(
            self._signing, subject=subject, roles=[role], ttl=TOKEN_TTL, claims=self._claims, audience=self._audience
        )
        return PlaygroundIdentity(role, description, subject, _label(role, employee), token)


def _rank(role: str) -> int:
    return DEMO_ORDER.index(role) if role in DEMO_ORDER else len(DEMO_ORDER)


def _label(role: str, employee: DemoCaller | None) -> str:
    if employee is None:
        return role
    where = f", {employee.department}" if employee.department else ""
    return f"{role}: {employee.name} ({employee.employee_id}, {employee.title}{where})"


def as_config(identities: Sequence[PlaygroundIdentity]) -> list[dict[str, str]]:
    """What the page's script needs of each identity."""
    fields = ("role", "label", "description", "subject", "token")
    return [{name: getattr(item, name) for name in fields} for item in identities]
