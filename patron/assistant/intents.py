"""Answers from the member's own data, asked before the knowledge base:
where is my order, my points and their expiry, how far to the next tier,
which coupons I can use. Each is a keyword pattern in zh and en (no
retrieval), reads the member's figures through the owning app's selectors,
states them and links to the portal page. None of them ever reads another
member's data: an order number that is not the asker's gets a refusal that
says nothing about whether it exists.

``ask()`` calls ``intent_answer`` first; an intent answers with an
``IntentAnswer`` or ``None`` (not mine)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.orders.models import Order
from patron.orders.shipments import order_tracking
from patron.points import selectors as points_selectors
from patron.promotions import selectors as promotions_selectors
from patron.promotions.models import CouponStatus
from patron.tiers import selectors as tiers_selectors
from patron.tiers.models import QualifyingMeasure


@dataclass(frozen=True)
class IntentQuestion:
    shop: Shop
    text: str
    language: str  # 'zh-hans' | 'en'
    member: Member | None


@dataclass(frozen=True)
class IntentAnswer:
    intent: str  # order | points | tier | coupons
    text: str
    link: str | None
    #: no member to read (signed out, or the API without a member id)
    sign_in_needed: bool = False
    #: refused: the question named data that is not the member's
    refused: bool = False

    @property
    def handoff_offered(self) -> bool:
        return self.sign_in_needed or self.refused


Intent = Callable[[IntentQuestion], IntentAnswer | None]
_intents: list[Intent] = []


def intent_register(intent: Intent) -> None:
    if intent not in _intents:
        _intents.append(intent)


def intents() -> list[Intent]:
    return list(_intents)


def _plain(text: str) -> str:
    """Full-width to half-width and case folded, for the patterns."""
    return unicodedata.normalize("NFKC", text).casefold()


def intent_answer(question: IntentQuestion) -> IntentAnswer | None:
    """The first registered intent that answers, in the question's language."""
    with translation.override(question.language):
        for intent in _intents:
            answer = intent(question)
            if answer is not None:
                return answer
    return None


def _sign_in(intent: str) -> IntentAnswer:
    return IntentAnswer(
        intent=intent,
        text=_("Please sign in to the member portal so I can look at your own account."),
        link=reverse("portal:sign_in"),
        sign_in_needed=True,
    )


def _matches(text: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    return any(p.search(text) for p in patterns)


# -- where is my order -------------------------------------------------------

ORDER_PATTERNS = (
    re.compile(
        r"(订单|訂單|包裹|快递|快遞|物流|货|貨|单号|單號).{0,8}(到哪|在哪|哪里|哪裡|状态|狀態|进度|進度|什么时候到|甚麼時候到|到了吗|发货|發貨|怎么还没|怎麼還沒|查)"
    ),
    re.compile(r"(查|我的)(一下)?(订单|訂單|包裹|快递|快遞|物流)"),
    re.compile(r"(我的)?(货|貨|快递|快遞|包裹)(还没到|還沒到|怎么还没|怎麼還沒)"),
    re.compile(r"\bwhere('?s| is| are)\b.{0,20}\b(order|parcel|package|shipment|delivery)s?\b"),
    re.compile(r"\b(track|tracking)\b.{0,20}\b(order|parcel|package)s?\b"),
    re.compile(
        r"\b(my|the)\s+(order|parcel|package)s?\b.{0,20}\b(status|arrive|arrived|shipped|come|coming)\b"
    ),
    re.compile(r"\border\s+status\b"),
)
#: an order number as members type it: letters and digits with at least one digit
ORDER_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_-])([A-Za-z]{0,6}-?\d[A-Za-z0-9-]{0,40})(?![A-Za-z0-9_-])"
)


def _status_text(order: Order) -> str:
    return str(order.get_status_display())  # type: ignore[attr-defined]


