from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.core.pii import mask_email, mask_phone


class Gender(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("other")
    UNDISCLOSED = "", _("not given")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("简体中文")
    EN = "en", _("English")


class RegistrationChannel(models.TextChoices):
    WEB = "web", _("web shop")
    APP = "app", _("mobile app")
    MINI_PROGRAM = "mini_program", _("mini program")
    STORE = "store", _("physical store")
    IMPORT = "import", _("imported")
    OTHER = "other", _("other")


# A profile is complete when every one of these is filled in (gender "other"
# counts, "not given" does not). The one definition: the profile-completed
# bonus and ``Member.profile_completed_at`` follow it.
COMPLETE_PROFILE_FIELDS = ("name", "phone", "email", "birthday", "gender")


class Member(models.Model):
    # Shown masked (the console) or not at all (the admin) to roles without
    # members.view_member_pii; the admin neither filters, searches nor sorts by
    # them for those roles (core.admin.PiiGuardedAdmin).
    PII_FIELDS = ("phone", "email", "birthday")

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="members")
    external_id = models.CharField(_("shop member id"), max_length=64)
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)  # E.164
    email = models.EmailField(_("e-mail"), blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, blank=True, default=""
    )
    registered_at = models.DateTimeField(_("registered at"))
    registration_channel = models.CharField(
        _("registration channel"),
        max_length=20,
        choices=RegistrationChannel.choices,
        default=RegistrationChannel.WEB,
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    consent_email = models.BooleanField(_("e-mail consent"), default=False)
    consent_sms = models.BooleanField(_("SMS consent"), default=False)
    consent_in_app = models.BooleanField(_("in-app consent"), default=False)
    # When the profile first became complete; never cleared, so the bonus for
    # it is granted once (members.services.member_milestones_record).
    profile_completed_at = models.DateTimeField(_("profile completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["shop", "external_id"], name="member_unique_per_shop")
        ]
        indexes = [models.Index(fields=["shop", "registered_at"])]
        permissions = [("view_member_pii", "Can see members' full phone and e-mail")]

    def __str__(self) -> str:
        return f"{self.external_id} {self.name}".strip()

    def __repr__(self) -> str:
        # repr() ends up in logs and tracebacks: never the full phone or e-mail.
        return f"<Member {self.pk} {self.external_id} {self.masked_phone} {self.masked_email}>"

    @property
    def has_complete_profile(self) -> bool:
        return all(getattr(self, f) for f in COMPLETE_PROFILE_FIELDS)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)
