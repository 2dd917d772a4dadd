"""``patron assistant-eval --also-asked-loo``: each also_asked phrasing asked
of an engine built without it; exact figures on a small FAQ."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from patron.assistant.engine.faqfile import Phrasing, also_asked, docs_from_faq

FAQ = """\
- id: points-expiry
  category: points
  question: {zh: "积分什么时候过期？", en: "When do my points expire?"}
  answer: {zh: "次年12月31日过期。", en: "On 31 December of the following year."}
  also_asked: {zh: ["积分有效期多久", "积分会清零吗"], en: ["How long are points valid?"]}
- id: refund-time
  category: after_sale
  question: {zh: "退款多久到账？", en: "How long does a refund take?"}
  answer: {zh: "原路退回，1-7个工作日。", en: "1 to 7 working days, to the original payment."}
  also_asked:
    zh: ["钱什么时候退回来"]
    en: ["When do I get my money back?", "refund not received yet"]
- id: invoice
  category: pre_sale
  question: {zh: "如何开具发票？", en: "How do I get an invoice?"}
  answer: {zh: "在订单详情申请电子发票。", en: "Request an e-invoice on the order page."}
  also_asked: {zh: ["能开发票吗"], en: ["Can I have a receipt for my order?"]}
"""


def run(tmp_path: Path, *args: str) -> list[str]:
    (tmp_path / "faq.yaml").write_text(FAQ, encoding="utf-8")
    out = StringIO()
    call_command("assistant_eval", "--faq", str(tmp_path / "faq.yaml"), *args, stdout=out)
    return out.getvalue().splitlines()


def test_also_asked_lists_every_phrasing_with_its_language() -> None:
    found = also_asked(yaml.safe_load(FAQ))
    assert len(found) == 8
    assert found[0] == Phrasing("points-expiry", "zh-hans", 0, "积分有效期多久")
    assert found[2] == Phrasing("points-expiry", "en", 0, "How long are points valid?")
    assert found[-1] == Phrasing("invoice", "en", 0, "Can I have a receipt for my order?")


def test_docs_without_one_phrasing_keep_everything_else() -> None:
    entries = yaml.safe_load(FAQ)
    full = docs_from_faq(entries)
    assert full[1].texts["en"] == [
        "How long does a refund take?",
        "When do I get my money back?",
        "refund not received yet",
    ]
    less = docs_from_faq(entries, without=Phrasing("refund-time", "en", 0, "When do I get..."))
    assert less[1].texts["en"] == ["How long does a refund take?", "refund not received yet"]
    assert less[1].texts["zh-hans"] == full[1].texts["zh-hans"]
    assert [d.texts for d in less[::2]] == [d.texts for d in full[::2]]
    assert docs_from_faq(entries, leave_out_also_asked=True)[1].texts["en"] == [
        "How long does a refund take?"
    ]


def test_loo_prints_exact_figures(tmp_path: Path) -> None:
    lines = run(tmp_path, "--also-asked-loo", "--misses")
    assert lines[:7] == [
        "knowledge base: 3 entries",
        "questions: 8 in scope, 0 out of scope",
        "top-1 accuracy in scope: 87.5 % (7/8)",
        "top-3 accuracy in scope: 100.0 % (8/8)",
        "answered with confidence: 6 right, 0 wrong",
        "in scope wrongly handed off: 25.0 % (2/8)",
        "none handed off: no out-of-scope questions",
    ]
    # Left out, "钱什么时候退回来" shares only 什么时候 with the expiry
    # question: had it stayed in the index it would match itself at 1.00.
    assert lines[8:] == [
        "  4: refund-time got ['points-expiry', 'refund-time'] 0.47 (handed off): 钱什么时候退回来",
        "  6: refund-time got ['refund-time'] 0.46 (handed off): refund not received yet",
    ]


def test_loo_samples_every_nth_phrasing(tmp_path: Path) -> None:
    lines = run(tmp_path, "--also-asked-loo", "--loo-every", "2")
    assert lines[1:3] == [
        "questions: 4 in scope, 0 out of scope",
        "top-1 accuracy in scope: 100.0 % (4/4)",
    ]


def test_loo_reported_after_the_dev_set(tmp_path: Path) -> None:
    (tmp_path / "dev.tsv").write_text("invoice\ten\tinvoice please\n", encoding="utf-8")
    lines = run(tmp_path, str(tmp_path / "dev.tsv"), "--also-asked-loo", "--entries", "20")
    assert lines[0] == "knowledge base: 20 entries"
    assert lines[1] == f"== {tmp_path / 'dev.tsv'}"
    at = lines.index("== also_asked leave-one-out")
    assert lines[at + 1] == "questions: 8 in scope, 0 out of scope"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give a dev set file, or --also-asked-loo"),
        (("--also-asked-loo", "--loo-every", "0"), "--loo-every must be at least 1"),
    ],
)
def test_loo_rejects_bad_arguments(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(tmp_path, *args)