def order_intent(question: IntentQuestion) -> IntentAnswer | None:
    text = _plain(question.text)
    if not _matches(text, ORDER_PATTERNS):
        return None
    if question.member is None:
        return _sign_in("order")
    member = question.member
    link = reverse("portal:orders")
    numbers = [n for n in ORDER_NUMBER.findall(unicodedata.normalize("NFKC", question.text))]
    order: Order | None = None
    if numbers:
        order = (
            Order.objects.filter(shop=question.shop, member=member, external_id__in=numbers)
            .order_by("-placed_at", "-pk")
            .first()
        )
        if order is None:
            # Never say whether the number is another member's order.
            return IntentAnswer(
                intent="order",
                text=_(
                    "I cannot find order %(number)s among your orders. I can only show "
                    "your own orders; a person can help if the number is right."
                )
                % {"number": numbers[0]},
                link=link,
                refused=True,
            )
    if order is None:
        order = Order.objects.filter(member=member).order_by("-placed_at", "-pk").first()
    if order is None:
        return IntentAnswer(intent="order", text=_("You have no orders with us yet."), link=link)
    parts = [
        _("Your order %(number)s of %(date)s is %(status)s.")
        % {
            "number": order.external_id,
            "date": timezone.localdate(order.placed_at).isoformat(),
            "status": _status_text(order),
        }
    ]
    for parcel in order_tracking(order):
        if parcel["checkpoints"]:
            latest = parcel["checkpoints"][0]
            parts.append(
                _("Parcel %(tracking)s (%(carrier)s), latest: %(when)s %(where)s %(what)s.")
                % {
                    "tracking": parcel["tracking_number"],
                    "carrier": parcel["carrier"],
                    "when": timezone.localtime(latest["at"]).strftime("%Y-%m-%d %H:%M"),
                    "where": latest["location"],
                    "what": latest["description"],
                }
            )
        else:
            parts.append(
                _("Parcel %(tracking)s (%(carrier)s) has left the warehouse.")
                % {"tracking": parcel["tracking_number"], "carrier": parcel["carrier"]}
            )
    return IntentAnswer(intent="order", text=" ".join(parts), link=link)


# -- points --------------------------------------------------------------------

POINTS_PATTERNS = (
    re.compile(r"(我的|我有|我还有|我還有|还剩|還剩|剩下|剩余|剩餘|查)(多少)?(积分|積分)"),
    re.compile(r"(积分|積分)(余额|餘額|还有多少|還有多少|有多少|多少)"),
    re.compile(r"(我的)(积分|積分).{0,10}(过期|過期|到期)"),
    re.compile(r"\b(my|i have|do i have)\b.{0,20}\bpoints?\b"),
    re.compile(r"\bhow many points\b"),
    re.compile(r"\bpoints?\s+balance\b|\bbalance of (my )?points\b"),
    re.compile(r"\bwhen do my points\b|\bmy points\b.{0,20}\bexpire"),
)


def points_intent(question: IntentQuestion) -> IntentAnswer | None:
    if not _matches(_plain(question.text), POINTS_PATTERNS):
        return None
    if question.member is None:
        return _sign_in("points")
    summary = points_selectors.member_points_summary(question.member)
    parts = [
        _("You have %(available)d points to use and %(pending)d pending.")
        % {"available": summary["available"], "pending": summary["pending"]}
    ]
    if summary["expiring"]:
        day, amount = summary["expiring"][0]
        parts.append(
            _("%(amount)d points expire after %(date)s.")
            % {"amount": amount, "date": day.isoformat()}
        )
    else:
        parts.append(_("None of them expire in the coming months."))
    return IntentAnswer(
        intent="points", text=" ".join(parts), link=reverse("portal:points_history")
    )


# -- distance to the next tier ---------------------------------------------------

