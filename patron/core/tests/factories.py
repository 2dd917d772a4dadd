"""Factories for core models: shops, operators with a role."""

from __future__ import annotations

import factory
from django.contrib.auth.models import User

from patron.core.models import OperatorMembership, Shop


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
        """UserFactory(role="marketing", role__shop=shop) gives the user that role
        in the shop (by default the first shop, made if there is none)."""
        if create and extracted:
            shop = kwargs.get("shop") or Shop.objects.order_by("pk").first() or ShopFactory()
            assert isinstance(shop, Shop)
            # get_or_create on the user name: asking again for the same operator
            # (a second client) gives the same membership, not a second one
            OperatorMembership.objects.update_or_create(
                user=user, shop=shop, defaults={"role": extracted}
            )


def make_operator(username: str, role: str, shop: Shop, **fields: object) -> User:
    """An operator with ``role`` in ``shop`` (roles must be synced)."""
    user = User.objects.create_user(username, password="pw-for-tests-only", **fields)  # type: ignore[arg-type]
    OperatorMembership.objects.create(user=user, shop=shop, role=role)
    return User.objects.get(pk=user.pk)  # fresh permission cache
