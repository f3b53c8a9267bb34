"""What a sentence does with the words a rule or a claim frame found: assert them, or not.

A platform notice that names 全网最低价 to warn against it, a host who says the tea does NOT lower
blood sugar, a viewer who asks whether it cures insomnia, a regulator quoting 所谓“药妆” all carry
the trigger words of a claim without making it (taxonomy F4). `speech_act` looks at the sentence
around a match, in normalised text, and answers one of:

- ``assert``: an ordinary statement: the words count;
- ``advisory``: a warning, prohibition or rule about the behaviour (警惕, 严禁, 不得, "beware",
  "don't claim", "scam");
- ``negated``: the claim itself is denied (不能治疗, 并非, "does not cure", "not intended to");
- ``quoted``: the words are cited as somebody else's phrase (所谓“…”, “…”等宣传, "claims such as");
- ``question``: a yes/no question about the claim (这个能治失眠吗, "does it cure ...?").

Cue lists are grammar, not vocabulary: they are short, language-specific, and each one has a
near-miss in tests/test_claims.py (test_speech_acts) that must stay an assertion.
"""

from __future__ import annotations

import re

# Categories whose words are conduct, not claims (see `counts`).
CONDUCT = frozenset({"abuse", "soft_porn", "provocation", "induced_tipping", "diversion"})

# A sentence ends at these; a clause (the scope of a negation) also at commas.
_SENTENCE_END = re.compile(r"[。！？!?；;\n]|(?<![0-9])\.(?![0-9])")
_CLAUSE_END = re.compile(r"[，,、：:。！？!?；;\n]|(?<![0-9])\.(?![0-9])")

# Warnings and rules. Matched anywhere in the sentence before the words (zh) or around them (en).
_ADVISORY_ZH = re.compile(
    "警惕|谨防|提防|当心|切勿|切莫|不要轻信|别轻信|不轻信|勿信|别信|严禁|禁止|不得|不允许|不准|不许|不应|不宜宣传|"
    "不能宣称|不得宣称|不可宣称|不能宣传|不得宣传|避免使用|避免出现|防范|谨慎|识别|擦亮眼睛|理性消费|"
    "涉嫌|违法|违规|属于虚假|构成虚假|虚假宣传|欺诈|骗局|套路|陷阱|监管部门|市场监管|消费者协会|消协|投诉|举报|"
    "依法|规定|条例|办法|平台规则|要求主播|主播不得|商家不得|不存在所谓|虚假|假冒|伪劣|不实|诱饵|诱导|骗取|诈骗|夸大|"
    "医生的?指导|遵医嘱|及时就医|正规医院|制造消费焦虑|消费焦虑"
)
# Inside quotes, followed by more quoted phrases and 等: “治疗高血压”“抗癌防癌”等功效.
_QUOTED_LIST_AFTER_ZH = re.compile(
    r"^[^“「『\"”」』]{0,16}[”」』\"](?:[、，,]?[“「『\"][^”」』\"]{1,24}[”」』\"])*[、，,]?(?:等|之类|这类|此类)"
)
# Phrases after the words that turn them into a cited example: “全网最低价”等用语.
# Prohibitions and warnings proper: for conduct categories, where topic words (骗局, "scammer") are
# often part of the abuse itself.
_PROHIBITION_ZH = re.compile(
    "警惕|谨防|提防|切勿|切莫|严禁|禁止|不得|不允许|不准|不许|不要|别再|请勿|防范|主播不得|要求主播|诱饵|诱导|骗取|诈骗|违法|违规"
)
_PROHIBITION_EN = re.compile(
    r"\b(?:beware|watch out|must not|mustn'?t|should not|not allowed|prohibited|forbidden|not permitted|refrain|"
    r"(?:don'?t|do not|never|avoid) "
    r"(?:make|making|use|using|say|saying|post|posting|ask|asking|share|sharing|send|give))\b"
)
_CITED_AFTER_ZH = re.compile(
    r"^[”」』\"']?(?:等|之类|这类|此类|一类)(?:宣传|用语|字样|说法|词语|话术|表述|承诺|夸大|虚假|绝对化|功效|疾病|违规|字眼)?"
)
# 以 cites only when a quotation follows (以“根治”为噱头); bare, it ends 可以/所以/足以/难以, which assert.
_CITED_BEFORE_ZH = re.compile(r"(?:(?:所谓的?|号称|打着|冒充|假冒|谎称|编造|虚构|虚假的?)[“「『\"']?|以[“「『\"'])$")
_NEGATION_ZH = re.compile(
    r"(?:不能|不可以|不可能|不会|并不|并非|并没有|不是|没有|无法|不具有|不具备|不具|不存在|不含|不涉及|不代替|不能代替|不能替代|"
    r"不用于|绝不|从不|不保证|不承诺|不宣传|不说|别说|不提)[^，,。！？!?；;]{0,6}$"
)
_QUESTION_END_ZH = re.compile(r"(?:吗|么|嘛|不|没有|没)?[？?]|吗$|么$")
_YES_NO_ZH = re.compile(r"(?:吗|么)\s*[？?]?\s*$|(?:能不能|可不可以|是不是|有没有|会不会|管不管用|有用没|真的能|真能)")
_RHETORICAL_ZH = re.compile("想不想|要不要|谁不想|谁还|难道|怎么可能|哪里找|哪找|去哪")

