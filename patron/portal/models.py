"""Portal sign-in state: member passwords, shop sign-in secrets, used nonces and
failed attempts. Members are not Django users; operators are."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member


class MemberCredential(models.Model):
    """A member's portal password, hashed with Django's password hashers."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, related_name="portal_credential"
    )
    password = models.CharField(_("password"), max_length=128)
    last_login = models.DateTimeField(_("last sign-in"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("password changed at"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("member portal credential")
        verbose_name_plural = _("member portal credentials")

    def __str__(self) -> str:
        return str(self.member)


class ShopSignInSecret(models.Model):
    """The secret a shop's backend signs portal sign-in links with (HMAC-SHA256).

    Stored in clear because verifying an HMAC needs the key itself. It leaves
    the server only to an administrator (the console's SSO page, or
    ``patron sso-secret``), and every such read or rotation is audited.
    """

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="portal_secret")
    secret = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("shop sign-in secret")
        verbose_name_plural = _("shop sign-in secrets")

    def __str__(self) -> str:
        return str(self.shop)


class UsedSignInNonce(models.Model):
    """A shop sign-in link that has been used; the unique index makes it single-use."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    used_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "nonce"], name="portal_nonce_single_use")
        ]


class SignInFailure(models.Model):
    """One failed sign-in, keyed by a hash of the identifier or of the client address."""

    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "at"])]
