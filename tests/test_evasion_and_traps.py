"""Evasion techniques of taxonomy section E are caught; false-positive traps of section F are not.

Each row names the technique or trap it stands for, so a failure says which one broke.
"""

from __future__ import annotations

from functools import cache

import pytest

from clearlive.model.events import Comment, Utterance
from clearlive.model.findings import SEVERITY_RANK
from clearlive.watch.detectors import RoomState, TextRuleDetector
from clearlive.watch.scan.scanner import ScanConfig, build_ruleset


@cache
def detector() -> TextRuleDetector:
    return TextRuleDetector(build_ruleset(ScanConfig()))


def categories(text: str, kind: str = "utterance") -> set[str]:
    ev = (
        Utterance(room_id="r", ts=0, id="e", text=text)
        if kind == "utterance"
        else Comment(room_id="r", ts=0, id="e", text=text, user_id="u")
    )
    return {f.category for f in detector().observe(ev, RoomState("r")) if SEVERITY_RANK[f.severity] >= 1}


EVASIONS = [
    ("homophone 薇信", "加个薇信领福利", "diversion"),
    ("homophone 威信", "加我威信", "diversion"),
    ("homophone 卫星", "卫星号发你", "diversion"),
    ("letter V for 微", "想要的加v，名字拼音", "diversion"),
    ("plus sign", "+v 领券", "diversion"),
    ("pinyin weixin", "加weixin领福利", "diversion"),
    ("initials wx", "wx多少", "diversion"),
    ("initials vx", "vx：lingling88", "diversion"),
    ("split characters 力口", "力口微亻言领福利", "diversion"),
    ("inserted symbols", "加-微-信", "diversion"),
    ("inserted spaces", "加 微 信", "diversion"),
    ("emoji between characters", "加🌹微🌹信", "diversion"),
    ("zero-width characters", "加\u200b微\u200b信", "diversion"),
    ("emoji penguin for QQ", "🐧号12345678", "diversion"),
    ("emoji satellite for WeChat", "🛰️号发主页了", "diversion"),
    ("circled digits", "电话①③⑧①②③④⑤⑥⑦⑧", "diversion"),
    ("Chinese numerals", "一三八一二三四五六七八", "diversion"),
    ("financial numerals", "壹叁捌壹贰叁肆伍陆柒捌", "diversion"),
    ("full-width letters and digits", "ＶＸ：ａｂｃ１２３４５", "diversion"),
    ("styled letters", "加Ⓥ领券", "diversion"),
    ("traditional script", "這是全網最低價", "absolute_terms"),
    ("variant character 蕞", "蕞好用的面霜", "absolute_terms"),
    ("mixed script NO.1", "行业NO.1", "absolute_terms"),
    ("ASR mishearing 醉低价", "全网醉低价", "absolute_terms"),
    ("ASR mishearing 地一", "我们销量地一", "absolute_terms"),
    ("profanity with a space", "傻 b 主播", "abuse"),
    ("traditional profanity", "他媽的又漲價", "abuse"),
]


@pytest.mark.parametrize(("technique", "text", "category"), EVASIONS, ids=[e[0] for e in EVASIONS])
def test_evasion_is_caught(technique: str, text: str, category: str) -> None:
    assert category in categories(text, "comment") | categories(text), technique


