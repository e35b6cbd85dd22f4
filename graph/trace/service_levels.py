"""Service levels follow customer value: response and resolution targets per value tier.

A ticket is *responded to* when it is first assigned to someone (its first ``ASSIGNED_TO``)
and *resolved* when it is closed (``closed_at``). Each clock runs from ``opened_at``. A clock
is ``BREACHED`` once its elapsed time exceeds the target, ``AT_RISK`` once it has used the
at-risk share of it (80% by default), ``MET`` when it stopped in time, else ``ON_TRACK``.
The composition root builds ``ServiceLevels`` from settings and passes it down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graph.model import Tier

HOUR = 3600.0

DEFAULT_RESPOND_HOURS: Mapping[Tier, float] = {Tier.PLATINUM: 1, Tier.GOLD: 4, Tier.SILVER: 8, Tier.BRONZE: 24}
DEFAULT_RESOLVE_HOURS: Mapping[Tier, float] = {Tier.PLATINUM: 8, Tier.GOLD: 24, Tier.SILVER: 72, Tier.BRONZE: 120}
DEFAULT_AT_RISK_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class Target:
    respond_seconds: float
    resolve_seconds: float


@dataclass(frozen=True, slots=True)
class ServiceLevels:
    """Targets per tier and the share of a target after which a ticket is at risk."""

    targets: Mapping[Tier, Target]
    at_risk_share: float = DEFAULT_AT_RISK_SHARE

    def __post_init__(self) -> None:
        missing = set(Tier) - set(self.targets)
        if missing:
            raise ValueError(f"service levels miss the tiers {sorted(tier.value for tier in missing)}")
        for tier, target in self.targets.items():
            if not 0 < target.respond_seconds <= target.resolve_seconds:
                raise ValueError(f"{tier.value}: targets must be positive and respond no later than resolve")
        if not 0 < self.at_risk_share < 1:
            raise ValueError("the at-risk share must lie between 0 and 1")

    @classmethod
    def from_hours(
        cls,
        respond: Mapping[str, float] | None = None,
        resolve: Mapping[str, float] | None = None,
        at_risk_share: float = DEFAULT_AT_RISK_SHARE,
    ) -> ServiceLevels:
        """Targets in hours by tier name; a tier left out keeps its default."""
        respond_hours = {**DEFAULT_RESPOND_HOURS, **{Tier(name): hours for name, hours in (respond or {}).items()}}
        resolve_hours = {**DEFAULT_RESOLVE_HOURS, **{Tier(name): hours for name, hours in (resolve or {}).items()}}
        targets = {tier: Target(respond_hours[tier] * HOUR, resolve_hours[tier] * HOUR) for tier in Tier}
        return cls(targets=targets, at_risk_share=at_risk_share)

    def as_parameters(self) -> dict[str, object]:
        """The targets as Cypher parameters: a map keyed by tier name."""
        return {
            "targets": {
                tier.value: {"respond": target.respond_seconds, "resolve": target.resolve_seconds}
                for tier, target in self.targets.items()
            },
            "at_risk_share": self.at_risk_share,
        }


DEFAULT_SERVICE_LEVELS = ServiceLevels.from_hours()
