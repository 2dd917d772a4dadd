"""Helpers for the browser tests: Chromium, screenshots, the demo-like data they use."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 860}
MEMBER_PASSWORD = "Kettle-Blossom-42"


@contextmanager
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shoot(page: Any, name: str) -> None:
    """Save a full-page screenshot as an artifact (and into docs/ when asked to)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("PATRON_UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"{name}.png")


def loyalty_world(shop: Shop) -> dict[str, Any]:
    """A shop with tiers, a check-in rule, a reward, a flash sale and a member with points."""
    from django.contrib.auth.models import User

    from patron.points import services as points_services
    from patron.portal import services as portal_services
    from patron.promotions.models import CouponTemplate, FlashSale
    from patron.rewards.models import Reward, RewardKind
    from patron.rules import services as rule_services
    from patron.tiers.models import TierBenefits
    from patron.tiers.services.definitions import tiers_seed_defaults

    now = clock.now()
    tiers_seed_defaults(shop=shop)
    # This shop opens flash sales to every tier (by default a benefit from Silver up).
    TierBenefits.objects.filter(tier__shop=shop, tier__code="normal").update(flash_sale_access=True)
    rule_services.rule_create(
        shop=shop, name="签到", trigger="checkin", fields={"points": 5, "streak_bonuses": {"7": 20}}
    )
    member = Member.objects.create(
        shop=shop,
        external_id="M000001",
        name="王小明",
        phone="+8613800000001",
        email="xiaoming@example.com",
        registered_at=now - dt.timedelta(days=400),
        created_at=now,
        updated_at=now,
    )
    portal_services.credential_set_password(member=member, raw_password=MEMBER_PASSWORD)
    system = User.objects.create_superuser("seed", password="x")
    points_services.adjustment_request(
        member=member, points=800, reason="欢迎礼 welcome gift", actor=system
    )
    template = CouponTemplate.objects.create(
        shop=shop,
        code="flash-20",
        name="满199减20",
        type="threshold",
        amount=2000,
        threshold=19900,
        valid_days=30,
        created_at=now,
    )
    sale = FlashSale.objects.create(
        shop=shop,
        name="周五限时抢",
        template=template,
        quantity=50,
        claimed_count=12,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=5),
    )
    reward = Reward.objects.create(
        shop=shop,
        name="品牌帆布袋",
        description="A sturdy canvas bag.",
        kind=RewardKind.OTHER,
        points_price=300,
        stock=20,
        created_at=now,
    )
    Reward.objects.create(
        shop=shop, name="保温杯", kind=RewardKind.OTHER, points_price=5000, stock=5, created_at=now
    )
    return {"member": member, "sale": sale, "reward": reward, "template": template}
