"""The engine on its own: normalization, segmentation with the shop's terms,
the gate, and input that is not a question."""

from __future__ import annotations

import pytest

from patron.assistant.engine import Doc, Engine, normalize
from patron.assistant.engine.analyzer import Analyzer, stem
from patron.assistant.engine.faqfile import DEFAULT_FAQ, docs_from_faq, read_faq
from patron.assistant.engine.text import detect_language


@pytest.fixture(scope="module")
def faq_engine() -> Engine:
    """The demo FAQ as a shop runs it: questions and also_asked phrasings."""
    return Engine(docs_from_faq(read_faq(DEFAULT_FAQ)))


def test_normalize_traditional_to_simplified() -> None:
    assert normalize("積分什麼時候過期") == "积分什么时候过期"


def test_normalize_full_width_and_case() -> None:
    assert normalize("ＣＯＵＰＯＮ怎么用？！") == "coupon怎么用?!"


def test_normalize_strips_emoji_and_zero_width() -> None:
    assert normalize("积分😀👍🏻有\u200b效期吗❤️") == "积分 有效期吗"


def test_normalize_fixes_homophone_typos() -> None:
    assert normalize("优惠卷和积份") == "优惠券和积分"


def test_detect_language() -> None:
    assert detect_language("积分什么时候过期") == "zh-hans"
    assert detect_language("coupon怎么用") == "zh-hans"
    assert detect_language("when do points expire") == "en"
    assert detect_language("how do i use my vip优惠") == "en"


def test_segmentation_keeps_shop_terms_whole() -> None:
    analyzer = Analyzer(["小白鞋"])
    assert analyzer.words("成长值怎么算") == ["成长值", "怎么", "算"]
    assert analyzer.words("满减券用不了")[0] == "满减券"
    assert "七天无理由" in analyzer.words("七天无理由退货怎么申请")
    assert analyzer.words("小白鞋偏大吗")[0] == "小白鞋"


def test_shop_terms_do_not_leak_between_engines() -> None:
    Analyzer(["白鞋偏"])
    assert "白鞋偏" not in Analyzer().words("小白鞋偏大吗")


def test_synonyms_meet_across_languages() -> None:
    analyzer = Analyzer()
    assert "退款" in analyzer.tokens(normalize("refund please"))
    assert "优惠券" in analyzer.tokens(normalize("my voucher"))
    assert analyzer.tokens("券")[0] == "优惠券"


def test_stem() -> None:
    assert stem("points") == stem("point") == "point"
    assert stem("shipping") == stem("ship") == "ship"
    assert stem("expired") == stem("expire") == stem("expires")


def test_clear_question_is_confident(faq_engine: Engine) -> None:
    ranking = faq_engine.rank("積分什麼時候過期？😅")
    assert ranking.language == "zh-hans"
    assert ranking.hits[0].key == "points-expiry"
    assert ranking.confident and not ranking.out_of_scope
    assert 0 < ranking.hits[0].score <= 1


def test_english_question_is_confident(faq_engine: Engine) -> None:
    ranking = faq_engine.rank("How long does my refund take?")
    assert ranking.language == "en"
    assert ranking.hits[0].key == "refund-time"
    assert ranking.confident


def test_vague_question_is_unsure_with_two_candidates(faq_engine: Engine) -> None:
    ranking = faq_engine.rank("优惠券")
    assert not ranking.confident and not ranking.out_of_scope
    assert len(ranking.hits) >= 2
    assert all(h.key.startswith("coupon-") for h in ranking.hits[:2])
    assert ranking.hits[0].score >= ranking.hits[1].score


def test_out_of_scope_is_refused(faq_engine: Engine) -> None:
    # Not "汇率是多少": with also_asked indexed, 多少 meets a points-cash
    # phrasing and it is answered (a known dev-set miss, docs/assistant.md).
    for question in ("今天天气怎么样", "tell me a joke", "推荐一部电影"):
        ranking = faq_engine.rank(question)
        assert ranking.out_of_scope and not ranking.confident, question


@pytest.mark.parametrize(
    "question",
    ["", "   ", "😀😀", "积分" * 300, "\x00\x01\x02\x03binary\x04\x05", "\ufffd\ufffd\ufffdab"],
)
def test_not_a_question_is_out_of_scope(faq_engine: Engine, question: str) -> None:
    ranking = faq_engine.rank(question)
    assert ranking.out_of_scope and not ranking.confident and ranking.hits == []


def test_language_given_wins(faq_engine: Engine) -> None:
    assert faq_engine.rank("coupon", language="zh-hans").language == "zh-hans"


def test_empty_knowledge_base_refuses() -> None:
    ranking = Engine([]).rank("积分什么时候过期")
    assert ranking.out_of_scope and ranking.hits == []


def test_hits_are_best_first_and_at_most_five(faq_engine: Engine) -> None:
    hits = faq_engine.rank("积分 优惠券 退货 会员 发票 快递").hits
    assert 1 <= len(hits) <= 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_shop_terms_help_retrieval() -> None:
    docs = [
        Doc("shoes", "pre_sale", {"zh-hans": ["小白鞋怎么清洗"]}),
        Doc("bag", "pre_sale", {"zh-hans": ["白色包包怎么清洗"]}),
    ]
    assert Engine(docs, terms=["小白鞋"]).rank("小白鞋脏了").hits[0].key == "shoes"


def test_a_question_naming_no_product_prefers_the_general_entry() -> None:
    general = Doc(
        "coupon-use", "coupons", {"zh-hans": ["优惠券怎么使用？"], "en": ["How do I use a coupon?"]}
    )
    products = [
        Doc(
            f"{en}-coupon",
            "coupons",
            {"zh-hans": [f"{zh}能用优惠券吗？"], "en": [f"Can I use a coupon on the {en}?"]},
        )
        for zh, en in (("红酒", "wine"), ("香水", "perfume"), ("卫衣", "hoodie"))
    ]
    names = ["红酒", "wine", "香水", "perfume", "卫衣", "hoodie"]
    # Without the names the product entries match "能用优惠券吗" word for word.
    assert Engine([general, *products]).rank("能用优惠券吗").hits[0].key != "coupon-use"
    engine = Engine([general, *products], terms=names)
    assert engine.rank("能用优惠券吗").hits[0].key == "coupon-use"
    assert engine.rank("can i use a coupon").hits[0].key == "coupon-use"
    # Naming the product still finds the product's entry.
    assert engine.rank("香水能用券吗").hits[0].key == "perfume-coupon"
    assert engine.rank("coupon for the perfume?").hits[0].key == "perfume-coupon"
