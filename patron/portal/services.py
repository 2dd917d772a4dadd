"""Writes owned by the portal: member passwords, sign-in (password and shop link),
password reset, profile and preferences.

Sign-in never tells an unknown account from a wrong password: the same error,
and a password hash is checked either way so the timing is alike too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from patron.core import clock
from patron.core import services as core_services
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.core.permissions import require_perm
from patron.core.pii import normalize_email, normalize_phone
from patron.members import services as member_services
from patron.members.models import Language, Member
from patron.portal.models import MemberCredential, ShopSignInSecret, SignInFailure, UsedSignInNonce

FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 30
LINK_MAX_AGE = dt.timedelta(minutes=5)
# Checked against when there is no account, so that both paths cost one hash.
_DUMMY_HASH = make_password("patron-no-such-account")


# --- Passwords ----------------------------------------------------------------


def credential_set_password(*, member: Member, raw_password: str) -> MemberCredential:
    """Give the member a portal password (validated by Django's validators)."""
    try:
        validate_password(raw_password)
    except ValidationError as exc:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, " ".join(exc.messages), field="password"
        ) from None
    now = clock.now()
    with transaction.atomic():
        credential, _created = MemberCredential.objects.update_or_create(
            member=member,
            defaults={"password": make_password(raw_password), "password_changed_at": now},
            create_defaults={
                "password": make_password(raw_password),
                "password_changed_at": now,
                "created_at": now,
            },
        )
    return credential


# --- Sign-in with a password ----------------------------------------------------


def _throttle_key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _account_text(identifier: str) -> str:
    """The account an identifier names, written one way: ``139 0000 0099``,
    ``139-0000-0099`` and ``+86 139…`` are one phone, so one lock-out count."""
    text = identifier.strip()
    try:
        if "@" in text:
            return normalize_email(text).lower()
        return normalize_phone(text)
    except ValidationError:
        # Not a valid phone or e-mail (no account has it): still one count per
        # spelling that differs only in case, blanks and separators.
        return "".join(ch for ch in text.lower() if ch not in " -()\t")


def _find_member(*, shop: Shop, identifier: str) -> Member | None:
    text = identifier.strip()
    if not text:
        return None
    try:
        if "@" in text:
            return Member.objects.filter(shop=shop, email__iexact=normalize_email(text)).first()
        return Member.objects.filter(shop=shop, phone=normalize_phone(text)).first()
    except ValidationError:
        return None


def _refused() -> PatronError:
    return PatronError(
        ErrorCode.UNAUTHENTICATED,
        _("The account or password is not correct."),
        field="password",
        status=401,
    )


def portal_sign_in(*, shop: Shop, identifier: str, password: str, address: str) -> Member:
    """The member whose phone or e-mail and password match; refuses otherwise.

    Too many failures for one identifier or from one address within the
    window are refused before any password is checked, whether or not the
    account exists.
    """
    now = clock.now()
    since = now - FAILURE_WINDOW
    account_key = _throttle_key("id", _account_text(identifier))
    address_key = _throttle_key("ip", address)
    failures = SignInFailure.objects.filter(at__gte=since)
    if (
        failures.filter(key=account_key).count() >= MAX_FAILURES_PER_ACCOUNT
        or failures.filter(key=address_key).count() >= MAX_FAILURES_PER_ADDRESS
    ):
        raise PatronError(
            ErrorCode.RATE_LIMITED,
            _("Too many attempts. Please wait 15 minutes and try again."),
            field="identifier",
        )
    member = _find_member(shop=shop, identifier=identifier)
    credential = (
        MemberCredential.objects.filter(member=member).first() if member is not None else None
    )
    ok = check_password(password, credential.password if credential else _DUMMY_HASH)
    if not ok or credential is None or member is None:
        SignInFailure.objects.bulk_create(
            [SignInFailure(key=account_key, at=now), SignInFailure(key=address_key, at=now)]
        )
        raise _refused()
    MemberCredential.objects.filter(pk=credential.pk).update(last_login=now)
    SignInFailure.objects.filter(key=account_key).delete()
    return member


# --- Sign-in from the shop (signed links) ---------------------------------------