_ADVISORY_EN = re.compile(
    r"\b(?:beware|be wary|be careful|watch out|look out for|red flags?|scams?|scammers?|fraud\w*|must not|mustn'?t|"
    r"should not|shouldn'?t|may not|not allowed|prohibited|forbidden|not permitted|illegal|refrain|guidelines?|"
    r"polic(?:y|ies)|regulators?|ftc|fda|(?:don'?t|do not|never|avoid) (?:make|making|use|using|claim|claiming|say|"
    r"saying|state|sell|selling|post|posting|ask|asking|share|sharing|exaggerate|diagnose|promise|imply|trust|"
    r"believe|fall for|send|pay|buy from|click|give))\b"
)
_CITED_EN = re.compile(
    r"\b(?:such as|like|so-called|so called|claims? (?:that|like|such as)|phrases? like|words? like|e\.g\.|"
    r"for example|instead,? say)\b"
)
_NEGATION_EN = re.compile(
    r"\b(?:not|no|never|cannot|can'?t|doesn'?t|don'?t|won'?t|isn'?t|aren'?t|nothing|neither|nor|without)\b"
    r"(?:\s+\w+){0,4}\s*$"
)
_NOT_INTENDED_EN = re.compile(r"\bnot (?:intended|meant|designed|approved|evaluated|a (?:drug|medicine|cure))\b")
_QUESTION_START_EN = re.compile(r"^\s*(?:can|could|does|do|did|is|are|will|would|should|has|have|any)\b")


# A request put as a question (给个好评可以吗, 删掉差评好不好) asks for something; it questions no claim.
_REQUEST_END_ZH = re.compile(r"(?:可以|好|行|成)\s*(?:吗|嘛|么|不)\s*[？?]?$|(?:好不好|行不行|可不可以)\s*[？?]?$")


def _is_question_zh(sentence: str) -> bool:
    """A yes/no question (这个能治失眠吗？), not a rhetorical one (谁不想瘦？) nor a request (给个好评可以吗？)."""
    tail = sentence.rstrip("。！!~～…. ")
    return (
        tail.endswith(("？", "?", "吗", "么"))
        and bool(_YES_NO_ZH.search(tail))
        and not _RHETORICAL_ZH.search(sentence)
        and not _REQUEST_END_ZH.search(tail)
    )


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    lo = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        lo = m.end()
    after = _SENTENCE_END.search(text, end)
    hi = after.end() if after else len(text)
    return lo, hi


def _clause_start(text: str, start: int) -> int:
    lo = 0
    for m in _CLAUSE_END.finditer(text, 0, start):
        lo = m.end()
    return lo


_CJK = re.compile("[\u3400-\u9fff]")


def is_latin(text: str) -> bool:
    """No Chinese character in the text (a C-speed search, where a generator walks every character)."""
    return _CJK.search(text) is None


