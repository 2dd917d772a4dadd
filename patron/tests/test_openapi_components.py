"""django-ninja names an OpenAPI component by its class name: two apps'
schemas of one name leave one of them in the document, and the other app's
answers are checked (by clients and by the fuzzing) against the wrong one."""

from __future__ import annotations

from patron.api import api


def test_the_service_entries_do_not_replace_the_points_ledgers() -> None:
    components = api.get_openapi_schema()["components"]["schemas"]
    assert "internal" in components["TicketEntryOut"]["properties"]
    assert "available_change" in components["EntryOut"]["properties"]
    assert "internal" not in components["EntryOut"]["properties"]
