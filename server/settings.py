"""Settings: read once from the environment (and `.env`), then passed down explicitly.

Nothing else in the project reads ``os.environ``. Neo4j is reached at ``NEO4J_URI`` when it is
set (a server, a cluster or Aura); otherwise the project starts its own embedded Neo4j on
loopback and uses that.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.load.loader import DEFAULT_BATCH_SIZE
from graph.trace.service_levels import (
    DEFAULT_AT_RISK_SHARE,
    DEFAULT_RESOLVE_HOURS,
    DEFAULT_RESPOND_HOURS,
    ServiceLevels,
)
from server.persisted_queries import DEFAULT_APQ_CACHE_BYTES

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The playground's example queries as a persisted-query manifest (`customer-graph export-manifest`).
PLAYGROUND_MANIFEST = PROJECT_ROOT / "server" / "playground" / "persisted-query-manifest.json"
BROKER_SCHEMES = ("redis", "rediss", "unix")
NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CG_", env_file=".env", extra="ignore")

    # Neo4j: NEO4J_* names are the ones every Neo4j tool uses, so they are accepted as they are.
    neo4j_uri: str | None = Field(default=None, validation_alias=AliasChoices("NEO4J_URI", "CG_NEO4J_URI"))
    neo4j_user: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "NEO4J_USERNAME"))
    neo4j_password: SecretStr = Field(default=SecretStr(""), validation_alias=AliasChoices("NEO4J_PASSWORD"))
    neo4j_database: str = Field(default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE", "CG_NEO4J_DATABASE"))

    # The embedded Neo4j started when NEO4J_URI is not set.
    local_neo4j_home: Path = PROJECT_ROOT / ".local" / "neo4j"
    local_neo4j_port: int = 7687
    local_neo4j_heap_mb: int = 3072
    local_neo4j_page_cache_mb: int = 4096

    # The API. `serve` runs one worker process per core unless told otherwise (CG_WORKERS).
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int | None = Field(default=None, ge=1)
    max_page_size: int = Field(default=100, ge=1)
    log_level: str = "info"
    # Origins whose browser pages may call the API, e.g. ["https://studio.apollographql.com"]
    # (a JSON list in CG_CORS_ALLOWED_ORIGINS); empty: same origin only.
    cors_allowed_origins: list[str] = Field(default_factory=list)

    # What one request may ask for and spend (README, "Limits"). Each limit refused answers its
    # own extensions.code before anything runs; see README for the codes.
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    max_tokens: int = Field(default=3_000, gt=0)
    max_depth: int = Field(default=12, gt=0)
    max_aliases: int = Field(default=30, ge=0)
    max_root_fields: int = Field(default=20, gt=0)
    max_representations: int = Field(default=500, gt=0)
    max_cost: int = Field(default=100_000, gt=0)
    # The deadline of a request: Neo4j statements and live sources get the time left, and a
    # request still running at it answers REQUEST_TIMEOUT.
    request_timeout_s: float = Field(default=10.0, gt=0)
    # Cypher statements one request may have running at once (the driver's pool holds 100).
    max_statements_in_flight: int = Field(default=8, gt=0)
    # Errors one response carries; the rest are counted in one TOO_MANY_ERRORS error.
    max_errors: int = Field(default=50, gt=0)
    # Off: no depth, alias, root-field, representation or cost limit and no cost estimate (the
    # body, token, time, statement and error limits stay). For comparing, not for production.
    operation_limits_enabled: bool = True

    # Persisted operations (server/persisted_queries.py). APQ: clients send a query's SHA-256
    # instead of its text once this process has seen it; the store is per worker process and
    # bounded in bytes. Manifests (Apollo's JSON format, a JSON list of paths) list operations
    # that run by id; with the safelist required, nothing else runs (introspection aside, if
    # allowed, so GraphiQL and codegen can read the schema).
    apq_enabled: bool = True
    apq_cache_bytes: int = Field(default=DEFAULT_APQ_CACHE_BYTES, ge=0)
    persisted_query_manifests: list[Path] = Field(default_factory=lambda: [PLAYGROUND_MANIFEST])
    safelist_required: bool = False
    safelist_allows_introspection: bool = True
    # Cache-Control of GET responses without errors (GET is how a CDN can cache by hash). The
    # default keeps them out of every cache: answers hold live data and, once callers
    # authenticate, are theirs alone. Set e.g. "public, max-age=60" only for a public graph.
    get_cache_control: str = "no-store"

    # Service levels by customer value tier, in hours (JSON in the environment, e.g.
    # CG_SLA_RESPOND_HOURS='{"PLATINUM": 0.5}'); a tier left out keeps its default. A ticket is
    # at risk once it has used this share of a target.
    sla_respond_hours: dict[str, float] = Field(
        default_factory=lambda: {tier.value: hours for tier, hours in DEFAULT_RESPOND_HOURS.items()}
    )
    sla_resolve_hours: dict[str, float] = Field(
        default_factory=lambda: {tier.value: hours for tier, hours in DEFAULT_RESOLVE_HOURS.items()}
    )
    sla_at_risk_share: float = DEFAULT_AT_RISK_SHARE

    # Live sources: the systems of record the live fields read (Order.live, Customer.crm, ...),
    # declared in a TOML file (${VAR} references in it are filled from the environment). Off:
    # every live field is null with a SOURCE_UNAVAILABLE error saying no source is configured.
    sources_file: Path = PROJECT_ROOT / "sources.toml"
    sources_enabled: bool = True

    # Write-through (server/delivery.py): ticket changes wait in the graph's outbox until a
    # delivery worker hands them to the helpdesk. Each API process runs one when this is on
    # (`serve` turns it on); items are leased for outbox_lease_seconds, retried with a backoff
    # from outbox_backoff_base_ms doubling per attempt, and failed after outbox_max_attempts.
    outbox_delivery: bool = False
    helpdesk_url: str = Field(default="http://127.0.0.1:8701", validation_alias=AliasChoices("CG_HELPDESK_URL"))
    helpdesk_token: SecretStr = Field(
        default=SecretStr("demo-helpdesk-token"), validation_alias=AliasChoices("CG_HELPDESK_TOKEN")
    )
    # Webhooks from the helpdesk (server/webhooks.py), signed with this secret; unset: refused.
    helpdesk_webhook_secret: SecretStr | None = None
    outbox_lease_seconds: float = Field(default=30.0, gt=0)
    outbox_max_attempts: int = Field(default=12, ge=1)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_backoff_base_ms: int = Field(default=500, ge=0)

    # Subscriptions (server/events.py, server/subscriptions.py): each process tails the graph's
    # event log every events_poll_seconds and keeps events_retention_seconds of it for clients
    # that resume; it holds at most subscriptions_max_per_process subscribers, of which
    # subscriptions_max_per_caller for one caller (a token's subject), and a connection
    # subscriptions_max_per_connection operations, each with a queue of subscriptions_queue_size
    # events (a subscriber further behind is dropped). Service-level alerts tick every
    # sla_alert_tick_seconds.
    events_enabled: bool = True
    events_poll_seconds: float = Field(default=0.1, gt=0)
    events_retention_seconds: float = Field(default=3_600.0, gt=0)
    subscriptions_max_per_process: int = Field(default=10_000, ge=1)
    subscriptions_max_per_caller: int = Field(default=1_000, ge=1)
    subscriptions_max_per_connection: int = Field(default=50, ge=1)
    subscriptions_queue_size: int = Field(default=1_000, ge=1)
    sla_alert_tick_seconds: float = Field(default=30.0, gt=0)
    # A broker for scale-out (server/broker.py, README "Delivery across processes"): a Redis URL
    # (redis://[:password@]host:port/db, rediss:// with TLS, unix:///path.sock). One process
    # relays the log to the stream events_broker_stream, and every process reads it instead of
    # polling the graph. Empty: every process polls the graph's event log itself.
    events_broker: str = ""
    events_broker_stream: str = Field(default="customer-graph:events", min_length=1)

    # Identity and access (README, "Identity and access"). Bearer tokens (JWTs) are verified with
    # the keys of an identity provider's JWKS URL, or a shared secret (HS256), or else with the
    # development key under auth_dev_keys_dir, which is refused once an issuer or JWKS URL is set.
    auth_jwks_url: str | None = None
    auth_shared_secret: SecretStr | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_clock_skew_seconds: float = Field(default=30.0, ge=0, le=300)
    # Claims: the subject, the employee the caller is (a graph Employee id) and the role names
    # (a list, or one space-separated string). A dotted name reads a nested claim.
    auth_subject_claim: str = "sub"
    auth_employee_claim: str = "sub"
    auth_roles_claim: str = "roles"
    # Requests without a token get this role; unset, they answer 401.
    auth_anonymous_role: str | None = None
    # A token naming a key the JWKS does not hold fetches it again, at most this often.
    auth_jwks_min_refresh_seconds: float = Field(default=30.0, gt=0)
    auth_jwks_max_age_seconds: float = Field(default=600.0, gt=0)
    auth_dev_keys_dir: Path = PROJECT_ROOT / ".local" / "dev-keys"
    # Verified tokens kept per process (by their SHA-256), each for at most auth_token_cache_seconds.
    auth_token_cache_size: int = Field(default=10_000, ge=0)
    auth_token_cache_seconds: float = Field(default=300.0, ge=0)
    # Which roles may read what (policy.toml beside sources.toml).
    policy_file: Path = PROJECT_ROOT / "policy.toml"

    # Loading.
    load_batch_size: int = Field(default=DEFAULT_BATCH_SIZE, ge=1)
    demo_preset: str = "demo"
    demo_seed: int = 7
    # Where `serve` starts the demo systems of record: helpdesk, HR and CRM on this port and the
    # next two (the defaults in sources.toml; `serve` points the sources at other ports itself).
    demo_systems_base_port: int = 8701

    @field_validator("get_cache_control")
    @classmethod
    def _is_a_header_value(cls, value: str) -> str:
        if not value or any(not " " <= char <= "~" for char in value):
            raise ValueError("must be a non-empty Cache-Control value of visible ASCII characters")
        return value

    @field_validator("auth_jwks_url", "auth_issuer", "auth_audience", "auth_anonymous_role", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("auth_shared_secret", mode="before")
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("auth_jwks_url")
    @classmethod
    def _jwks_over_https(cls, value: str | None) -> str | None:
        # Keys over plain HTTP could be swapped on the way: only loopback may skip TLS.
        loopback = ("http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/", "http://[::1]")
        if value is not None and not value.startswith(("https://", *loopback)):
            raise ValueError("must be an https:// URL (http:// only on loopback)")
        return value

    @field_validator("auth_shared_secret")
    @classmethod
    def _secret_is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode("utf-8")) < 32:
            raise ValueError("must be at least 32 bytes (HS256 keys shorter than its hash are guessable)")
        return value

    @model_validator(mode="after")
    def _one_way_to_verify_tokens(self) -> Settings:
        if self.auth_jwks_url is not None and self.auth_shared_secret is not None:
            raise ValueError("set CG_AUTH_JWKS_URL or CG_AUTH_SHARED_SECRET, not both")
        return self

    @property
    def auth_production(self) -> bool:
        """An issuer or a JWKS URL is configured: development keys are refused."""
        return self.auth_issuer is not None or self.auth_jwks_url is not None

    @property
    def auth_uses_dev_keys(self) -> bool:
        return self.auth_jwks_url is None and self.auth_shared_secret is None and not self.auth_production

    @model_validator(mode="after")
    def _safelist_has_a_manifest(self) -> Settings:
        if self.safelist_required and not self.persisted_query_manifests:
            raise ValueError("CG_SAFELIST_REQUIRED needs at least one manifest in CG_PERSISTED_QUERY_MANIFESTS")
        return self

    @field_validator("events_broker")
    @classmethod
    def _broker_is_a_redis_url(cls, url: str) -> str:
        if url and url.partition("://")[0] not in BROKER_SCHEMES:
            raise ValueError(f"expected a Redis URL, <scheme>://..., with a scheme of {', '.join(BROKER_SCHEMES)}")
        return url

    @field_validator("neo4j_uri")
    @classmethod
    def _neo4j_uri_is_a_neo4j_uri(cls, uri: str | None) -> str | None:
        # Checked here so a typo is a bad setting, not a traceback from the driver later on.
        if uri is not None and uri.partition("://")[0] not in NEO4J_SCHEMES:
            raise ValueError(f"expected <scheme>://host[:port] with a scheme of {', '.join(NEO4J_SCHEMES)}")
        return uri

    @model_validator(mode="after")
    def _service_levels_are_valid(self) -> Settings:
        try:
            self.service_levels()
        except ValueError as exc:
            # Name the variables: the check spans several, so no one field is to blame.
            raise ValueError(f"CG_SLA_RESPOND_HOURS, CG_SLA_RESOLVE_HOURS, CG_SLA_AT_RISK_SHARE: {exc}") from None
        return self

    def service_levels(self) -> ServiceLevels:
        return ServiceLevels.from_hours(self.sla_respond_hours, self.sla_resolve_hours, self.sla_at_risk_share)

    @property
    def uses_local_neo4j(self) -> bool:
        return self.neo4j_uri is None

    @property
    def local_neo4j_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.local_neo4j_port}"

    def effective_neo4j_uri(self) -> str:
        return self.neo4j_uri or self.local_neo4j_uri

    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1
