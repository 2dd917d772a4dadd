"""Messaging: what Patron tells members (e-mail, SMS, the in-app inbox) and
shops (signed webhooks), with templates, consent, frequency caps and a
delivery log. A records-layer app: the loyalty and service apps above send
through its services; it knows nothing of them."""
