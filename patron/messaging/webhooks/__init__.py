"""Webhooks to the shop: subscriptions, signed deliveries with retries, and
the verifier shops can copy (docs/messaging.md, "Webhooks")."""
