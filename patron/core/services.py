"""Writes owned by core: API keys, audit log entries, idempotent requests, roles."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Model
from django.forms.models import model_to_dict
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.locks import insert_or_first
from patron.core.models import ApiKey, ApiScope, AuditLog, IdempotencyRecord, Shop
from patron.core.permissions import require_perm, shop_of
from patron.core.pii import mask_address, mask_email, mask_phone
from patron.core.roles import ROLE_PERMISSIONS, SUPERUSER_ONLY, SUPERUSER_ONLY_APPS
from patron.core.validation import text_problem

TOKEN_PREFIX = "ptn"  # noqa: S105 - a public marker, not a secret


# --- API keys ---------------------------------------------------------------


def _hash_secret(secret: str) -> str:
    # The secret is 32 random bytes, so a fast hash is enough: there is nothing
    # to brute-force that a slow password hash would protect.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    token: str  # shown once, never stored


def api_key_create(
    *,
    shop: Shop,
    name: str,
    scopes: Iterable[str],
    actor: User | AnonymousUser | None = None,
) -> CreatedApiKey:
    scope_list = sorted(set(scopes))
    unknown = [s for s in scope_list if s not in ApiScope.values]
    if unknown:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(_("unknown scopes: %(value)s"), value=", ".join(unknown)),
            field="scopes",
        )
    if not scope_list:
        raise PatronError(ErrorCode.VALIDATION_ERROR, _("at least one scope"), field="scopes")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            shop=shop,
            name=name,
            prefix=prefix,
            secret_hash=_hash_secret(secret),
            scopes=scope_list,
            created_at=clock.now(),
            created_by=actor if isinstance(actor, User) else None,
        )
        audit_record(
            actor=actor,
            action="api_key.create",
            obj=key,
            after={"name": name, "shop": shop.name, "scopes": scope_list, "prefix": prefix},
        )
    return CreatedApiKey(api_key=key, token=f"{TOKEN_PREFIX}_{prefix}_{secret}")


def api_key_revoke(*, api_key: ApiKey, actor: User | AnonymousUser | None) -> None:
    require_perm(actor, "core.revoke_apikey", shop=api_key.shop_id, what="revoke API keys")
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=clock.now()
        )
        if updated:
            audit_record(actor=actor, action="api_key.revoke", obj=api_key)


def api_key_authenticate(token: str) -> ApiKey | None:
    """The active key for a bearer token, or None. Constant-time comparison."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    key = ApiKey.objects.select_related("shop").filter(prefix=parts[1]).first()
    if key is None or key.revoked_at is not None:
        return None
    if not secrets.compare_digest(key.secret_hash, _hash_secret(parts[2])):
        return None
    return key


# --- Audit log --------------------------------------------------------------


class _JsonEncoder(DjangoJSONEncoder):
    """Dates, decimals and UUIDs as DjangoJSONEncoder writes them; anything else as text.

    (``json.dumps(default=str)`` would override the encoder's ``default`` and
    write datetimes as ``str()`` instead of ISO 8601.)
    """

    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return json.loads(json.dumps(data, cls=_JsonEncoder))  # type: ignore[no-any-return]


_PII_MASKS = {"phone": mask_phone, "email": mask_email, "shipping_address": mask_address}


def snapshot(obj: Model) -> dict[str, Any]:
    """A JSON-safe picture of a model's fields for before/after audit records.

    Phone numbers and e-mail addresses are stored masked: the audit log is read
    by roles that may not see personal data, and it must not become a copy of it.
    """
    data = _jsonable(model_to_dict(obj)) or {}
    for name, mask in _PII_MASKS.items():
        if isinstance(data.get(name), str) and data[name]:
            data[name] = mask(data[name])
    return data


def audit_record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    shop: Shop | int | None = None,
) -> AuditLog:
    """One audit entry; its shop is ``obj``'s unless given (``shop``)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        if shop is None:
            shop = shop_of(obj)
    user = actor if isinstance(actor, User) else None
    return AuditLog.objects.create(
        at=clock.now(),
        shop_id=shop.pk if isinstance(shop, Shop) else shop,
        actor=user,
        actor_label=user.get_username() if user is not None else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason,
    )


# --- Idempotent requests ----------------------------------------------------


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def idempotent_call(
    *,
    shop: Shop,
    key: str,
    method: str,
    path: str,
    body: bytes,
    handler: Callable[[], tuple[int, Any]],
) -> tuple[int, Any, bool]:
    """Run ``handler`` once per (shop, key); replays get the stored answer.

    Returns (status, body, replayed). The record is inserted first, inside the
    handler's transaction: a concurrent duplicate blocks on the unique index
    until the first commits, then reads its answer. A handler that raises
    rolls back the record too, so a refused request may be retried.
    """
    if not key or len(key) > 255 or text_problem(key):
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            _("Idempotency-Key must be 1 to 255 characters, none of them a control character"),
            field="Idempotency-Key",
            status=400,
        )
    fingerprint = request_fingerprint(method, path, body)
    with transaction.atomic():
        record, created = insert_or_first(
            lambda: IdempotencyRecord.objects.create(
                shop=shop,
                key=key,
                method=method,
                path=path,
                request_hash=fingerprint,
                created_at=clock.now(),
            ),
            lambda: IdempotencyRecord.objects.get(shop=shop, key=key),
        )
        if not created:
            if record.request_hash != fingerprint:
                raise PatronError(
                    ErrorCode.IDEMPOTENCY_MISMATCH,
                    _("this Idempotency-Key was used for a different request"),
                    field="Idempotency-Key",
                )
            return record.status_code, record.response_body, True
        status, response = handler()
        record.status_code = status
        record.response_body = _jsonable({"v": response})["v"]  # type: ignore[index]
        record.save(update_fields=["status_code", "response_body"])
    return status, response, False


# --- Roles ------------------------------------------------------------------


def roles_sync() -> dict[str, int]:
    """Create the role groups and give each its permissions (idempotent).

    Permissions of apps that are not installed yet are skipped, so later apps
    only add their codenames to ``ROLE_PERMISSIONS``.
    """
    counts: dict[str, int] = {}
    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        if names == "__all__":
            perms = [
                p
                for n, p in all_perms.items()
                if n not in SUPERUSER_ONLY and n.split(".")[0] not in SUPERUSER_ONLY_APPS
            ]
        else:
            perms = [all_perms[n] for n in names if n in all_perms]
        group.permissions.set(perms)
        counts[role] = len(perms)
    return counts


# --- Periodic jobs ------------------------------------------------------------


def schedule_tick() -> list[str]:
    """Enqueue every job whose interval has passed; returns their names.

    The row update is conditional on the previous timestamp, so two schedulers
    running at once cannot both enqueue the same run.
    """
    from patron.core.models import ScheduledRun

    jobs = import_string(settings.PATRON_SCHEDULE)  # the composition root's table

    now = clock.now()
    enqueued: list[str] = []
    for job in jobs:
        run, created = ScheduledRun.objects.get_or_create(
            name=job.name, defaults={"last_enqueued_at": now}
        )
        if not created:
            if now - run.last_enqueued_at < job.every:
                continue
            claimed = ScheduledRun.objects.filter(
                pk=run.pk, last_enqueued_at=run.last_enqueued_at
            ).update(last_enqueued_at=now)
            if not claimed:
                continue
        transaction.on_commit(job.task.enqueue)
        enqueued.append(job.name)
    return enqueued
