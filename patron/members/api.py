from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import ConfigDict, Field, StrictBool

from patron.core.api import ApiKeyAuth, json_response, shop_for, with_idempotency
from patron.core.models import ApiScope
from patron.core.validation import AwareDateTime, IsoDate, Text
from patron.members import selectors, services
from patron.members.models import Member

router = Router(tags=["members"])


class ConsentsIn(Schema):
    model_config = ConfigDict(extra="forbid")
    email: StrictBool | None = None
    sms: StrictBool | None = None
    in_app: StrictBool | None = None


class MemberIn(Schema):
    model_config = ConfigDict(extra="forbid")
    external_id: Annotated[Text, Field(min_length=1, max_length=64)]
    name: Annotated[Text, Field(max_length=100)] | None = None
    phone: Annotated[Text, Field(max_length=30)] | None = Field(
        None, description="mainland China mobile (13812345678) or E.164 (+447911123456)"
    )
    email: Annotated[Text, Field(max_length=254)] | None = None
    birthday: IsoDate | None = None
    gender: Literal["female", "male", "other", ""] | None = None
    registered_at: AwareDateTime | None = None
    registration_channel: Literal["web", "app", "mini_program", "store", "other"] | None = None
    language: Literal["zh-hans", "en"] | None = None
    consents: ConsentsIn | None = None


class ConsentsOut(Schema):
    email: bool
    sms: bool
    in_app: bool


class MemberOut(Schema):
    external_id: str
    name: str
    phone: str
    email: str
    birthday: dt.date | None
    gender: str
    registered_at: dt.datetime
    registration_channel: str
    language: str
    consents: ConsentsOut


def member_out(member: Member) -> dict[str, Any]:
    return {
        "external_id": member.external_id,
        "name": member.name,
        "phone": member.phone,
        "email": member.email,
        "birthday": member.birthday.isoformat() if member.birthday else None,
        "gender": member.gender,
        # In UTC, as read back from the database: the same on create, update and GET.
        "registered_at": member.registered_at.astimezone(dt.UTC).isoformat(),
        "registration_channel": member.registration_channel,
        "language": member.language,
        "consents": {
            "email": member.consent_email,
            "sms": member.consent_sms,
            "in_app": member.consent_in_app,
        },
    }


@router.post(
    "",
    response={200: MemberOut, 201: MemberOut},
    summary="Create or update a member by external_id",
    auth=ApiKeyAuth(ApiScope.MEMBERS_WRITE),
)
def member_upsert(request: HttpRequest, payload: MemberIn) -> HttpResponse:
    shop = shop_for(request, ApiScope.MEMBERS_WRITE)

    def handler() -> tuple[int, Any]:
        fields = payload.model_dump(exclude={"external_id", "consents"}, exclude_unset=True)
        if payload.consents is not None:
            for channel, value in payload.consents.model_dump(exclude_unset=True).items():
                fields[f"consent_{channel}"] = value
        # The points the write granted (sign-up, profile completed) are not
        # part of MemberOut; the member's points show them.
        upserted = services.member_upsert(shop=shop, external_id=payload.external_id, fields=fields)
        return (201 if upserted.created else 200), member_out(upserted.member)

    return with_idempotency(request, shop, handler)


@router.get(
    "/{external_id}",
    response=MemberOut,
    summary="A member's profile",
    auth=ApiKeyAuth(ApiScope.MEMBERS_READ),
)
def member_detail(request: HttpRequest, external_id: Text) -> HttpResponse:
    shop = shop_for(request, ApiScope.MEMBERS_READ)
    member = selectors.member_of_path(shop=shop, external_id=external_id)
    return json_response(200, member_out(member))
