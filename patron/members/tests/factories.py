"""Factories for members."""

from __future__ import annotations

import factory

from patron.core import clock
from patron.core.tests.factories import ShopFactory
from patron.members.models import Member


class MemberFactory(factory.django.DjangoModelFactory[Member]):
    class Meta:
        model = Member

    shop = factory.SubFactory(ShopFactory)
    external_id = factory.Sequence(lambda n: f"M{n:06d}")
    name = "张伟"
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    email = factory.Sequence(lambda n: f"member{n}@example.com")
    registered_at = factory.LazyFunction(clock.now)
    created_at = factory.LazyFunction(clock.now)
    updated_at = factory.LazyFunction(clock.now)
