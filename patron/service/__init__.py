"""The service desk (客服): tickets from every channel, SLAs, routing, returns."""
