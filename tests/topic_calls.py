"""Calls about planted topics, for the topic finder's tests and benchmark: each call's customer talks
about one of eight things (in Chinese or English, in many phrasings, among filler both sides say),
spread over weeks; one topic can be made to rise in the last week. Written at the recogniser's
boundary (``qa_calls.write``)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from qa_calls import Call, L

TOPICS = {
    "delivery": (["快递还没到", "物流信息一直不更新", "包裹显示签收了但我没收到", "配送太慢了", "快递员没有联系我", "物流停在中转站三天了"],
                 ["my package has not arrived", "the tracking page has not moved for days", "the courier never called me",
                  "it says delivered but I have no parcel"]),
    "refund": (["我要申请退款", "退款什么时候到账", "退货以后钱还没退回来", "退款被拒绝了", "我想把这个退掉退款"],
               ["I want a refund", "when will the refund reach my card", "my refund was rejected", "I returned it but got no money back"]),
    "login": (["账号登录不上", "密码重置的短信收不到", "验证码一直收不到", "登录提示账号异常", "换了手机号登录不了"],
              ["I cannot log in", "the password reset email never came", "the verification code does not arrive",
               "my account is locked"]),
    "price": (["价格太贵了", "有没有优惠券", "会员有没有折扣", "别家比你们便宜", "能不能再便宜一点"],
              ["the price is too high", "do you have a coupon", "is there a member discount", "your competitor is cheaper"]),
    "invoice": (["发票怎么开", "电子发票在哪里下载", "发票抬头写错了", "需要开增值税专用发票"],
                ["how do I get an invoice", "the company name on the invoice is wrong", "I need a VAT invoice"]),
    "damaged": (["收到的商品屏幕有划痕", "东西坏了不能用", "包装破了里面也摔坏了", "质量有问题开机就黑屏"],
                ["the screen is scratched", "it arrived broken", "the box was crushed and the product damaged"]),
    "points": (["会员积分怎么兑换", "积分怎么突然清零了", "积分没有到账", "等级升级需要多少积分"],
               ["how do I use my loyalty points", "my points disappeared", "the points were not added"]),
    "app": (["应用一打开就闪退", "更新以后打不开了", "页面一直加载不出来", "支付的时候卡住了"],
            ["the app crashes when I open it", "after the update it will not start", "the checkout page freezes"]),
}
FILLER_CUSTOMER = (["你好", "我想问一下", "是这样的", "好的谢谢", "那怎么办呢", "嗯嗯", "麻烦你快点处理"],
                   ["hello", "I have a question", "okay thanks", "so what can I do", "please hurry"])
AGENT = (["您好，很高兴为您服务", "我帮您查一下", "请稍等", "好的明白", "还有其他问题吗", "感谢您的来电"],
         ["hello, thanks for calling", "let me check that for you", "one moment please", "I understand",
          "anything else I can help with", "thank you for calling"])


def planted(n: int, seed: int, weeks: int = 6, rising: str | None = None, end: datetime | None = None,
            zh_share: float = 0.6, filler: int = 1) -> tuple[list[Call], dict[str, str]]:
    """``n`` calls and each one's planted topic (by recording id). With ``rising``, that topic is
    three times as common in the last week as before; ``filler``: the customer's lines that say nothing
    of it (a long call: 25)."""
    rng = random.Random(seed)
    end = end or datetime(2026, 11, 29, 23, 0)  # a Sunday: each planted week is a calendar week
    names = list(TOPICS)
    calls, truth = [], {}
    for i in range(n):
        week = rng.randrange(weeks)
        weights = [3.0 if (rising == t and week == weeks - 1) else 1.0 for t in names]
        topic = rng.choices(names, weights)[0]
        zh = rng.random() < zh_share
        lang = 0 if zh else 1
        lines, t = [], 0.5
        mine = rng.sample(TOPICS[topic][lang], k=min(len(TOPICS[topic][lang]), rng.randint(2, 4)))
        says = [(r, x) for r, x in ([("agent", rng.choice(AGENT[lang]))] + [("customer", rng.choice(FILLER_CUSTOMER[lang]))]
                                    + [("customer", m) for m in mine] + [("agent", rng.choice(AGENT[lang]))]
                                    + [("customer", rng.choice(FILLER_CUSTOMER[lang])) for _ in range(filler)])]
        for role, text in says:
            d = max(1.0, len(text) * (0.25 if zh else 0.07))
            lines.append(L(t, t + d, role, text + ("。" if zh else ".")))
            t += d + 0.5
        at = end - timedelta(days=7 * (weeks - 1 - week) + rng.uniform(0, 6.9))
        call = Call(f"topic-{seed}-{i}", "service", tuple(lines), duration_s=t + 1,
                    outcome=None, recorded_at=at)
        calls.append(call)
        truth[call.recording_id] = topic
    return calls, truth
