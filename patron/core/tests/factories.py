"""Factories for core models: shops, operators with a role."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group, User

from patron.core.models import Shop


class ShopFactory(factory.django.DjangoModelFactory[Shop]):
    class Meta:
        model = Shop
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Shop {n}")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"operator{n}")
    is_staff = True
    password = factory.django.Password("pw-for-tests-only")

    @factory.post_generation
    def role(user: User, create: bool, extracted: str | None, **kwargs: object) -> None:
        """UserFactory(role="marketing") puts the user in that synced role group."""
        if create and extracted:
            user.groups.add(Group.objects.get(name=extracted))
