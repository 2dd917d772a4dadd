"""Who else reacts to tier changes. Apps above tiers (the service desk's
SLA targets) register a callback from the composition root; tiers calls
each with the shop and the members whose tier changed, inside the
transaction that changed them. Tiers never imports its listeners."""

from __future__ import annotations

from collections.abc import Callable, Iterable

TierChangeListener = Callable[[int, list[int]], None]
_listeners: list[TierChangeListener] = []


def tier_change_listen(listener: TierChangeListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def tier_changes_announce(shop_id: int, member_ids: Iterable[int]) -> None:
    ids = sorted(set(member_ids))
    if not ids:
        return
    for listener in _listeners:
        listener(shop_id, ids)
