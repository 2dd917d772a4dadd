"""Plausible extra knowledge-base entries for measuring the engine on a
large shop (the benchmark's 500 entries): product questions built from
templates over products and topics, in both languages, so they share words
with the real entries (尺码, 退货, 发货, 优惠券 ...) and compete with them."""

from __future__ import annotations

import itertools

from patron.assistant.engine.core import Doc

PRODUCTS: tuple[tuple[str, str, str], ...] = (
    ("sneaker", "小白鞋", "white sneakers"),
    ("down-jacket", "羽绒服", "down jacket"),
    ("tshirt", "纯棉T恤", "cotton T-shirt"),
    ("jeans", "牛仔裤", "jeans"),
    ("dress", "连衣裙", "dress"),
    ("backpack", "双肩包", "backpack"),
    ("kettle", "电热水壶", "electric kettle"),
    ("blender", "破壁机", "blender"),
    ("face-cream", "面霜", "face cream"),
    ("lipstick", "口红", "lipstick"),
    ("earbuds", "蓝牙耳机", "wireless earbuds"),
    ("power-bank", "充电宝", "power bank"),
    ("tea", "龙井茶叶", "Longjing tea"),
    ("coffee", "挂耳咖啡", "drip coffee"),
    ("pillow", "乳胶枕", "latex pillow"),
    ("duvet", "蚕丝被", "silk duvet"),
    ("stroller", "婴儿推车", "baby stroller"),
    ("yoga-mat", "瑜伽垫", "yoga mat"),
    ("watch", "智能手表", "smart watch"),
    ("sunscreen", "防晒霜", "sunscreen"),
    ("rice-cooker", "电饭煲", "rice cooker"),
    ("umbrella", "折叠伞", "folding umbrella"),
    ("suitcase", "行李箱", "suitcase"),
    ("scarf", "羊毛围巾", "wool scarf"),
    ("phone-case", "手机壳", "phone case"),
    ("desk-lamp", "护眼台灯", "desk lamp"),
    ("vacuum", "扫地机器人", "robot vacuum"),
    ("toothbrush", "电动牙刷", "electric toothbrush"),
    ("snacks", "坚果礼盒", "nut gift box"),
    ("wine", "红酒", "red wine"),
    ("perfume", "香水", "perfume"),
    ("running-shoes", "跑步鞋", "running shoes"),
    ("hoodie", "卫衣", "hoodie"),
    ("air-fryer", "空气炸锅", "air fryer"),
    ("thermos", "保温杯", "thermos flask"),
    ("bedsheet", "四件套", "bedding set"),
    ("dog-food", "狗粮", "dog food"),
    ("diapers", "纸尿裤", "diapers"),
    ("shampoo", "洗发水", "shampoo"),
    ("keyboard", "机械键盘", "mechanical keyboard"),
)

# (key suffix, category, zh question, en question, zh answer, en answer)
TOPICS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("size", "pre_sale", "{zh}的尺码怎么选？", "How do I pick the size of the {en}?",
     "{zh}按标准尺码，详见商品页尺码表。", "The {en} runs true to size; see the size chart."),
    ("material", "pre_sale", "{zh}是什么材质的？", "What is the {en} made of?",
     "{zh}的材质详见商品详情页。", "The product page lists the {en}'s materials."),
    ("warranty", "after_sale", "{zh}保修多久？", "How long is the warranty on the {en}?",
     "{zh}享受一年质保。", "The {en} has a one-year warranty."),
    ("wash", "pre_sale", "{zh}怎么清洗保养？", "How do I clean the {en}?",
     "{zh}请按吊牌说明清洗。", "Clean the {en} as the care label says."),
    ("ship", "in_sale", "{zh}从哪里发货？", "Where does the {en} ship from?",
     "{zh}从杭州仓发货。", "The {en} ships from our Hangzhou warehouse."),
    ("return", "after_sale", "{zh}拆封后还能退货吗？", "Can I return the {en} once opened?",
     "{zh}拆封不影响二次销售可退。", "An opened {en} can be returned if it is resalable."),
    ("gift", "pre_sale", "{zh}可以礼品包装吗？", "Can the {en} be gift-wrapped?",
     "{zh}下单时可选礼品包装。", "Choose gift wrapping for the {en} at checkout."),
    ("coupon", "coupons", "{zh}能用优惠券吗？", "Can I use a coupon on the {en}?",
     "{zh}支持店铺优惠券。", "Shop coupons apply to the {en}."),
    ("stock", "pre_sale", "{zh}什么时候补货？", "When will the {en} be restocked?",
     "{zh}预计两周内补货。", "The {en} is expected back within two weeks."),
    ("colour", "pre_sale", "{zh}有哪些颜色？", "Which colours does the {en} come in?",
     "{zh}的颜色以商品页为准。", "The product page shows the {en}'s colours."),
    ("usage", "pre_sale", "{zh}怎么使用？", "How do I use the {en}?",
     "{zh}使用说明见包装内说明书。", "The manual in the box explains the {en}."),
    ("price", "pre_sale", "{zh}会降价吗？", "Will the {en} go on sale?",
     "{zh}价格以活动页为准。", "Watch the sales page for {en} offers."),
)  # fmt: skip


def filler_docs(count: int) -> list[Doc]:
    """``count`` generated entries (at most products x topics = 480)."""
    docs = []
    for (pkey, zh, en), (tkey, category, qzh, qen, azh, aen) in itertools.islice(
        itertools.product(PRODUCTS, TOPICS), count
    ):
        docs.append(
            Doc(
                key=f"gen-{pkey}-{tkey}",
                category=category,
                texts={"zh-hans": [qzh.format(zh=zh)], "en": [qen.format(en=en)]},
                answers={"zh-hans": azh.format(zh=zh), "en": aen.format(en=en)},
            )
        )
    return docs


def filler_terms() -> list[str]:
    """The product names in both languages, as the shop's own terms (jieba
    keeps the Chinese ones whole; the engine treats all as names)."""
    return [name for _, zh, en in PRODUCTS for name in (zh, en)]
