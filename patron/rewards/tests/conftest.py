"""The rewards tests use the promotions tests' fixtures: the member with a
clock, the event sender, and the shop for parallel connections."""

from patron.promotions.tests.conftest import member, send, shop_pg, t0

__all__ = ["member", "send", "shop_pg", "t0"]
