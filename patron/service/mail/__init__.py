"""The e-mail channel of the desk: parsing inbound mail, the SMTP listener
(``patron mail-intake``) and the outgoing reply's headers."""
