"""A per-process cache of shop configuration for the event path.

Every event reads its shop's points programme, earning rules, tier programme
and tiers: several queries and their ORM work, for data that changes a few
times a month. Inside ``scope()`` (one event, see ``events.services``) those
reads come from this process's memory when they are still current.

Current means: loaded under the shop's present ``config_token``. The token is
a random value that ``config_changed`` replaces in the same transaction as any
change to cached configuration (the apps connect their models' save and delete
signals to it, and call it after bulk writes that send no signals). A scope
reads the token once per shop, inside the event's transaction, so it sees a
committed change at once and its own transaction's change too. Tokens are
never reused, so a change that was rolled back can never be taken for the
configuration in force.

Outside a scope nothing is cached: the console, the jobs and the tests that
read configuration directly always query it. Values handed out inside a scope
are shared between events of this process and must not be modified.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_values: dict[tuple[int, str], tuple[str, Any]] = {}
_tokens: ContextVar[dict[int, str] | None] = ContextVar("patron_config_tokens", default=None)


def new_token() -> str:
    return uuid.uuid4().hex


@contextmanager
def scope() -> Iterator[None]:
    """Let the configuration reads inside use the cache (one event's worth)."""
    reset = _tokens.set({})
    try:
        yield
    finally:
        _tokens.reset(reset)


def in_scope() -> bool:
    return _tokens.get() is not None


def _token(shop_id: int) -> str:
    tokens = _tokens.get()
    if tokens is None:
        return ""
    if shop_id not in tokens:
        from patron.core.models import Shop

        value = Shop.objects.filter(pk=shop_id).values_list("config_token", flat=True).first()
        tokens[shop_id] = value or ""
    return tokens[shop_id]


def cached(shop_id: int, name: str, load: Callable[[], T]) -> T:
    """``load()``'s value for the shop, from memory when it was loaded under
    the shop's current token. Outside a scope, or for a shop without a token,
    this is ``load()``."""
    token = _token(shop_id)
    if not token:
        return load()
    hit = _values.get((shop_id, name))
    if hit is not None and hit[0] == token:
        return hit[1]  # type: ignore[no-any-return]
    value = load()
    _values[(shop_id, name)] = (token, value)
    return value


def config_changed(shop_id: int) -> None:
    """The shop's cached configuration changed: give it a new token (in the
    caller's transaction) and forget this process's copies."""
    from patron.core.models import Shop

    Shop.objects.filter(pk=shop_id).update(config_token=new_token())
    for key in [k for k in _values if k[0] == shop_id]:
        _values.pop(key, None)
    tokens = _tokens.get()
    if tokens is not None:
        tokens.pop(shop_id, None)


def watch(model: type[Any], shop_id_of: Callable[[Any], int | None]) -> None:
    """Call ``config_changed`` whenever a row of ``model`` is saved or deleted."""
    from django.db.models.signals import post_delete, post_save

    def changed(sender: Any, instance: Any, **kwargs: Any) -> None:
        if kwargs.get("raw"):  # fixtures: no shop rows to touch yet
            return
        shop_id = shop_id_of(instance)
        if shop_id is not None:
            config_changed(shop_id)

    uid = f"patron.config_cache.{model._meta.label}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid + ".save")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid + ".delete")
