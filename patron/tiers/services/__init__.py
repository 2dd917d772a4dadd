"""Writes of the tiers app, one transaction each. Split by sub-domain:
definitions, growth (event-time accrual and upgrade), evaluation (the
set-based period job and backfill), overrides, gifts and stats."""
