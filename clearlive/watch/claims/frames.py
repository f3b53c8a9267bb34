"""Claims understood, not only matched: product + target + effect (+ quantity and time).

A health claim is an effect said of a target: 降 + 血糖, "melt" + "belly fat", 瘦 + 20斤. The
targets are disease, symptom and body-function names from grounded vocabularies (vocab/), the
effects the claim grammar of vocab/frames.yaml. A frame is a target and an effect in the same
clause, close together, in an assertion: the sentence's speech act (speech_acts.py) must be
``assert``, so warnings, denials, cited phrases and questions make no claim.

Frames work on normalised text (lower case, simplified Chinese) and report normalised offsets;
the detector maps them back to the original words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import ahocorasick

from clearlive.watch.claims.speech_acts import is_latin, speech_act
from clearlive.watch.claims.vocab import terms, vocabulary
from clearlive.watch.normalize import normalize

_CLAUSE_BREAK = re.compile(r"[，,。！？!?；;\n]")
_CN_DIGITS = "零一二三四五六七八九十百千两几半"
_QTY = rf"(?:[0-9]+(?:\.[0-9]+)?|[{_CN_DIGITS}]+)"
# The frames a text can hold (see trigger_roles); a parser given roles without its own does nothing.
ALL_ROLES = frozenset({"target", "weight", "reference", "urgency", "credential", "sales", "gift", "class"})
MAX_GAP_ZH = 10  # characters between a target and its effect
MAX_GAP_EN = 40


@dataclass(frozen=True, slots=True)
class Claim:
    kind: str  # disease, body, weight, rate, audience (offered to a disease's sufferers), medication (fewer drugs)
    strength: str  # cure, prevent, improve
    target: str
    effect: str
    start: int  # normalised span covering target and effect
    end: int
    quantity: str | None = None


@dataclass(frozen=True)
class _Lexicon:
    zh: ahocorasick.Automaton  # targets and effects, values (role, kind/strength, term)
    en_target: ahocorasick.Automaton  # 1,500 names: an automaton, where a regex alternation tries each in turn
    en_effect: re.Pattern[str]
    en_disease: frozenset[str]
    en_strength: dict[str, str]


_DISEASE_ENDING = re.compile(
    "(?:病|症|炎|癌|瘤|痛|疮|癣|疹|结节|综合征|障碍|出血|梗|梗死|梗塞|栓|溃疡|中毒|感染|衰竭|结石|增生|不全|失调|不调|硬化|"
    "肿|疝|痔|风湿|失眠|便秘|高血压|低血压|糖尿病|高血脂|血脂异常|近视|远视|散光|弱视|痴呆|白内障|青光眼|脱发|斑秃|痛风|"
    "贫血|哮喘|湿疹|痤疮|囊肿|息肉|抑郁|焦虑|偏头痛|眩晕|耳鸣|骨质疏松|肥胖|疱|瘫|麻痹|畸形|不孕|不育|阳痿|早泄|"
    "病毒|细菌|幽门螺杆菌|感冒|流感|发烧|发热|咳嗽|腹泻|水肿|结石)$"
)


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@cache
def lexicon() -> _Lexicon:
    grammar = vocabulary("frames")
    effects = grammar.get("effects") or {}
    targets = grammar.get("targets") or {}
    zh = ahocorasick.Automaton()
    # THUOCL's medical words mix diseases with organs and body parts (心脏, 皮肤): a word is a
    # disease when it has a disease's ending, else a body target (which needs a stronger frame).
    diseases_zh = set(terms("diseases_zh"))
    for word in diseases_zh:
        if len(word) >= 2:
            zh.add_word(word, ("target", "disease" if _DISEASE_ENDING.search(word) else "body", word))
    extra = grammar.get("diseases") or {}
    for word in extra.get("zh") or []:
        zh.add_word(word, ("target", "disease", word))
    for word in targets.get("zh") or []:
        if not zh.exists(word):
            zh.add_word(word, ("target", "body", word))
    for strength, words in (effects.get("zh") or {}).items():
        for word in words:
            if zh.exists(word):
                continue  # a target that is also an effect word (反弹): the target reading wins
            zh.add_word(word, ("effect", strength, word))
    zh.make_automaton()
    diseases_en = {t for t in terms("diseases_en") if len(t) >= 4} | set(extra.get("en") or [])
    body_en = set(targets.get("en") or [])
    strength_en = {w: s for s, words in (effects.get("en") or {}).items() for w in words}
    en_target = ahocorasick.Automaton()
    for word in diseases_en | body_en:
        en_target.add_word(word, word)
    en_target.make_automaton()
    return _Lexicon(
        zh=zh,
        en_target=en_target,
        en_effect=re.compile(rf"\b(?:{_alternation(list(strength_en))})\b"),
        en_disease=frozenset(diseases_en - body_en),
        en_strength=strength_en,
    )


def _clause_bounds(text: str) -> list[int]:
    return [m.start() for m in _CLAUSE_BREAK.finditer(text)]


def _same_clause(breaks: list[int], a: int, b: int) -> bool:
    lo, hi = min(a, b), max(a, b)
    return not any(lo <= x < hi for x in breaks)


_WEIGHT_ZH = re.compile(
    rf"(?:瘦|减|掉|甩|轻|降|少)了?(?:整整|足足|将近|近|差不多|至少|最少|最多)?({_QTY})(?:多)?"
    r"(斤|公斤|千克|kg|磅|厘米|cm|个码|码)"
)
_WEIGHT_ZH_AFTER = re.compile(
    rf"({_QTY})(?:多)?(斤|公斤|kg)(?:肉|赘肉|脂肪)?(?:没了|掉了|不见了|就下去了|轻松减掉|甩掉)"
)
# Height and rebound claims: 一瓶长高不是梦, 还能再长几公分, 不会反弹.
_GROWTH_ZH = re.compile(
    rf"(?:长高|增高|再长|多长|长个子?)(?:了)?{_QTY}?(?:公分|厘米|cm)|长高不是梦|(?:还能|能|让孩子)再?长高|不会?反弹"
)
_UNIT_GATE_ZH = re.compile("斤|公斤|千克|kg|磅|厘米|cm|码|长高|增高|再长|多长|长个|反弹")
_RATE_ZH = re.compile(r"(?:治愈|有效|预防|治疗|好转|康复|显效|见效)率")
_WEIGHT_EN = re.compile(
    r"\b(?:lose|loses|lost|losing|drop|dropped|dropping|shed|shedding|burn|burned|burns|melt|melts|trim|down)\b"
    r"[^.!?\n]{0,24}?\b(\d+(?:\.\d+)?(?:[-–]\d+)?\s?"
    r"(?:%|kg|kgs|kilos?|kilograms|lbs?|pounds|stone|st|inches|cm|dress sizes?))(?![a-z])"
    r"|\b(\d+(?:\.\d+)?\s?(?:kg|kgs|kilos?|lbs?|pounds|stone|inches|cm))\b[^.!?\n]{0,20}?"
    r"\b(?:gone|lost|off|down|in (?:just )?\d+ (?:days|weeks?|months?))\b"
)
_UNIT_GATE_EN = re.compile(r"\d\s?(?:%|kg|kilo|lb|pound|stone|st\b|inch|cm|dress)")
_RATE_EN = re.compile(
    r"\b(?:cure|recovery|efficacy|remission) rate\b|\b\d+(?:\.\d+)?% (?:of )?(?:cure|cured|effective)\b"
)


def parse_claims(text: str, roles: frozenset[str] | None = None) -> list[Claim]:
    """Every asserted claim frame in normalised text (`roles`: from trigger_roles, when known)."""
    found = _parse_en(text) if is_latin(text) else _parse_zh(text, roles)
    return [c for c in found if speech_act(text, c.start, c.end) == "assert"]


def _parse_zh(text: str, roles: frozenset[str] | None = None) -> list[Claim]:
    lex = lexicon()
    targets: list[tuple[int, int, str, str]] = []
    effects: list[tuple[int, int, str, str]] = []
    if "target" in (roles if roles is not None else trigger_roles(text)):
        for end, (role, kind, word) in lex.zh.iter_long(text):
            start = end - len(word) + 1
            (targets if role == "target" else effects).append((start, end + 1, kind, word))
    out: list[Claim] = []
    breaks = _clause_bounds(text) if targets and effects else []
    used: set[int] = set()
    for t_start, t_end, kind, target in targets:
        best = None
        for e_start, e_end, strength, effect in effects:
            gap = t_start - e_end if e_end <= t_start else e_start - t_end
            if gap < 0 or not _same_clause(breaks, min(t_start, e_start), max(t_end, e_end) - 1):
                continue
            # One-character effects (治, 防, 降, 祛) bind only right before their target: 降血糖, 防癌.
            if len(effect) == 1 and not (e_end <= t_start and gap <= 1):
                continue
            if gap > MAX_GAP_ZH:
                continue
            if best is None or gap < best[0]:
                best = (gap, e_start, e_end, strength, effect)
        if best is None:
            continue
        _, e_start, e_end, strength, effect = best
        if strength == "recover":
            if kind != "disease":
                continue
            strength = "cure"
        # Permitted wording of the health-food function list (有助于改善睡眠) is no disease claim.
        if kind == "body" and "有助于" in text[max(0, min(t_start, e_start) - 6) : t_start]:
            continue
        # A body function improved without a cure word, a number or a time is ordinary praise
        # (皮肤变好, 提高免疫力 in a health-food's approved function): it needs more to be a claim.
        if kind == "body" and strength == "improve" and not _has_quantity(text, t_start, t_end):
            continue
        start, end = min(t_start, e_start), max(t_end, e_end)
        if start in used:
            continue
        used.add(start)
        out.append(Claim(kind, strength, target, effect, start, end))
    for pattern in (_WEIGHT_ZH, _WEIGHT_ZH_AFTER, _GROWTH_ZH) if _UNIT_GATE_ZH.search(text) else ():
        for m in pattern.finditer(text):
            if not any(c.start <= m.start() < c.end for c in out):
                unit, quantity = (m.group(2), m.group(1)) if pattern.groups else ("", None)
                out.append(Claim("weight", "improve", unit, m.group(0), m.start(), m.end(), quantity))
    for m in _RATE_ZH.finditer(text) if "率" in text else ():
        out.append(Claim("rate", "cure", m.group(0), m.group(0), m.start(), m.end()))
    out.extend(_audience_claims(text, [(s, e, w) for s, e, k, w in targets if k == "disease"], out))
    out.extend(_medication_claims(_MEDICATION_ZH, text) if "药" in text or "处方" in text else ())
    return sorted(out, key=lambda c: (c.start, c.end))


# Fewer drugs as the product's effect (降压药都停了, 处方药慢慢减, "I'm off my insulin"): a treatment claim
# that names no disease. Advice against stopping (不要擅自停药, "don't stop taking your medication")
# is an advisory speech act and makes no claim (parse_claims).
_MEDICATION_ZH = re.compile(
    r"(?:降压药|降糖药|降脂药|胰岛素|西药|处方药|处方笺|处方签|药物|激素|药)(?:都|已经|也|全|慢慢|现在|基本)"
    r"[^，。！？,!?；;]{0,6}?(?:停了|停掉|不用吃|不吃了|减了|减半|减少|减|没在吃|不用再吃|扔了)"
    r"|(?:停|减|戒)掉?了?(?:降压药|降糖药|降脂药|胰岛素|西药|处方药)"
)
_MEDICATION_EN = re.compile(
    r"\b(?:off|stopped taking|no longer (?:take|takes|taking|need|needs|needed)|came off|come off|quit|ditched|"
    r"threw away|throw away|reduced|cut down on) (?:all )?(?:of )?(?:my|his|her|their|your|the)? ?"
    r"(?:meds|medications?|medicines?|insulin|pills|prescriptions?|inhalers?|statins?|blood pressure pills)\b"
)


def _medication_claims(pattern: re.Pattern[str], text: str) -> list[Claim]:
    return [Claim("medication", "cure", m.group(0), m.group(0), m.start(), m.end()) for m in pattern.finditer(text)]


# A product offered to the sufferers of a disease (适合高血压人群, "if you suffer from arthritis") says it
# treats the disease without an effect word; a warning (不适合高血压人群, 慎用) says the opposite.
_AUDIENCE_ZH = re.compile(r"(?<![不禁慎忌])(?:适合|适用于|专门针对|针对|专为)[^，。！？,!?；;]{0,12}$")
_AUDIENCE_EN = re.compile(
    r"\b(?:suffer(?:s|ing)?|struggl(?:e|es|ing)|liv(?:e|es|ing)|deal(?:s|ing)?) (?:from|with)\b[^.!?;]{0,30}$"
    r"|\bfor (?:anyone|those|people|everyone|men|women|folks) (?:with|who have)\b[^.!?;]{0,30}$"
)


# In English the sufferers are also named in advice ("if you suffer from allergies, check the label"):
# the product must be pitched to them (perfect for, designed for, "this is for you") and no one sent
# to a doctor or a label.
_PITCH_BEFORE_EN = re.compile(r"\b(?:perfect|ideal|great|designed|made|formulated|created|developed|specially)\b")
_PITCH_AFTER_EN = re.compile(r"\b(?:this|these|it|our|my)\b")
_ADVICE_EN = re.compile(r"\b(?:consult|doctor|gp|pharmacist|check|ask|talk to|speak to|label|not suitable|avoid)\b")


def _pitched_en(text: str, start: int, end: int) -> bool:
    sentence_start = max((text.rfind(c, 0, start) for c in ".!?;"), default=-1) + 1
    stops = [i for i in (text.find(c, end) for c in ".!?;") if i >= 0]
    sentence = text[sentence_start : min(stops, default=len(text))]
    if _ADVICE_EN.search(sentence):
        return False
    return bool(
        _PITCH_BEFORE_EN.search(text[sentence_start:start])
        or _PITCH_AFTER_EN.search(text[end : len(sentence) + sentence_start])
    )


def _audience_claims(text: str, diseases: list[tuple[int, int, str]], found: list[Claim]) -> list[Claim]:
    pattern = _AUDIENCE_EN if is_latin(text) else _AUDIENCE_ZH
    out = []
    for start, end, target in diseases:
        if any(c.start <= start < c.end for c in found):
            continue  # already part of an effect claim
        m = pattern.search(text[max(0, start - 40) : start])
        if m is None:
            continue
        if pattern is _AUDIENCE_EN and not _pitched_en(text, start, end):
            continue
        cue_start = max(0, start - 40) + m.start()
        out.append(Claim("audience", "improve", target, m.group(0).strip(), cue_start, end))
        break  # one per sentence: the list of diseases is one claim
    return out


_QUANTITY_NEAR = re.compile(
    rf"{_QTY}\s*(?:天|周|个月|月|次|瓶|盒|疗程|%|分钟|小时|年)|立竿见影|马上|当天|一夜|很快|彻底|完全|100%|百分百"
)


class _Hit:
    """A word found by an automaton, shaped like a regex match (start, end, group(0))."""

    __slots__ = ("_end", "_start", "word")

    def __init__(self, start: int, end: int, word: str) -> None:
        self._start, self._end, self.word = start, end, word

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, _: int = 0) -> str:
        return self.word


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "'"


def _word_hits(automaton: ahocorasick.Automaton, text: str) -> list[_Hit]:
    """Whole-word hits of an automaton, longest first at each start, not overlapping."""
    hits = []
    for end, word in automaton.iter_long(text):
        start = end - len(word) + 1
        if (start == 0 or not _is_word_char(text[start - 1])) and (
            end + 1 == len(text) or not _is_word_char(text[end + 1])
        ):
            hits.append(_Hit(start, end + 1, word))
        elif (
            end + 1 < len(text) and text[end + 1] == "s" and (end + 2 == len(text) or not _is_word_char(text[end + 2]))
        ):
            hits.append(_Hit(start, end + 2, word))  # a plural: "tumors", "allergies" are listed, "migraines" not
    return hits


def _has_quantity(text: str, start: int, end: int) -> bool:
    return _QUANTITY_NEAR.search(text[max(0, start - 14) : end + 14]) is not None


def _parse_en(text: str) -> list[Claim]:
    lex = lexicon()
    out: list[Claim] = []
    targets = list(_word_hits(lex.en_target, text))
    effects = list(lex.en_effect.finditer(text)) if targets else []
    breaks = [m.start() for m in re.finditer(r"[.!?;\n]", text)]
    for t in targets:
        target = t.group(0)
        kind = "disease" if target in lex.en_disease else "body"
        best = None
        for e in effects:
            gap = t.start() - e.end() if e.end() <= t.start() else e.start() - t.end()
            if (
                gap < 0
                or gap > MAX_GAP_EN
                or not _same_clause(breaks, min(t.start(), e.start()), max(t.end(), e.end()) - 1)
            ):
                continue
            if best is None or gap < best[0]:
                best = (gap, e)
        if best is None:
            continue
        e = best[1]
        strength = lex.en_strength.get(e.group(0), "improve")
        # Authorised health-claim and structure-function wording hedges: "may reduce the risk of".
        if strength == "improve" and _EN_HEDGE.search(text[max(0, min(t.start(), e.start()) - 24) : t.start()]):
            continue
        if (
            kind == "body"
            and strength == "improve"
            and not _EN_QUANTITY.search(text[max(0, t.start() - 40) : t.end() + 40])
        ):
            if target not in _EN_WEIGHT_TARGETS:
                continue
        out.append(Claim(kind, strength, target, e.group(0), min(t.start(), e.start()), max(t.end(), e.end())))
    for m in _WEIGHT_EN.finditer(text) if _UNIT_GATE_EN.search(text) else ():
        if not any(c.start <= m.start() < c.end for c in out):
            out.append(Claim("weight", "improve", "weight", m.group(0), m.start(), m.end(), m.group(1) or m.group(2)))
    for m in _RATE_EN.finditer(text) if " rate" in text or "%" in text else ():
        out.append(Claim("rate", "cure", m.group(0), m.group(0), m.start(), m.end()))
    diseases = [(t.start(), t.end(), t.group(0)) for t in targets if t.group(0) in lex.en_disease]
    out.extend(_audience_claims(text, diseases, out))
    out.extend(_medication_claims(_MEDICATION_EN, text))
    return sorted(out, key=lambda c: (c.start, c.end))


_EN_HEDGE = re.compile(r"\b(?:may|might|can help|helps?|help to|supports?|supporting|contributes? to|maintain\w*)\b")
_EN_QUANTITY = re.compile(
    r"\d|\b(?:days?|weeks?|overnight|instantly|guarantee\w*|clinically|100%|fast|while (?:you )?sleep\w*)\b"
)
_EN_WEIGHT_TARGETS = frozenset(
    {"weight", "fat", "belly fat", "body fat", "stubborn fat", "waist", "waistline", "cellulite", "hormonal weight"}
)


# ---------------------------------------------------------------------------------------------
# Reference prices and urgency: claims whose truth depends on facts (a price history, the stock, the
# real end of an offer). With the facts in the room they are judged by clearlive/watch/detectors/facts.py;
# without them they are flagged as claims the buyer cannot check.

_MONEY = r"(?:[0-9]+(?:[.,][0-9]+)*|[零一二三四五六七八九十百千万两几上]+)"


def _currencies() -> tuple[str, str]:
    """Currency symbols (any language) and Chinese currency words, from vocab/currencies.yaml (minor
    units left out: 分 is also a minute, 角 a corner)."""
    entries = vocabulary("currencies").get("currencies") or []
    symbols = [e["text"].lower() for e in entries if str(e.get("kind", "")).startswith("symbol")]
    words_zh = [
        normalize(e["text"]).text
        for e in entries
        if e.get("lang") == "zh" and "minor" not in str(e.get("kind", "")) and e["text"] not in {"分", "角", "毛"}
    ]
    return _alternation(symbols or ["£", "$", "€"]), _alternation(words_zh or ["元", "块"])


_SYMBOLS, _CURRENCY_WORDS_ZH = _currencies()
_CURRENCY_EN = rf"(?:{_SYMBOLS})"
_REFERENCE_ZH = re.compile(
    rf"(?:原价|原價|划线价|专柜价|专柜|吊牌价|市场价|日常价|官方价|官网价|指导价|零售价|平时|平常|外面|别家|别人家|旗舰店|实体店|商场|超市)"
    rf"(?:都|要|卖|是|价){{0,2}}[^，。！？,!?]{{0,4}}?{_MONEY}(?:多|多块)?(?:{_CURRENCY_WORDS_ZH}|{_SYMBOLS})"
    rf"|(?:恢复|回到|涨回|恢复到|涨到){_MONEY}(?:{_CURRENCY_WORDS_ZH})"
    rf"|比(?:其他|其它|别的|别家|外面|线下|官方|旗舰店|实体店|商场|超市|专柜)[^，。！？,!?]{{0,8}}(?:便宜|低|省)"
    rf"|价值(?:上千|上万|几千|几万|数千|数万)(?:元|块)"
    # a named list price needs no currency word: 原价9998，现在只需998
    rf"|(?:原价|原價|划线价|专柜价|吊牌价|市场价|日常价|官方价|官网价|指导价|零售价)(?:是|要|都要|卖)?{_MONEY}(?![0-9件个套盒瓶支袋条只双斤克天年]|[.,][0-9])"
    # another channel's price: 线下门店卖五六千元, 药店要1280
    rf"|(?:线下|门店|药店|药房|专卖店|免税店|品牌店)(?:都|要|卖|是|价){{0,2}}[^，。！？,!?]{{0,4}}?{_MONEY}(?:多|多块)?"
    rf"(?:{_CURRENCY_WORDS_ZH}|{_SYMBOLS})"
    # a stated value set against today's price: 1万元的和田玉，我们今天300元就卖
    rf"|[0-9]*{_MONEY}(?:{_CURRENCY_WORDS_ZH})的[^，。！？,!?]{{1,8}}[，,]?[^，。！？,!?]{{0,4}}?"
    rf"(?:今天|现在|直播间|只要|只需|只卖|到手)[^，。！？,!?]{{0,3}}?{_MONEY}(?:{_CURRENCY_WORDS_ZH})"
)
# Amounts as said on air: "£1,299", "six thousand pounds", "35 quid", "five, six hundred dollars".
_NUMBER_WORD_EN = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|grand|a hundred|a thousand|couple of hundred|couple of thousand)"
)
_MONEY_EN = (
    rf"(?:{_CURRENCY_EN}\s?[0-9][0-9,.]*|(?:[0-9][0-9,.]*|{_NUMBER_WORD_EN}(?:[\s,-]+(?:and\s)?{_NUMBER_WORD_EN})*)\s?"
    r"(?:pounds|quid|dollars|bucks|euros|grand)\b)"
)
# Another channel's price, said in the conditional of a presenter inflating the value: "in a shop window
# that would go in at least six thousand pounds", "in the shops you'd pay £200 for this".
_CHANNEL_EN = (
    r"\b(?:in (?:the |a |any )?(?:shops?|stores?|high street|jewell?ers|jewell?ery shops?|department stores?|"
    r"shop windows?|boutiques?|salons?|pharmac(?:y|ies)|chemists?)"
    r"|on the high street|elsewhere|anywhere else|at retail)\b"
)
_REFERENCE_EN = re.compile(
    rf"{_CHANNEL_EN}[^.!?]{{0,60}}?\b(?:would|could|will|'d|you'd|at least|easily|upwards of|up to|over)\b"
    rf"[^.!?]{{0,30}}?{_MONEY_EN}"
    # a stated value (a free gift's worth is no price of what is sold)
    rf"|(?<!gift )(?<!gifts )(?<!bonus )\b(?:worth|valued at|retails? (?:at|for)|rrp of) "
    rf"(?:at least |over |about |around )?{_MONEY_EN}"
    rf"|\bwas {_CURRENCY_EN}\s?[0-9]|\bsave {_CURRENCY_EN}\s?[0-9]|\b(?:rrp|msrp|worth|valued at|originally|usually|"
    rf"normally|reduced from|regular price)\s?(?:of\s)?{_CURRENCY_EN}\s?[0-9]|\bprices? (?:goes?|going) (?:back )?up\b"
    # a price walked down on air: "from £10,493.99 ... right the way down to just £999.99"
    rf"|\bfrom {_CURRENCY_EN}\s?[0-9][0-9,.]*[^!?]{{0,100}}?\bdown to (?:just |only )?{_CURRENCY_EN}\s?[0-9]"
)
_URGENCY_ZH = re.compile(
    rf"最后{_MONEY}(?:单|件|套|份|盒|箱)(?!的(?:买家|客户|朋友|宝宝|家人|顾客))"
    rf"|(?:只剩|仅剩|就剩|还剩|剩下)(?:最后)?{_MONEY}(?:单|件|套|份|盒|箱)(?!的(?:买家|客户|朋友|宝宝|家人|顾客))"
    rf"|最后一天[^，。！？,!?]{{0,6}}(?:优惠|价|福利|活动|机会|折扣)"
    rf"|前{_MONEY}(?:名|位|单|个人)[^，。！？,!?]{{0,6}}(?:免单|免费|送|半价|0元|一分钱)"
    rf"|限量{_MONEY}|(?:全球|全国|全网)限量|限量(?:发行|版|供应)|手慢无|拼手速|注意手速|"
    rf"(?:3|三)[、，,.\s]*(?:2|二)[、，,.\s]*(?:1|一)[、，,!！\s]*(?:上链接|开抢|上车|拍)|"
    rf"只有今天|仅限今天|仅限今日|过了今天|下播(?:就|后)?(?:涨价|恢复原价|没有了|下架)|马上下架|(?:分钟|秒)(?:之?后|内)(?:就)?下架"
)
_URGENCY_EN = re.compile(
    r"\b(?:ends? (?:today|tonight|soon|midnight|in\b)|ending soon|last chance|"
    r"(?:\d+|few) (?:hours?|days?|minutes?) left|"
    r"only \d+ (?:left|remaining)|hurry|while stocks? lasts?|limited time only|today only|closing down|"
    r"we are closing|final hours|selling fast|almost gone|going fast)"
)


_CHECKABLE = re.compile(
    r"页面|详情页|商品页|可查|截图|价格记录|历史价格|价格曲线|price history|see the listing|on the product page"
)


@dataclass(frozen=True, slots=True)
class FactClaim:
    kind: str  # reference_price or urgency
    start: int
    end: int


def parse_fact_claims(text: str, roles: frozenset[str] = ALL_ROLES) -> list[FactClaim]:
    """Reference-price and urgency claims in an assertion (normalised text)."""
    latin = is_latin(text)
    out = []
    for kind, role, pattern in (
        ("reference_price", "reference", _REFERENCE_EN if latin else _REFERENCE_ZH),
        ("urgency", "urgency", _URGENCY_EN if latin else _URGENCY_ZH),
    ):
        if role not in roles:
            continue
        m = pattern.search(text)
        # A claim that points to where it can be checked (专柜价在页面, "see the price history") is not unverifiable.
        if m and _CHECKABLE.search(text):
            continue
        if m and speech_act(text, m.start(), m.end()) == "assert":
            out.append(FactClaim(kind, m.start(), m.end()))
    return out


# ---------------------------------------------------------------------------------------------
# Gift requests: a gift of the platforms' catalogues (vocab/gifts.yaml) named with a request verb,
# with no word for "tip" needed: 再刷一个跨时空之戀, "send me a galaxy".

_ASK_ZH = "刷|送|上|砸|整|来|给我|帮我|点亮|扔|丢|安排|冲"
_ASK_EN = r"send|sending|drop|gift|tap|spam|throw|give me"
_COMMON_EN = frozenset(
    {"tiktok", "rose", "heart", "like", "gg", "hi", "love", "hello", "thumbs up", "ice cream", "gift"}
)


_ASK_BEFORE_ZH = re.compile(rf"(?:{_ASK_ZH})(?:[个一两几][个波]?|点|些|几个)?$")
_ASK_BEFORE_EN = re.compile(rf"\b(?:{_ASK_EN})\b(?: (?:me|us|her|him|them|a|an|the|some|your|more|\d+))* $")


@cache
def _gift_automata() -> tuple[ahocorasick.Automaton, ahocorasick.Automaton]:
    """The gift names of the catalogues (vocab/gifts.yaml): Douyin's Chinese names, TikTok's
    English ones (words too common to mean a gift left out)."""
    names: dict[str, set[str]] = {"douyin": set(), "tiktok": set()}
    for gift in vocabulary("gifts").get("gifts") or []:
        name = normalize(str(gift.get("name", ""))).text.strip()
        if gift.get("platform") in names and len(name) >= 2:
            names[gift["platform"]].add(name)
    zh_names = {n for n in names["douyin"] if not n.isascii() and n not in {"抖音", "亲吻", "爱你", "比心"}}
    zh_names |= {"火箭", "嘉年华", "跑车", "飞机", "游轮", "小心心"}
    en_names = {n for n in names["tiktok"] if n.isascii() and n not in _COMMON_EN and len(n) >= 4}
    automata = []
    for words in (zh_names, en_names):
        automaton = ahocorasick.Automaton()
        for word in words:
            automaton.add_word(word, word)
        automaton.make_automaton()
        automata.append(automaton)
    return automata[0], automata[1]


def parse_gift_requests(text: str, roles: frozenset[str] = ALL_ROLES) -> list[tuple[int, int]]:
    """Spans where a catalogue gift is asked for, in an assertion (normalised text)."""
    if "gift" not in roles:
        return []
    zh, en = _gift_automata()
    if is_latin(text):
        hits = [(h.start(), h.end()) for h in _word_hits(en, text)]
        ask = _ASK_BEFORE_EN
        window = 40
    else:
        hits = [(end - len(word) + 1, end + 1) for end, word in zh.iter_long(text)]
        ask = _ASK_BEFORE_ZH
        window = 6
    for start, end in hits:
        m = ask.search(text, max(0, start - window), start)
        if m and speech_act(text, m.start(), end, "induced_tipping") == "assert":
            return [(m.start(), end)]
    return []


# ---------------------------------------------------------------------------------------------
# Credentials, sales figures and undisclosed brand promotion: claims about the speaker or the shop.

_TITLE_ZH = (
    "主任医师|主治医师|副主任医师|医师|医生|大夫|老中医|名医|明医|教授|院士|博士|营养师|营养专家|药剂师|药师|健康管理师|"
    "护士长|专家|律师|理财师|分析师|传承人|传人"
)
_CREDENTIAL_ZH = re.compile(
    rf"(?:我是|本人是|我作为|作为一名|作为|我叫|我们是)[^，。！？,!?]{{0,10}}?(?:{_TITLE_ZH})"
    rf"|(?:国家级|国家认证的?|三甲医院的?|协和的?|中国医学科学院|中医药大学|中医院|非遗|第[0-9一二三四五六七八九十]+代|"
    rf"祖传[0-9一二三四五六七八九十]*代?|宫廷|苗医|中医内科|中医外科)[^，。！？,!?]{{0,4}}?(?:{_TITLE_ZH})"
)
_CREDENTIAL_EN = re.compile(
    r"\b(?:i'?m|i am|as) an? (?:(?:registered|licensed|board[- ]certified|qualified|practicing|practising) )?"
    r"(?:doctor|physician|nurse|dietitian|dietician|nutritionist|pharmacist|dermatologist|surgeon|naturopath|gp)\b"
    r"|\bworking (?:\d+ \w+|for \w+ \w+) as an? (?:doctor|nurse|dietitian|nutritionist|pharmacist)\b"
    r"|\b(?:celebrity|famous|top|leading|harvard|tv) doctors?\b"
    r"|\bdoctors? (?:recommend|recommended|approved|proclaims?|reveals?)\b"
    # puffed standing: "the leading alternative health practitioner", "the country's top joint expert"
    r"|\b(?:leading|top|renowned|world[- ](?:famous|renowned|leading)|foremost)\b[^.!?,]{0,30}?"
    r"\b(?:expert|specialist|practitioner|surgeon|doctor|professor|nutritionist|dermatologist)s?\b"
    # "Dr Jane Doe PhD", "Dr Sam Smith is ...": a doctor's title in the seller's copy (not a brand's name)
    r"|\b(?!dr\.? (?:martens|pepper|jart|scholl|bronner|dre)\b)"
    r"dr\.? [a-z]+(?:[ -][a-z]+){0,2} (?:phd|md|is|has|says|recommends)\b"
)
_SALES_ZH = re.compile(
    rf"(?:已售|已拼|已卖|卖出|卖了|售出|月销|累计销售|累计卖出|热销)(?:了)?(?:超过|超|突破|近)?{_MONEY}(?:万|千|w|亿)?\+?"
    rf"(?:件|单|份|盒|瓶|套|箱)?|{_MONEY}(?:万|千)?单(?:瞬间|一下子?|马上|秒)?(?:就)?(?:被)?(?:抢空|秒空|抢光|卖光|售罄)"
)
_SALES_EN = re.compile(
    r"\b(?:over |more than )?[0-9][0-9,.]*k?\+? (?:sold|units sold|happy customers|customers served|orders shipped)\b"
    r"|\bsold (?:over|more than) [0-9][0-9,.]*k?\b"
)
_HEALTH_PITCH_EN = re.compile(
    r"\b(?:recommend\w*|swear by|supplements?|tea|pills?|cream|serum|vitamins?|capsules?|gumm(?:y|ies)|powder|"
    r"this product|these products|take this|try this|proclaims?|burns?|cures?|heals?|lose|lost)\b"
)
_NOT_SELLING = re.compile(r"不卖东西|不卖货|不带货|不推荐产品|不卖产品|not selling|no products?\b")
_BRAND_TAG_EN = re.compile(r"(?:^|\s)@[a-z0-9_.]{3,}")
_COMMERCIAL_EN = re.compile(
    r"\b(?:code|\d+% off|discount|get yours|shop|buy|link|outfit from|from @|by @|my fave|my go[- ]to|obsessed|loving|"
    r"i love|topping up|staying in shape|available (?:at|from)|use my)\b"
)
_DISCLOSED_EN = re.compile(
    r"#ad\b|\bad:|#advert|advertisement|#sponsored|\bsponsored\b|paid partnership|#gifted|\bgifted\b|#affiliate|"
    r"\baffiliate\b|#partner\b|#collab|\bpr product\b|#spon\b|\bpaid\b"
)


def parse_speaker_claims(text: str, roles: frozenset[str] = ALL_ROLES) -> list[tuple[str, int, int]]:
    """(kind, start, end) for a credential, a sales figure or brand promotion without disclosure,
    each in an assertion (normalised text). Kinds: credential, sales, undisclosed_promotion."""
    latin = is_latin(text)
    out = []
    for kind, pattern in (
        ("credential", _CREDENTIAL_EN if latin else _CREDENTIAL_ZH),
        ("sales", _SALES_EN if latin else _SALES_ZH),
    ):
        if kind not in roles:
            continue
        m = pattern.search(text)
        if (
            not m
            or (kind == "sales" and _CHECKABLE.search(text))
            or (kind == "credential" and _NOT_SELLING.search(text))
        ):
            continue
        if speech_act(text, m.start(), m.end()) == "assert":
            out.append((kind, m.start(), m.end()))
    if latin:
        tag = _BRAND_TAG_EN.search(text)
        if tag and _COMMERCIAL_EN.search(text) and not _DISCLOSED_EN.search(text):
            out.append(("undisclosed_promotion", tag.start() + (text[tag.start()] == " "), tag.end()))
    return out


# ---------------------------------------------------------------------------------------------
# Claims judged by the product's class, from the listing: a health-food function said of an ordinary
# food, a medical term said of a cosmetic. The function list and the cosmetics' prohibited terms are
# the regulators' (vocab/health_food_functions_zh.yaml, vocab/cosmetics_prohibited_zh.yaml).

_GENERIC_COSMETIC = frozenset(
    {"最", "第一", "全面", "全方位", "专业", "智能", "数码", "纯天然", "特级", "顶级", "冠级", "极致", "超凡"}
)


@cache
def _class_automata() -> tuple[ahocorasick.Automaton, ahocorasick.Automaton]:
    functions = ahocorasick.Automaton()
    for entry in vocabulary("health_food_functions_zh").get("functions") or []:
        for name in [entry.get("name"), *(entry.get("previous_names") or [])]:
            if isinstance(name, str) and len(name) >= 4:
                functions.add_word(normalize(name).text, normalize(name).text)
    functions.make_automaton()
    cosmetic = ahocorasick.Automaton()
    for entry in vocabulary("cosmetics_prohibited_zh").get("terms") or []:
        term, reason = entry.get("term", ""), entry.get("reason", "")
        if len(term) >= 2 and term not in _GENERIC_COSMETIC and "绝对化" not in reason and "姓名" not in reason:
            cosmetic.add_word(normalize(term).text, normalize(term).text)
    cosmetic.make_automaton()
    return functions, cosmetic


def parse_class_claims(text: str, roles: frozenset[str] = ALL_ROLES) -> list[tuple[str, int, int, str]]:
    """(kind, start, end, term): health-food functions ("health_function") and cosmetics'
    prohibited medical terms ("cosmetic_medical") asserted in normalised Chinese text."""
    if is_latin(text) or "class" not in roles:
        return []
    functions, cosmetic = _class_automata()
    out = []
    for kind, automaton in (("health_function", functions), ("cosmetic_medical", cosmetic)):
        for end, term in automaton.iter_long(text):
            start = end - len(term) + 1
            if speech_act(text, start, end + 1) == "assert":
                out.append((kind, start, end + 1, term))
                break
    return out


# ---------------------------------------------------------------------------------------------
# One pass to know which frames can apply to a Chinese text: the words every frame needs at least one
# of (a target, a gift, a price anchor, a title...). Each parser then runs only when its words are
# there, instead of each scanning every utterance with its own automaton or regex.

_ANCHORS_ZH = {
    "reference": "原价 划线价 专柜 吊牌价 市场价 日常价 官方价 官网价 指导价 零售价 平时 平常 外面 别家 "
    "别人家 旗舰店 实体店 商场 超市 线下 门店 药店 药房 专卖店 免税店 品牌店 元的 块的 万的 "
    "恢复 回到 涨回 涨到 价值 比其他 比其它 比别的 比别家 比外面 比线下 "
    "比官方 比旗舰店 比实体店 比商场 比超市 比专柜".split(),
    "urgency": "最后 只剩 仅剩 就剩 还剩 剩下 限量 手慢无 拼手速 注意手速 只有今天 仅限今 过了今天 下播 下架 "
    "2、1 2,1 2，1 21 二一 二、一".split()
    + [f"前{d}" for d in "0123456789一二两三四五六七八九十几百千"],
    "credential": _TITLE_ZH.split("|"),
    "sales": "已售 已拼 已卖 卖出 卖了 售出 月销 累计 热销 抢空 秒空 抢光 卖光 售罄".split(),
    # weight, height and rebound figures and cure rates need no disease word (瘦了7斤, 长高不是梦, 治愈率)
    "weight": "斤 公斤 千克 kg 磅 厘米 cm 码 长高 增高 再长 多长 长个 反弹 率".split(),
    # medication given up or cut (降压药都停了): the parser of target frames reads it
    "target": ["药", "处方"],
}


@cache
def _trigger_automaton() -> ahocorasick.Automaton:
    roles: dict[str, set[str]] = {}
    for role, words in _ANCHORS_ZH.items():
        for word in words:
            roles.setdefault(word, set()).add(role)
    lex = lexicon()
    for word, (role, _, _) in lex.zh.items():
        if role == "target":
            roles.setdefault(word, set()).add("target")
    zh_gifts, _ = _gift_automata()
    for word in zh_gifts.keys():
        roles.setdefault(word, set()).add("gift")
    functions, cosmetic = _class_automata()
    for word in [*functions.keys(), *cosmetic.keys()]:
        roles.setdefault(word, set()).add("class")
    automaton = ahocorasick.Automaton()
    for word, rs in roles.items():
        automaton.add_word(word, frozenset(rs))
    automaton.make_automaton()
    return automaton


def trigger_roles(text: str) -> frozenset[str]:
    """The frames whose words occur in normalised text: every frame for English (its parsers are
    gated by their own regexes), those whose anchors occur for Chinese."""
    if is_latin(text):
        return ALL_ROLES
    found: set[str] = set()
    for _, roles in _trigger_automaton().iter(text):
        found |= roles
    return frozenset(found)


def warm_up() -> None:
    """Load the vocabularies and build their automata (cached; the first scan need not pay it)."""
    lexicon()
    _gift_automata()
    _class_automata()
    _trigger_automaton()
