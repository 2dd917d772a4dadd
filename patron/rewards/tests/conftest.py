"""The rewards tests use the promotions tests' fixtures (members, points, the
parallel-connections shop)."""

from patron.promotions.tests.conftest import shop_pg

__all__ = ["shop_pg"]