LINK_SIGNATURE_VERSION = "patron-sso-v2"
# 1 to 64 printable ASCII characters without spaces (hex, base64, UUIDs ...).
_NONCE = re.compile(r"^[\x21-\x7e]{1,64}$")
# Unix seconds from 2000 to 2100: a wider number is no time a shop signed.
_TS_RANGE = range(946_684_800, 4_102_444_800)


def link_message(*, shop_id: int, member: str, ts: int, nonce: str) -> bytes:
    """The canonical text a sign-in link's signature covers (version 2).

    Lines joined by "\n": the version, the shop id, the time, the nonce and,
    last, the member's external id. Only the external id may hold any
    character (a dot, a newline); as the last line it ends where the text
    ends, so no two different links share a text.
    """
    return f"{LINK_SIGNATURE_VERSION}\n{shop_id}\n{ts}\n{nonce}\n{member}".encode()


def link_signature(*, secret: str, shop_id: int, member: str, ts: int, nonce: str) -> str:
    """HMAC-SHA256 (hex) over ``link_message``; what the shop's backend computes."""
    message = link_message(shop_id=shop_id, member=member, ts=ts, nonce=nonce)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _legacy_link_signature(*, secret: str, shop_id: int, member: str, ts: int, nonce: str) -> str:
    """Version 1, HMAC-SHA256 over ``shop_id.member.ts.nonce``. Ambiguous once
    the member or the nonce holds a dot ("M.1" + "5" reads like "M" + "1.5"),
    so it is only accepted for links where neither does."""
    message = f"{shop_id}.{member}.{ts}.{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def link_signature_valid(
    *, secret: str, shop_id: int, member: str, ts: int, nonce: str, sig: str
) -> bool:
    """Whether ``sig`` signs the link, in version 2 or (unambiguous links only) 1."""
    given = sig.encode("utf-8", "replace")
    v2 = link_signature(secret=secret, shop_id=shop_id, member=member, ts=ts, nonce=nonce)
    if hmac.compare_digest(v2.encode(), given):
        return True
    if "." in member or "." in nonce:
        return False
    v1 = _legacy_link_signature(secret=secret, shop_id=shop_id, member=member, ts=ts, nonce=nonce)
    return hmac.compare_digest(v1.encode(), given)


# Who may see or replace a shop's sign-in secret (only the admin role holds it).
SIGN_IN_SECRET_PERMISSION = "portal.change_shopsigninsecret"  # noqa: S105 - a permission name


def sign_in_secret_rotate(*, shop: Shop, actor: Any = None, via: str = "") -> str:
    """Create or replace the shop's link-signing secret; returns it.

    Links signed with the old secret are refused from now on (a link lives
    five minutes, so a shop rotating mid-traffic loses at most those).
    Audited, without the secret; ``via`` says where (console, command line).
    An operator ``actor`` needs the permission in that shop.
    """
    require_perm(actor, SIGN_IN_SECRET_PERMISSION, shop=shop, what="replace this shop's secret")
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        row, created = ShopSignInSecret.objects.update_or_create(
            shop=shop,
            defaults={"secret": secret, "created_at": clock.now()},
        )
        core_services.audit_record(
            actor=actor,
            action="portal.sso_secret_create" if created else "portal.sso_secret_rotate",
            obj=shop,
            after={"created_at": row.created_at},
            reason=via,
        )
    return secret


def sign_in_secret_get(*, shop: Shop, actor: Any = None, via: str = "") -> str:
    """The shop's link-signing secret, made first if it has none, for the
    shop's developers to configure their backend with. Every read is audited
    (without the secret): it is a credential. An operator ``actor`` needs the
    permission in that shop."""
    require_perm(actor, SIGN_IN_SECRET_PERMISSION, shop=shop, what="see this shop's secret")
    existing = ShopSignInSecret.objects.filter(shop=shop).first()
    if existing is None:
        return sign_in_secret_rotate(shop=shop, actor=actor, via=via)
    core_services.audit_record(
        actor=actor,
        action="portal.sso_secret_view",
        obj=shop,
        after={"created_at": existing.created_at},
        reason=via,
    )
    return existing.secret