def speech_act(text: str, start: int, end: int, category: str | None = None) -> str:
    """What the sentence around text[start:end] does with it (see the module docstring).
    `text` is normalised (lower case, simplified Chinese). For conduct categories only what comes
    before the words can make them a warning: "they sell fakes, don't fall for it" still attacks."""
    s_lo, s_hi = _sentence(text, start, end)
    sentence = text[s_lo:s_hi]
    before = text[s_lo:start]
    after = text[end:s_hi]
    clause_before = text[_clause_start(text, start) : start]
    conduct = category in CONDUCT
    if is_latin(sentence):
        if conduct:
            return "advisory" if _PROHIBITION_EN.search(before) else "assert"
        return _speech_act_en(sentence, before, after, clause_before)
    if conduct:
        return "advisory" if _PROHIBITION_ZH.search(before) else "assert"
    if _ADVISORY_ZH.search(before) or _ADVISORY_ZH.search(text[start : end + 12]):
        return "advisory"
    if _CITED_AFTER_ZH.search(after) or _CITED_BEFORE_ZH.search(before) or _QUOTED_LIST_AFTER_ZH.search(after):
        return "quoted"
    if _NEGATION_ZH.search(clause_before):
        return "negated"
    if _is_question_zh(sentence):
        return "question"
    return "assert"


def _speech_act_en(sentence: str, before: str, after: str, clause_before: str) -> str:
    if _ADVISORY_EN.search(before) or _ADVISORY_EN.search(after[:24]):
        return "advisory"
    if _CITED_EN.search(before):
        return "quoted"
    if _NOT_INTENDED_EN.search(before):
        return "negated"
    if _NEGATION_EN.search(clause_before) and not re.search(
        r"\b(?:no|without) (?:diet|exercise|effort|side effects?)\b", sentence
    ):
        return "negated"
    asks = _QUESTION_START_EN.search(sentence) and not _PITCH_QUESTION_EN.search(sentence)
    if sentence.rstrip().endswith("?") and asks:
        return "question"
    return "assert"


# The advertiser's question that names the buyer's complaint to pitch the cure ("Are you suffering from
# arthritis? Take ..."): it asks nothing about the claim.
_PITCH_QUESTION_EN = re.compile(
    r"^\s*(?:are|do|did|have) you (?:been )?"
    r"(?:suffer|struggl|tired of|sick of|fed up|bothered|plagued|troubled|living with)"
)


# Which speech acts still count, by category. A warning never makes a claim; a denial, a cited
# phrase or a question do not make a claim either, but abuse, innuendo, provocation, a gift request
# or a contact handle are what they are whether asked, denied or quoted ("不是骂你，你就是个废物").


# A denial takes back a claim of these ("并不能治疗"); elsewhere a negation is part of the problem
# ("this is not an ad, code FIT10", "you won't find it cheaper anywhere").
NEGATABLE = frozenset({"efficacy_claim", "pseudo_science", "origin_brand_claim", "impersonation"})


# Who speaks matters: a platform's or a moderator's message in the room is a notice, whatever its
# words; it makes no claim of the seller's (a rule text naming 全网最低价 to forbid it).
NOTICE_SPEAKERS = frozenset({"platform", "system", "notice", "moderator", "admin", "official"})


def speaker_act(speaker: str | None) -> str | None:
    """The speech act a speaker's role imposes ("advisory" for notices), or None."""
    return "advisory" if speaker is not None and speaker.lower() in NOTICE_SPEAKERS else None


def counts(category: str, act: str) -> bool:
    """Whether words of `category` said in speech act `act` are a finding."""
    if act == "assert":
        return True
    if act == "negated":
        return category not in NEGATABLE
    return category in CONDUCT and act != "advisory"


def text_act(text: str) -> str:
    """The speech act of a whole text (for findings that quote all of it, such as a classifier's)."""
    if is_latin(text):
        if _ADVISORY_EN.search(text):
            return "advisory"
        if text.rstrip().endswith("?") and _QUESTION_START_EN.search(text):
            return "question"
        return "assert"
    if _ADVISORY_ZH.search(text):
        return "advisory"
    if _is_question_zh(text):
        return "question"
    return "assert"
