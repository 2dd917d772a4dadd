from django.urls import path

from patron.messaging import inbound, views

app_name = "messaging"

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("sms/inbound/", inbound.sms_inbound, name="sms_inbound"),
]
