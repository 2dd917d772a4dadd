"""Demo step: the demo shop's assistant knows the bundled FAQ (42 bilingual
entries, published)."""

from __future__ import annotations

from patron.assistant.faq import DEMO_FAQ, faq_parse
from patron.assistant.services import faq_load
from patron.demo.context import DemoContext


def step_assistant(ctx: DemoContext) -> None:
    assert ctx.shop is not None
    loaded = faq_load(shop=ctx.shop, drafts=faq_parse(DEMO_FAQ.read_text(encoding="utf-8")))
    ctx.summary["faq entries"] = loaded.created + loaded.updated + loaded.unchanged