TIER_PATTERNS = (
    re.compile(
        r"(还差|還差|差多少|多远|多遠|距离|距離|怎样|怎樣|怎么|怎麼)(才能)?.{0,8}(升级|升級|下一级|下一級|下个等级|下個等級)"
    ),
    re.compile(
        r"(升级|升級|下一级|下一級|下个等级|下個等級).{0,8}(还差|還差|差多少|多远|多遠|要多少)"
    ),
    re.compile(r"(我的|我现在|我現在)(会员)?(等级|等級|成长值|成長值)"),
    re.compile(
        r"\b(how far|how much more|how many more)\b.{0,30}"
        r"\b(tier|level|upgrade|gold|silver|platinum)\b"
    ),
    re.compile(r"\b(next|my)\s+(tier|level)\b"),
)


def _tier_name(tier: dict[str, object], language: str) -> str:
    return str((language == "en" and tier.get("name_en")) or tier["name"])


def tier_intent(question: IntentQuestion) -> IntentAnswer | None:
    if not _matches(_plain(question.text), TIER_PATTERNS):
        return None
    if question.member is None:
        return _sign_in("tier")
    status = tiers_selectors.member_tier_status(question.member)
    link = reverse("portal:tier_history")
    if status["tier"] is None:
        return IntentAnswer(intent="tier", text=_("This shop has no member tiers yet."), link=link)
    name = _tier_name(status["tier"], question.language)
    parts = [
        _("You are %(tier)s; your %(measure)s is %(value)d.")
        % {
            "tier": name,
            "measure": QualifyingMeasure(status["measure"]).label,
            "value": status["value"],
        }
    ]
    following = status["next_tier"]
    if following is None:
        parts.append(_("That is the highest tier."))
    else:
        parts.append(
            _("%(missing)d more gets you to %(tier)s (from %(threshold)d).")
            % {
                "missing": following["missing"],
                "tier": _tier_name(following, question.language),
                "threshold": following["entry_threshold"],
            }
        )
    return IntentAnswer(intent="tier", text=" ".join(parts), link=link)


# -- usable coupons --------------------------------------------------------------

COUPON_PATTERNS = (
    re.compile(
        r"(我的|我有|能用|可用|可以用|哪些|有没有|有沒有|有什么|有什麼|查).{0,6}(优惠券|優惠券|优惠卷|券)"
    ),
    re.compile(r"(优惠券|優惠券|优惠卷).{0,6}(能用|可用|可以用|哪些|有几张|有幾張|还有|還有)"),
    re.compile(r"\b(my|which|what|any|usable|available)\b.{0,20}\b(coupons?|vouchers?)\b"),
    re.compile(r"\b(coupons?|vouchers?)\b.{0,20}\b(can i use|do i have|usable)\b"),
)
#: how many coupons the answer names (the page lists them all)
COUPONS_NAMED = 3


def coupons_intent(question: IntentQuestion) -> IntentAnswer | None:
    if not _matches(_plain(question.text), COUPON_PATTERNS):
        return None
    if question.member is None:
        return _sign_in("coupons")
    now = clock.now()
    usable = [
        c
        for c in promotions_selectors.coupon_wallet(question.member)["usable"]
        if c.status == CouponStatus.AVAILABLE and c.valid_from <= now
    ]
    link = reverse("portal:coupons")
    if not usable:
        return IntentAnswer(
            intent="coupons", text=_("You have no coupons to use right now."), link=link
        )
    named = "; ".join(
        _("%(name)s (until %(date)s)")
        % {"name": c.template.name, "date": timezone.localdate(c.valid_until).isoformat()}
        for c in usable[:COUPONS_NAMED]
    )
    text = ngettext(
        "You have %(count)d coupon to use: %(names)s.",
        "You have %(count)d coupons to use: %(names)s.",
        len(usable),
    ) % {
        "count": len(usable),
        "names": named,
    }
    return IntentAnswer(intent="coupons", text=text, link=link)


def register_default_intents() -> None:
    """The four member-data intents, most specific first."""
    for intent in (order_intent, points_intent, tier_intent, coupons_intent):
        intent_register(intent)
