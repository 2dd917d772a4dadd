"""Reads of the campaigns app."""

from __future__ import annotations

from django.db.models import QuerySet

from patron.campaigns.models import MonthlyCouponPack
from patron.members.models import Member


def monthly_packs_of(member: Member) -> QuerySet[MonthlyCouponPack]:
    """The member's monthly coupon packs, newest month first."""
    return MonthlyCouponPack.objects.filter(member=member).order_by("-month")
