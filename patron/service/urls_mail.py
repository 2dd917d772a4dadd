from django.urls import path

from patron.service.mail import views

app_name = "service_mail"

urlpatterns = [
    path("mail/inbound/", views.mail_inbound, name="inbound"),
]
