"""SMS gateways: one small interface (``base``) and its adapters. The SMS
channel of the member messages sends through :func:`gateway_from_settings`."""

from patron.messaging.sms.base import (
    SmsError,
    SmsGateway,
    SmsRequest,
    SmsResult,
    gateway_from_settings,
)

__all__ = ["SmsError", "SmsGateway", "SmsRequest", "SmsResult", "gateway_from_settings"]
