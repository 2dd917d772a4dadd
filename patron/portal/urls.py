from django.urls import path

from patron.portal.views import account, loyalty, messages, orders, returns, service

app_name = "portal"

urlpatterns = [
    path("", loyalty.home_view, name="home"),
    path("sign-in/", account.sign_in_view, name="sign_in"),
    path("sign-out/", account.sign_out_view, name="sign_out"),
    path("sso", account.link_sign_in_view, name="link_sign_in"),
    path("password-reset/", account.password_reset_view, name="password_reset"),
    path(
        "password-reset/<str:uid>/<str:token>/",
        account.password_reset_confirm_view,
        name="password_reset_confirm",
    ),
    path("language/", account.language_view, name="language"),
    path("me/", account.profile_view, name="profile"),
    path("me/messages/", messages.preferences_view, name="preferences"),
    path("inbox/", messages.inbox_view, name="inbox"),
    path("inbox/read/", messages.inbox_read_view, name="inbox_read"),
    path("inbox/<int:message_id>/", messages.inbox_message_view, name="inbox_message"),
    path("inbox/<int:message_id>/delete/", messages.inbox_delete_view, name="inbox_delete"),
    path("me/data.json", account.data_export_view, name="data_export"),
    path("benefits/", loyalty.benefits_view, name="benefits"),
    path("points/", loyalty.points_history_view, name="points_history"),
    path("tier-history/", loyalty.tier_history_view, name="tier_history"),
    path("rewards/", loyalty.rewards_view, name="rewards"),
    path("rewards/<int:reward_id>/", loyalty.reward_view, name="reward"),
    path("redemptions/", loyalty.redemptions_view, name="redemptions"),
    path("coupons/", loyalty.coupons_view, name="coupons"),
    path("orders/", orders.orders_view, name="orders"),
    path("orders/<str:order_id>/change/", orders.order_change_view, name="order_change"),
    path("returns/", returns.returns_view, name="returns"),
    path("returns/new/<str:order_id>/", returns.return_new_view, name="return_new"),
    path("returns/<int:return_id>/sent/", returns.return_sent_view, name="return_sent"),
    path("coupons/claim/", loyalty.claim_centre_view, name="claim_centre"),
    path("check-in/", loyalty.check_in_view, name="check_in"),
    path("service/chat/", service.chat_view, name="chat"),
    path("service/chat/poll.json", service.chat_poll_view, name="chat_poll"),
]