TRAPS = [
    # F1: absolute-term traps
    ("F1.1 最近", "最近很多人问这个色号", "absolute_terms"),
    ("F1.1 最后", "最后一单了", "absolute_terms"),
    ("F1.1 最初", "最初我们只做橙子", "absolute_terms"),
    ("F1.1 最多 quantity", "每人最多限购两件", "absolute_terms"),
    ("F1.1 最少 quantity", "最少买两件包邮", "absolute_terms"),
    ("F1.1 最好 advice", "拆开以后最好冷藏", "absolute_terms"),
    ("F1.1 最好 advice", "最好先试用一下", "absolute_terms"),
    ("F1.1 最佳 usage tip", "最佳赏味期是七天", "absolute_terms"),
    ("F1.1 最佳 usage tip", "最佳食用温度是四度", "absolute_terms"),
    ("F1.2 第一次", "第一次来的宝宝点关注", "absolute_terms"),
    ("F1.2 第一步", "第一步先洁面", "absolute_terms"),
    ("F1.2 第一天", "第一天发货", "absolute_terms"),
    ("F1.2 一号链接", "一号链接是外套", "absolute_terms"),
    ("F1.2 第一件半价", "第一件原价第二件半价", "absolute_terms"),
    ("F1.2 第一个下单", "第一个下单的送小样", "absolute_terms"),
    ("F1.3 唯一的缺点", "唯一的缺点是有点重", "absolute_terms"),
    ("F1.3 首先", "首先看一下面料", "absolute_terms"),
    ("F1.3 首次", "首次下单有优惠", "absolute_terms"),
    ("F1.3 首单立减", "首单立减十元", "absolute_terms"),
    ("F1.4a service attitude", "我们致力于做到最好", "absolute_terms"),
    ("F1.4b self-comparison", "我们家最新款到了", "absolute_terms"),
    ("F1.4c standard grade", "按国家标准是特级", "absolute_terms"),
    ("F1.4d product name", "家里常备万能胶", "absolute_terms"),
    ("F1.4d media brand", "第一财经报道过", "absolute_terms"),
    ("F1.4e official title", "国家级非物质文化遗产的手艺", "absolute_terms"),
    ("F1.5 compound 极简", "极简风格的设计", "absolute_terms"),
    ("F1.5 place 北极", "北极绒的被子", "absolute_terms"),
    ("F1.5 compound 绝对值", "绝对值是五", "absolute_terms"),
    ("F1.5 顶级域名", "顶级域名要备案", "absolute_terms"),
    ("F1.6 negation", "我不能说最好，你们自己试", "absolute_terms"),
    ("F1.6 meta-talk", "平台不让说第一", "absolute_terms"),
    ("F1.7 quoting a viewer", "有人问是不是全网最低", "absolute_terms"),
    ("F1.8 醉 as drunk", "喝醉好难受", "absolute_terms"),
    # F2: diversion traps
    ("F2 微信支付", "支持微信支付和支付宝", "diversion"),
    ("F2 mere mention of 微信", "我们有微信公众号", "diversion"),
    ("F2 V领", "这件是V领的", "diversion"),
    ("F2 VIP", "VIP会员专享", "diversion"),
    ("F2 加购", "先加购再付款", "diversion"),
    ("F2 加热", "加热三分钟", "diversion"),
    ("F2 加绒", "加绒加厚", "diversion"),
    ("F2 model number", "型号VX-200", "diversion"),
    ("F2 price", "这件只要138元", "diversion"),
    ("F2 weight", "净重138克", "diversion"),
    ("F2 order number", "订单号13812345678已发货", "diversion"),
    ("F2 tracking number", "快递单号SF1381234567890", "diversion"),
    ("F2 date", "2026年11月1日发货", "diversion"),
    ("F2 official customer service", "官方客服热线400-123-4567", "diversion"),
    ("F2 on-platform 小黄车", "点小黄车直接拍", "diversion"),
    ("F2 on-platform 购物车", "加入购物车", "diversion"),
    ("F2 on-platform 橱窗", "橱窗里都有", "diversion"),
    ("F2 on-platform 粉丝团", "加入粉丝团领券", "diversion"),
    # F3: profanity traps
    ("F3 操 in 操作", "操作很简单", "abuse"),
    ("F3 草 in 草莓", "草莓特价", "abuse"),
    ("F3 日 in 节日", "节日你好呀", "abuse"),
    ("F3 去死 in 去死皮", "磨砂膏去死皮", "abuse"),
    ("F3 name 尼玛", "尼玛老师唱得好", "abuse"),
    ("F3 废物利用", "废物利用做收纳", "abuse"),
    ("F3 USB", "USB接口", "abuse"),
    # F4: claim-context traps
    ("F4 approved health-food function", "有助于维持血糖健康水平", "efficacy_claim"),
    ("F4 nutrient facts", "含有蛋白质和膳食纤维", "efficacy_claim"),
    ("F4 mandatory disclaimer", "本品不能代替药物", "efficacy_claim"),
    ("F4 genuine 助农", "我们合作社今年的苹果特别甜", "fabricated_persona"),
    ("F4 channel-exclusive 专供", "这是电商专供款", "origin_brand_claim"),
    ("F4 genuine flash sale", "今晚八点开抢，限量一千件", "false_scarcity"),
]


@pytest.mark.parametrize(("trap", "text", "category"), TRAPS, ids=[t[0] for t in TRAPS])
def test_false_positive_trap_stays_quiet(trap: str, text: str, category: str) -> None:
    assert category not in categories(text) | categories(text, "comment"), trap
