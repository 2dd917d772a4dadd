"""Teams, agents and tickets with their timelines: the desk an agent works."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member


class TicketChannel(models.TextChoices):
    CHAT = "chat", _("online chat")
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("phone")
    SOCIAL = "social", _("social and IM")
    PORTAL = "portal", _("member portal form")
    AGENT = "agent", _("opened by an agent")


class TicketTopic(models.TextChoices):
    PRE_SALE = "pre_sale", _("pre-sale question")
    ORDER_CHANGE = "order_change", _("order change")
    LOGISTICS = "logistics", _("logistics")
    RETURN = "return", _("return or exchange")
    COMPLAINT = "complaint", _("complaint")
    MEMBERSHIP = "membership", _("points and membership")
    SUGGESTION = "suggestion", _("suggestion")
    OTHER = "other", _("other")


class TicketPriority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class TicketStatus(models.TextChoices):
    NEW = "new", _("new")
    OPEN = "open", _("open")
    PENDING = "pending", _("pending on the member")
    ON_HOLD = "on_hold", _("on hold for a third party")
    SOLVED = "solved", _("solved")
    CLOSED = "closed", _("closed")


#: While a ticket is in one of these, its SLA clock does not run.
PAUSED_STATUSES = (TicketStatus.PENDING, TicketStatus.ON_HOLD)
#: A ticket in one of these is done with (solved may still reopen).
DONE_STATUSES = (TicketStatus.SOLVED, TicketStatus.CLOSED)


class Team(models.Model):
    """A group of agents tickets are routed to (售前, 售后, the VIP desk)."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="service_teams")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("service team")
        verbose_name_plural = _("service teams")
        constraints = [
            models.UniqueConstraint(fields=["shop", "code"], name="service_team_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    """An operator who answers tickets in one shop: capacity and presence."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="service_agents")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_agents"
    )
    display_name = models.CharField(_("display name"), max_length=100)
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), default=8, help_text=_("open tickets at most at a time")
    )
    online = models.BooleanField(_("online"), default=False)
    away_until = models.DateTimeField(_("away until"), null=True, blank=True)
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="service_agent_user_unique")
        ]

    def __str__(self) -> str:
        return self.display_name


class TeamRole(models.TextChoices):
    AGENT = "agent", _("agent")
    LEAD = "lead", _("team lead")


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=TeamRole.choices)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "agent"], name="service_membership_unique")
        ]


class Contact(models.Model):
    """Someone who wrote in: an e-mail address, a phone number or a social
    sender id, linked to a member when known (or later)."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="service_contacts")
    channel = models.CharField(_("channel"), max_length=10, choices=TicketChannel.choices)
    handle = models.CharField(_("address or sender id"), max_length=254)
    name = models.CharField(_("name"), max_length=100, blank=True)
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="service_contacts"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "channel", "handle"], name="service_contact_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.handle


class TicketSequence(models.Model):
    """The last ticket number given in a shop (numbers are per shop, no gaps
    in one transaction's view: the row is locked while one is taken)."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="+")
    last = models.PositiveIntegerField(default=0)


class Ticket(models.Model):
    """One conversation with a member or contact, from any channel."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField(_("number"))
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=TicketChannel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    topic = models.CharField(
        _("topic"), max_length=20, choices=TicketTopic.choices, default=TicketTopic.OTHER
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        AgentProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followed_by",
        help_text=_("the solved ticket this one continues"),
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    status_changed_at = models.DateTimeField(_("status changed at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    last_member_message_at = models.DateTimeField(
        _("last message from the member"), null=True, blank=True
    )
    last_reply_at = models.DateTimeField(_("last reply"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [
            ("work_ticket", "Can reply to, note and move tickets of their teams"),
            ("lead_team", "Can reassign the tickets of the teams they lead"),
            ("view_all_tickets", "Can read the tickets of every team"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["shop", "number"], name="service_ticket_number_unique"),
            models.CheckConstraint(
                condition=Q(member__isnull=False) | Q(contact__isnull=False),
                name="service_ticket_has_someone",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "status", "-updated_at"], name="service_ticket_desk"),
            # The desk's list in its order (most recently updated first) over
            # the tickets it shows (none merged away): a page is the index's
            # first rows, whatever the status filter (docs/decisions/service-desk-reads.md).
            models.Index(
                fields=["shop", "-updated_at", "-id"],
                condition=Q(merged_into__isnull=True),
                name="service_ticket_desk_recent",
            ),
            models.Index(fields=["assignee", "status"], name="service_ticket_assignee"),
            models.Index(fields=["member", "-created_at"], name="service_ticket_member"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def reference(self) -> str:
        """How the ticket is named to the member, e.g. in an e-mail subject."""
        return f"T{self.number}"


class EntryKind(models.TextChoices):
    MEMBER_MESSAGE = "member", _("message from the member")
    REPLY = "reply", _("public reply")
    NOTE = "note", _("internal note")
    STATUS = "status", _("status change")
    ACTION = "action", _("action")
    CALL = "call", _("phone call")


class TicketEntry(models.Model):
    """One line of a ticket's timeline. ``data`` holds the kind's details
    (a status change's from and to, a call's direction, number, duration
    and outcome, an action's name and arguments)."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=TicketChannel.choices)
    author = models.ForeignKey(
        AgentProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(
        _("message id"),
        max_length=200,
        blank=True,
        help_text=_("the outside channel's id of the message (e-mail Message-ID, IM message id)"),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("ticket entry")
        verbose_name_plural = _("ticket entries")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "channel", "external_id"],
                condition=~Q(external_id=""),
                name="service_entry_external_id_unique",
            )
        ]
        indexes = [models.Index(fields=["ticket", "created_at"], name="service_entry_timeline")]


class Attachment(models.Model):
    """A file on an entry (images and PDF), stored through Django's storage API."""

    entry = models.ForeignKey(TicketEntry, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to="service/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
