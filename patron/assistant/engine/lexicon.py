"""Words the engine treats specially: shop terms jieba must keep whole,
synonyms folded onto one token (across both languages, so "refund" finds
退款), and words too common in questions to say anything."""

from __future__ import annotations

# Terms every shop on Patron uses; a shop adds its own (product names) through
# Engine(terms=...).
SHOP_TERMS: tuple[str, ...] = (
    "成长值", "满减", "七天无理由", "待入账", "积分商城", "会员日", "签到", "转人工",
    "优惠券", "满减券", "运费险", "花呗", "货到付款", "专票", "发票", "秒杀", "限时抢购",
    "补货", "到货提醒", "收货地址", "快递单号", "包邮", "换货", "退货", "退款", "钻石会员",
    "金牌会员", "银牌会员", "专属客服", "人工客服", "积分抵扣", "抵现", "保级",
    "掉级", "降级", "升级", "正品", "假货", "尺码", "缺货", "注销", "退订",
)  # fmt: skip

# Each group folds onto its first word. English words are compared after
# stemming (see analyzer.stem), which is applied to this table too.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("积分", "point", "pts", "分数"),
    ("优惠券", "券", "coupon", "voucher", "code", "优惠码", "折扣码", "红包"),
    ("退货", "return", "退回", "寄回", "send"),
    ("退款", "refund", "退钱", "money"),
    ("换货", "exchange", "swap", "调换", "换", "换成"),
    ("快递", "包裹", "parcel", "package", "物流", "track", "delivery", "配送"),
    ("运费", "postage", "邮费", "shipping", "ship"),
    ("发货", "dispatch", "出库"),
    ("过期", "期限", "有效期", "expire", "expiry", "valid", "失效", "到期", "清零"),
    ("等级", "tier", "level", "级别", "会员等级", "status"),
    ("升级", "upgrade", "提升", "升到", "升", "become", "reach", "达到"),
    ("降级", "downgrade", "掉级", "保级", "掉", "drop", "lose"),
    ("成长值", "growth"),
    ("签到", "check", "打卡", "checkin"),
    ("发票", "invoice", "fapiao", "receipt", "收据"),
    ("取消", "cancel", "撤销"),
    ("地址", "address", "收货地址"),
    ("手机号", "phone", "手机", "mobile", "电话", "号码"),
    ("客服", "agent", "human", "person", "人工", "support", "service"),
    ("投诉", "complain", "complaint", "举报", "差评"),
    ("建议", "suggest", "feedback", "意见"),
    ("生日", "birthday"),
    ("礼物", "gift", "礼包", "礼品", "present"),
    ("兑换", "redeem", "换购", "reward", "兑"),
    ("正品", "genuine", "authentic", "真货", "fake", "假货", "假"),
    ("尺码", "size", "码数", "码", "尺寸"),
    ("缺货", "stock", "restock", "补货", "没货", "售罄", "断货", "有货", "到货"),
    ("支付", "pay", "payment", "付款", "付钱", "alipay", "支付宝", "微信支付", "花呗", "card"),
    ("破损", "damaged", "broken", "坏", "坏了", "defective", "faulty", "质量问题", "质量"),
    ("隐私", "privacy", "个人信息", "data", "数据", "资料"),
    ("删除", "delete", "注销", "erase", "remove"),
    ("退订", "unsubscribe", "stop", "关闭", "取消订阅"),
    ("短信", "sms", "text", "message"),
    ("邮件", "email", "mail", "newsletter"),
    ("叠加", "stack", "combine", "同时", "一起", "两张", "多张", "several", "multiple"),
    ("抢购", "flash", "秒杀", "限时"),
    ("专属", "dedicated", "vip", "personal", "priority", "优先"),
    ("钻石", "diamond"),
    ("金牌", "gold"),
    ("银牌", "silver"),
    ("权益", "benefit", "perk", "福利", "特权"),
    (
        "转让",
        "transfer",
        "give",
        "送给",
        "转给",
        "转到",
        "share",
        "move",
        "家人",
        "别人",
        "friend",
        "family",
    ),
    ("抵扣", "抵现", "抵钱", "cash", "当钱", "抵", "worth"),
    ("待入账", "pending", "credit", "到账"),
    ("获得", "earn", "collect", "赚", "攒", "得到", "送"),
    ("没收到", "missing", "never", "没加上", "没有收到", "没到", "没给"),
    ("不能用", "用不了", "不可用", "无效", "invalid", "greyed", "失败"),
    ("送达", "arrive", "收到货", "送到", "到货时间"),
)

# Question words and fillers of both languages: every question has them, so
# they decide nothing and only dilute a match.
_STOP_WORDS = """
    的 了 吗 呢 吧 啊 呀 么 嘛 哦 哈 我 我们 你 你们 您 他 她 它 是 在 有 和 与 或 就 都 也 还 要
    想 请问 请 一下 这个 那个 这 那 个 怎么 怎样 怎么样 如何 什么 为什么 为啥 啥 哪 哪里 哪儿
    能 能不能 可以 可不可以 会 会不会 吗? 呢? 么? 嗯 喂 你好 您好 谢谢 麻烦 亲 一 把 被 给 让 对
    a an the i me my mine we our you your it its is are am was were be been do does did
    can could will would should shall may might to of in on at for from with by as and or but
    if then so that this these those there here what which who whom whose when where why how
    have has had get got any some please work hi hello thanks thank just about into up out
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS.split())
