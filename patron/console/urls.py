from django.urls import path

from patron.console.api import api
from patron.console.views import (
    approvals,
    assistant,
    audit,
    base,
    compensation,
    config,
    dashboard,
    members,
    messaging,
    returns,
    service,
    service_work,
    sso,
    webhooks,
)

app_name = "console"

urlpatterns = [
    path("", base.home_view, name="home"),
    path("login/", base.ConsoleLoginView.as_view(), name="login"),
    path("logout/", base.ConsoleLogoutView.as_view(), name="logout"),
    path("language/", base.language_view, name="language"),
    path("shop/", base.shop_view, name="shop"),
    path("dashboard/", dashboard.dashboard_view, name="dashboard"),
    path("members/", members.members_view, name="members"),
    path("members/<int:member_id>/", members.member_view, name="member"),
    path(
        "members/<int:member_id>/adjust-points/",
        approvals.adjust_points_view,
        name="adjust_points",
    ),
    path(
        "members/<int:member_id>/override-tier/",
        approvals.override_tier_view,
        name="override_tier",
    ),
    path(
        "members/<int:member_id>/messages/",
        messaging.member_messages_view,
        name="member_messages",
    ),
    path("messages/triggers/", messaging.triggers_view, name="messaging_triggers"),
    path("messages/triggers/switch/", messaging.trigger_switch_view, name="messaging_switch"),
    path("messages/template/", messaging.template_edit_view, name="messaging_template"),
    path("approvals/", approvals.approvals_view, name="approvals"),
    path("approvals/<str:kind>/<int:pk>/", approvals.decide_view, name="decide"),
    path("audit/", audit.audit_view, name="audit"),
    path("returns/", returns.returns_view, name="returns"),
    path("compensation/", compensation.compensation_view, name="compensation"),
    path("compensation/grant/", compensation.compensation_grant_view, name="compensation_grant"),
    path("returns/<int:return_id>/", returns.return_view, name="return"),
    path("returns/<int:return_id>/act/", returns.return_act_view, name="return_act"),
    path("coupon-templates/", config.coupon_templates_view, name="coupon_templates"),
    path("coupon-templates/new/", config.coupon_template_new_view, name="coupon_template_new"),
    path("rules/", config.rules_view, name="rules"),
    path("configuration/", config.configuration_view, name="configuration"),
    path("sso-secrets/", sso.sso_secret_view, name="sso_secrets"),
    path("webhooks/", webhooks.webhooks_view, name="webhooks"),
    path("webhooks/resend/", webhooks.webhook_resend_view, name="webhook_resend"),
    path("service/", service.tickets_view, name="service_tickets"),
    path("service/tickets/<int:number>/", service.ticket_view, name="service_ticket"),
    path(
        "service/tickets/<int:number>/reply/",
        service.ticket_reply_view,
        name="service_reply",
    ),
    path("service/tickets/<int:number>/note/", service.ticket_note_view, name="service_note"),
    path(
        "service/tickets/<int:number>/status/",
        service.ticket_status_view,
        name="service_status",
    ),
    path("service/at-risk/", service_work.at_risk_view, name="service_at_risk"),
    path("service/calls/new/", service_work.call_new_view, name="service_call_new"),
    path(
        "service/attachments/<int:attachment_id>/",
        service_work.attachment_view,
        name="service_attachment",
    ),
    path(
        "service/tickets/<int:number>/reassign/",
        service_work.ticket_reassign_view,
        name="service_reassign",
    ),
    path(
        "service/tickets/<int:number>/merge/", service_work.ticket_merge_view, name="service_merge"
    ),
    path("service/tickets/<int:number>/tags/", service_work.ticket_tags_view, name="service_tags"),
    path(
        "service/tickets/<int:number>/macro/", service_work.ticket_macro_view, name="service_macro"
    ),
    path("service/tickets/<int:number>/call/", service_work.ticket_call_view, name="service_call"),
    path("assistant/", assistant.entries_view, name="assistant_entries"),
    path("assistant/new/", assistant.entry_new_view, name="assistant_entry_new"),
    path("assistant/<int:entry_id>/", assistant.entry_view, name="assistant_entry"),
    path(
        "assistant/<int:entry_id>/state/", assistant.entry_state_view, name="assistant_entry_state"
    ),
    path("assistant/learn/", assistant.learn_view, name="assistant_learn"),
    path("assistant/learn/act/", assistant.learn_act_view, name="assistant_learn_act"),
    path("api/", api.urls),
]