def portal_link_sign_in(*, shop_id: int, member: str, ts: int, nonce: str, sig: str) -> Member:
    """Consume a shop-signed sign-in link: valid signature, fresh, unused."""
    refused = PatronError(
        ErrorCode.UNAUTHENTICATED,
        _("This sign-in link is invalid or has expired. Please open it again from the shop."),
        status=401,
    )
    if (
        not 0 < shop_id < 2**63
        or ts not in _TS_RANGE
        or not _NONCE.match(nonce)
        or not 0 < len(member) <= 64
        or len(sig) != 64
    ):
        raise refused
    secret = ShopSignInSecret.objects.select_related("shop").filter(shop_id=shop_id).first()
    if secret is None:
        raise refused
    if not link_signature_valid(
        secret=secret.secret, shop_id=shop_id, member=member, ts=ts, nonce=nonce, sig=sig
    ):
        raise refused
    now = clock.now()
    issued = dt.datetime.fromtimestamp(ts, tz=dt.UTC)
    # A little leeway for clocks that run ahead; none for links that are old.
    if issued > now + dt.timedelta(seconds=30) or now - issued > LINK_MAX_AGE:
        raise refused
    found = Member.objects.filter(shop_id=shop_id, external_id=member).first()
    if found is None:
        raise refused
    try:
        with transaction.atomic():
            UsedSignInNonce.objects.create(
                shop_id=shop_id, nonce=nonce, used_at=now, expires_at=issued + LINK_MAX_AGE
            )
    except IntegrityError:
        raise refused from None
    return found


# --- Password reset -----------------------------------------------------------


class _ResetTokens(PasswordResetTokenGenerator):
    """Django's reset tokens over a member credential; invalid once the password changes."""

    key_salt = "patron.portal.password_reset"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        login = "" if user.last_login is None else user.last_login.replace(microsecond=0)
        return f"{user.pk}{user.password}{login}{timestamp}{user.member.email}"

    def _now(self) -> dt.datetime:
        return clock.now().replace(tzinfo=None)


reset_tokens = _ResetTokens()


@dataclass(frozen=True)
class ResetLink:
    uid: str
    token: str


def password_reset_request(*, shop: Shop, email: str, url_template: str) -> None:
    """Mail a reset link if the e-mail belongs to a member with a portal password.

    Says nothing either way, so the form cannot be used to find accounts.
    ``url_template`` has ``{uid}`` and ``{token}`` placeholders.
    """
    from patron.portal import tasks

    member = _find_member(shop=shop, identifier=email) if "@" in email else None
    credential = MemberCredential.objects.filter(member=member).first() if member else None
    if credential is None or member is None:
        return
    link = reset_link(credential)
    url = url_template.format(uid=link.uid, token=link.token)
    transaction.on_commit(lambda: tasks.password_reset_mail.enqueue(member_id=member.pk, url=url))


def reset_link(credential: MemberCredential) -> ResetLink:
    return ResetLink(
        uid=urlsafe_base64_encode(str(credential.pk).encode()),
        token=reset_tokens.make_token(credential),  # type: ignore[arg-type]
    )


def reset_credential(*, uid: str, token: str) -> MemberCredential | None:
    """The credential a reset link is for, if the link is still valid."""
    try:
        pk = int(urlsafe_base64_decode(uid).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    credential = MemberCredential.objects.select_related("member").filter(pk=pk).first()
    if credential is None:
        return None
    if not reset_tokens.check_token(credential, token):  # type: ignore[arg-type]
        return None
    return credential


def password_reset_confirm(*, uid: str, token: str, new_password: str) -> Member:
    credential = reset_credential(uid=uid, token=token)
    if credential is None:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            _("This reset link is invalid or has expired. Please ask for a new one."),
            field="token",
        )
    credential_set_password(member=credential.member, raw_password=new_password)
    return credential.member


# --- Profile and preferences ------------------------------------------------------


def member_language_set(*, member: Member, language: str) -> Member:
    if language not in Language.values:
        raise PatronError(ErrorCode.VALIDATION_ERROR, _("Unknown language."), field="language")
    return member_services.member_upsert(
        shop=member.shop, external_id=member.external_id, fields={"language": language}
    ).member


def member_profile_update(
    *,
    member: Member,
    name: str,
    email: str,
    birthday: dt.date | None,
    gender: str,
) -> Member:
    """The member edits their own name, e-mail, birthday and gender (completing
    the profile earns its points, in ``member_upsert``)."""
    fields: dict[str, Any] = {"name": name, "email": email, "gender": gender}
    if birthday is not None:
        fields["birthday"] = birthday
    return member_services.member_upsert(
        shop=member.shop, external_id=member.external_id, fields=fields
    ).member
