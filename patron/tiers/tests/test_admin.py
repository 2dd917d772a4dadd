"""Tier admin: override requests refused with form errors or a message (never a
500), benefits edited inline audited with their before and after, and the
admin's own words translated."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.tiers import admin as tiers_admin
from patron.tiers.models import Tier, TierBenefits, TierOverride, TierProgram
from patron.tiers.services import overrides

pytestmark = pytest.mark.django_db

ADD = "/admin/tiers/tieroverride/add/"


def _admin(name: str = "root") -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser(name, password="x"))
    return client


def test_override_form_refuses_duplicates_and_unusable_tiers_with_form_errors(
    shop: Shop, program: TierProgram, member: Member
) -> None:
    client = _admin()
    client.cookies["django_language"] = "en"
    silver = Tier.objects.get(shop=shop, code="silver")
    retired = Tier.objects.create(
        shop=shop, code="x", name="x", name_en="x", rank=99, entry_threshold=9, is_active=False
    )
    other_shop = Shop.objects.create(name="Other")
    foreign = Tier.objects.create(shop=other_shop, code="silver", name="s", name_en="s", rank=1)
    client.post("/console/shop/", {"shop": shop.pk})  # work on the member's shop

    for tier, words in [
        (retired, "not an active tier of this shop"),
        # another shop's tier is not even a choice in the current shop's admin
        (foreign, 'id="id_tier_error"'),
    ]:
        response = client.post(ADD, {"member": member.pk, "tier": tier.pk, "reason": "r"})
        assert response.status_code == 200
        assert words in response.content.decode()
    assert not TierOverride.objects.exists()

    overrides.override_request(
        member=member, tier=silver, reason="first", actor=User.objects.get(username="root")
    )
    response = client.post(ADD, {"member": member.pk, "tier": silver.pk, "reason": "second"})
    assert response.status_code == 200
    assert "this member already has an override pending or in force" in response.content.decode()
    assert TierOverride.objects.count() == 1
    assert not LogEntry.objects.exists()


def test_override_refused_between_form_and_save_is_a_message_not_a_500(
    shop: Shop, program: TierProgram, member: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _admin()
    client.cookies["django_language"] = "en"
    silver = Tier.objects.get(shop=shop, code="silver")
    overrides.override_request(
        member=member, tier=silver, reason="first", actor=User.objects.get(username="root")
    )
    # the form's check passes (say the other request committed just after it)
    monkeypatch.setattr(overrides, "override_request_problem", lambda **kw: None)

    response = client.post(ADD, {"member": member.pk, "tier": silver.pk, "reason": "second"})

    assert response.status_code == 302
    assert response["Location"] == ADD
    follow = client.get(response["Location"])
    page = follow.content.decode()
    assert '<li class="error">This member already has an override pending or in force' in page
    assert TierOverride.objects.count() == 1
    assert not LogEntry.objects.exists()


def test_override_requested_in_the_admin(shop: Shop, program: TierProgram, member: Member) -> None:
    client = _admin()
    gold = Tier.objects.get(shop=shop, code="gold")

    response = client.post(ADD, {"member": member.pk, "tier": gold.pk, "reason": "vip"})

    assert response.status_code == 302
    o = TierOverride.objects.get()
    assert (o.tier, o.status, o.reason) == (gold, "pending", "vip")
    assert LogEntry.objects.count() == 1


def _tier_change_post(client: Client, tier: Tier, **benefits: Any) -> Any:
    url = f"/admin/tiers/tier/{tier.pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    data: dict[str, Any] = {
        k: getattr(v, "pk", v) for k, v in form.initial.items() if k in form.fields
    }
    formset = page.context["inline_admin_formsets"][0].formset
    prefix = formset.prefix
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1",
        }
    )
    inline = formset.forms[0]
    for name in inline.fields:
        value = {**inline.initial, **benefits}.get(name)
        if isinstance(value, bool):
            if value:
                data[f"{prefix}-0-{name}"] = "on"
        elif value is not None:
            data[f"{prefix}-0-{name}"] = getattr(value, "pk", value)
    data[f"{prefix}-0-tier"] = tier.pk
    return client.post(url, data)


def test_benefits_edited_in_the_tier_page_are_audited_with_before_and_after(
    shop: Shop, program: TierProgram
) -> None:
    client = _admin()
    gold = Tier.objects.get(shop=shop, code="gold")

    response = _tier_change_post(client, gold, discount_bp=900, dedicated_service=True)

    assert response.status_code == 302
    assert TierBenefits.objects.get(tier=gold).discount_bp == 900
    audit = AuditLog.objects.get(action="tierbenefits.change")
    assert (audit.object_type, audit.object_id, audit.actor_label) == (
        "tiers.tierbenefits",
        str(gold.pk),
        "root",
    )
    assert audit.before is not None and audit.after is not None
    changed = {k: (audit.before[k], v) for k, v in audit.after.items() if audit.before[k] != v}
    assert changed == {"discount_bp": (500, 900), "dedicated_service": (False, True)}


def test_saving_the_tier_page_without_benefit_changes_adds_no_benefits_row(
    shop: Shop, program: TierProgram
) -> None:
    client = _admin()
    gold = Tier.objects.get(shop=shop, code="gold")

    assert _tier_change_post(client, gold).status_code == 302

    assert not AuditLog.objects.filter(action__startswith="tierbenefits.").exists()


def test_admin_actions_and_messages_are_translated() -> None:
    with translation.override("zh-hans"):
        for action in (
            tiers_admin.TierAdmin.retire,
            tiers_admin.TierOverrideAdmin.approve,
            tiers_admin.TierOverrideAdmin.reject,
            tiers_admin.TierOverrideAdmin.remove,
        ):
            description = str(action.short_description)  # type: ignore[union-attr]
            assert description and not description.isascii(), description
        assert translation.gettext("you may not decide overrides") == "您无权审批等级手动设定"
        assert (
            translation.gettext("%(tier)s retired; %(moved)s members moved")
            % {"tier": "gold", "moved": 3}
            == "gold 已停用；3 位会员已调整等级"
        )


def test_the_programme_page_shows_and_saves_whether_shipping_counts_towards_growth(
    shop: Shop, program: TierProgram
) -> None:
    client = _admin()
    url = f"/admin/tiers/tierprogram/{program.pk}/change/"
    with translation.override("zh-hans"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'name="growth_includes_shipping"' in page
    assert "运费计入成长值" in page
    form = {
        name: getattr(program, name)
        for name in (
            "qualifying_measure",
            "growth_per_yuan",
            "growth_per_order",
            "growth_per_review",
            "growth_per_activity",
            "window_months",
            "period",
            "grace_periods",
            "downgrade_mode",
            "birthday_days_before",
            "birthday_days_after",
        )
    }
    response = client.post(url, {**form, "shop": shop.pk, "growth_includes_shipping": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    program.refresh_from_db()
    assert program.growth_includes_shipping is True
