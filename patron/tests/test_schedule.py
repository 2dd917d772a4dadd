"""The job table of the composition root (patron/schedule.py) names the jobs
the apps offer."""

from __future__ import annotations

from patron.schedule import SCHEDULE


def test_the_monthly_coupon_pack_job_is_on_the_schedule() -> None:
    assert "campaigns.monthly_coupon_packs" in {job.name for job in SCHEDULE}
