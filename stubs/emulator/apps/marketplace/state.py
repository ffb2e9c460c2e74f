"""The SME services' databases and event bus, kept in `ctx.state` so they outlive pods.

Keys (shared with the provisioning stand-in):
- `sme/orders`: `Topic`, standing for the Kafka topic `sme.order.events`. Messages are
  kept; each consumer group has a committed offset, so a restarted consumer resumes at the
  message it had not finished (as a Kafka consumer group does).
- `sme/provisions`: `ProvisionDB` (the provisioning service's Mongo collection).
- `sme/tenants`: `TenantDB` (the tenant service's Mongo collection).
- `sme/billing`, `sme/auth`, `sme/valkey`: billing/auth Postgres and Valkey.
Everything runs on the emulator's loop, so a handler without an `await` in between is
one transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ORDERS = "sme/orders"
PROVISIONS = "sme/provisions"
TENANTS = "sme/tenants"
BILLING = "sme/billing"
AUTH = "sme/auth"
VALKEY = "sme/valkey"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Topic:
    """An append-only log with per-group committed offsets; consumers wait on an event."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def publish(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def next(self, group: str) -> tuple[int, dict[str, Any]]:
        """The first uncommitted message of `group`, waiting for one if needed."""
        while self.offsets.get(group, 0) >= len(self.messages):
            await self._changed.wait()
        offset = self.offsets.get(group, 0)
        return offset, self.messages[offset]

    def commit(self, group: str, offset: int) -> None:
        self.offsets[group] = max(self.offsets.get(group, 0), offset + 1)


@dataclass
class ProvisionDB:
    """Provision records: {id, tenant_id, order_id, plan_id, apps, subdomain, status,
    steps[{name, status, message, started_at, done_at}], progress, created_at}."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Topic offset -> provision id, so a restarted consumer resumes the same record.
    by_offset: dict[int, str] = field(default_factory=dict)

    def insert(self, record: dict[str, Any]) -> dict[str, Any]:
        self.records[record["id"]] = record
        return record

    def by_tenant(self, tenant_id: str) -> list[dict[str, Any]]:
        found = [r for r in self.records.values() if r.get("tenant_id") == tenant_id]
        return sorted(found, key=lambda r: r["created_at"], reverse=True)


@dataclass
class TenantDB:
    tenants: dict[str, dict[str, Any]] = field(default_factory=dict)

    def by_slug(self, slug: str) -> dict[str, Any] | None:
        return next((t for t in self.tenants.values() if t["slug"] == slug), None)


@dataclass
class BillingDB:
    plans: list[dict[str, Any]] = field(default_factory=list)
    promos: dict[str, dict[str, Any]] = field(default_factory=dict)  # by code, exact
    redemptions: set[tuple[str, str]] = field(default_factory=set)  # (customer_id, code)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by user id
    ledger: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)

    def balance(self, customer_id: str) -> int:
        return sum(e["amount_omr"] for e in self.ledger if e["customer_id"] == customer_id)


@dataclass
class AuthDB:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # by email
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> email


@dataclass
class Valkey:
    """Key -> (value, expiry as loop time); what the auth service keeps in Valkey."""

    data: dict[str, tuple[Any, float]] = field(default_factory=dict)

    def set(self, key: str, value: Any, ttl: float) -> None:
        self.data[key] = (value, asyncio.get_running_loop().time() + ttl)

    def get(self, key: str) -> Any:
        item = self.data.get(key)
        if item is None:
            return None
        if item[1] < asyncio.get_running_loop().time():
            del self.data[key]
            return None
        return item[0]

    def delete(self, key: str) -> None:
        self.data.pop(key, None)
