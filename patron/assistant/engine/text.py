"""Text clean-up before anything is matched: one spelling per character and
per word, so a question typed on a phone in traditional characters with
full-width punctuation and an emoji meets the knowledge base as written."""

from __future__ import annotations

import re
import unicodedata

import zhconv

# Misspellings members type (pinyin input picks the wrong homophone) and
# variants zhconv leaves alone. Applied to the normalized text.
TYPOS: dict[str, str] = {
    "积份": "积分",
    "积粉": "积分",
    "优惠卷": "优惠券",
    "优惠劵": "优惠券",
    "劵": "券",
    "快第": "快递",
    "物留": "物流",
    "退宽": "退款",
    "发漂": "发票",
    "成常值": "成长值",
    "会圆": "会员",
    "签倒": "签到",
    "尺吗": "尺码",
    "尺马": "尺码",
    "客fu": "客服",
    "转人攻": "转人工",
}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[a-z]")
_SPACE = re.compile(r"\s+")


def _keep(ch: str) -> bool:
    """Drop emoji, pictographs, control and format characters (zero-width
    joiners, variation selectors); keep letters, digits, punctuation, space."""
    cat = unicodedata.category(ch)
    if cat in ("So", "Sk", "Cs", "Co", "Cn", "Cf"):
        return False
    if cat == "Cc":
        return ch in "\t\n"
    return not (cat == "Mn" and 0xFE00 <= ord(ch) <= 0xFE0F)


def normalize(text: str) -> str:
    """Traditional -> simplified, full-width -> half-width (NFKC), emoji and
    control characters stripped, case folded, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        ch if _keep(ch) else ("" if unicodedata.category(ch) == "Cf" else " ") for ch in text
    )
    text = zhconv.convert(text, "zh-hans")
    text = text.casefold()
    for wrong, right in TYPOS.items():
        if wrong in text:
            text = text.replace(wrong, right)
    return _SPACE.sub(" ", text).strip()


def detect_language(text: str) -> str:
    """'zh-hans' when Chinese characters carry the question, else 'en'. A
    Chinese character says about as much as a short English word, so one
    counts for three Latin letters: "coupon怎么用" is Chinese, "how do I use
    my VIP优惠" is English."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text.casefold()))
    if cjk == 0:
        return "en"
    return "zh-hans" if cjk * 3 >= latin else "en"


def is_cjk(ch: str) -> bool:
    return bool(_CJK.match(ch))
