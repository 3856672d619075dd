"""Which part of a service a message asks about: 「要帶哪些證件」 asks for the documents, 「最多可以拿多少」 for the
amount, "Where do I go?" for how and where to apply. The conversation answers that part first.

Cues are phrases, per language, matched on the NFKC-folded lower-cased text; the aspect with the most cues
wins, ties going to the earlier aspect in `Aspect` (eligibility before documents before …: 「我符合嗎
要帶什麼」 is first of all an eligibility question, 「電話多少」 asks for the phone rather than an amount, 「地址在哪裡」
for the address rather than the steps). `follow_up_only` tells a message that is nothing but an
aspect question (「那電話呢」) from one that names a topic of its own (「另外想問特休怎麼算」).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import cache, lru_cache

from app.nlu.chinese import in_taiwan_characters


# "What do I do?" (「老闆欠薪怎麼辦」) asks about no part in particular: the whole card answers it.
class Aspect(StrEnum):
    eligibility = "eligibility"  # who qualifies / am I eligible
    documents = "documents"  # what to bring or prepare
    contact = "contact"  # phone, address, opening hours, whom to call
    amount = "amount"  # how much (what it costs, too), for how long
    deadline = "deadline"  # by when, application windows, time limits
    apply = "apply"  # how to apply, the steps, where to go


CUES: dict[Aspect, tuple[str, ...]] = {
    Aspect.eligibility: (
        "資格", "符合", "條件", "誰可以", "可以申請嗎", "能申請嗎", "能不能申請", "可不可以申請", "可以領嗎", "能領嗎",
        "可不可以領", "能不能領", "可以調解嗎", "可以檢舉嗎", "有資格", "適用", "算不算", "這樣算", "能不能請", "也要保嗎",
        "资格", "条件", "符合吗", "能领吗", "可以领吗",
        "eligible", "eligibility", "qualify", "qualified", "who can", "can i apply", "am i", "am i allowed",
        "syarat", "memenuhi", "berhak", "apakah saya bisa", "bisa dapat", "boleh dapat", "bisa ikut",
        "điều kiện", "đủ điều kiện", "có được nhận", "được nhận không", "ai được", "tôi có được",
        "มีสิทธิ์", "คุณสมบัติ", "เข้าเกณฑ์", "ได้รับไหม", "ขอได้ไหม", "kwalipikado", "pwede ba ako",
        "限幾歲", "年齡限制", "哪些人可以", "什麼人可以", "誰能", "外籍可以", "外國人可以", "移工可以", "兼職可以", "我這樣可以", "我的情況", "有沒有資格", "也可以申請",
        "do i qualify", "requirements", "requirement", "criteria", "who is eligible", "can foreigners",
        "does it apply", "persyaratan", "syaratnya", "boleh gak", "bisa gak saya", "có đủ", "yêu cầu", "ai có thể",
        "có được không", "ใครได้บ้าง", "เงื่อนไข", "มีสิทธิ์ไหม",
        "有沒有份", "有份嗎", "能不能參加", "pwede po ba",
        "我可以申請", "我能申請", "我可以領", "我能領", "拿得到", "領得到", "有符合", "夠資格", "門檻", "要滿", "年資要",
        "幾歲可以", "幾歲以下", "幾歲以上", "需要什麼條件", "什麼條件", "限制嗎", "有限制", "我適用", "我算",
        "can i still", "am i entitled", "entitled", "eligible for", "is it only for", "only for",
        "bisakah saya", "apakah bisa", "berhak dapat", "tôi có thể", "có thể được",
        "được hưởng", "có được hưởng", "ฉันได้ไหม", "มีสิทธิได้", "สิทธิ์ได้", "pwede ba", "qualified ba",
        # 「可以領失業給付嗎」, 「能請陪產假嗎」, 「這樣算非自願離職嗎」: can I get / take / count as …? (* is a few words)
        "可以領*嗎", "能領*嗎", "可以請*嗎", "能請*嗎", "可以申請*嗎", "能申請*嗎", "可以參加*嗎", "能參加*嗎", "算*嗎",
        "can i get", "can we get", "can i take", "can we take", "can we both", "can i join", "am i able to",
        "apakah saya boleh", "boleh ikut", "có được nghỉ",
        # what one must have done first: 「要上滿幾小時才能申請」
        "才能申請", "才可以申請", "才能領", "才可以領",
    ),
    Aspect.documents: (
        "證件", "文件", "資料", "準備什麼", "準備哪些", "帶什麼", "帶哪些", "要帶", "需要帶", "準備的東西", "哪些東西",
        "什麼東西", "證明文件", "證明", "診斷書", "证件", "材料", "准备什么", "带什么", "要带",
        "document", "documents", "docs", "papers", "what do i need to bring", "what to bring", "bring", "proof",
        "certificate", "bukti",
        "dokumen", "berkas", "bawa apa", "dibawa", "perlu dibawa", "surat apa", "giấy tờ", "hồ sơ", "mang theo",
        "cần mang", "giấy chứng nhận",
        "เอกสาร", "ใบรับรอง", "ต้องเตรียม", "เตรียมอะไร", "เอาอะไรไป", "dokumento", "dadalhin",
        "要準備", "備什麼", "附什麼", "檢附", "應備", "證明書", "申請書", "表格", "表單", "帶證件", "帶身分證", "paperwork", "forms", "form",
        "what do i need", "required documents", "surat-surat", "formulir", "fotokopi", "giấy gì", "mẫu đơn",
        "cần chuẩn bị", "แบบฟอร์ม", "เตรียมอะไรบ้าง",
        "準備啥", "帶啥", "要啥", "備齊", "證據", "附啥",
        "要交什麼", "交什麼", "繳什麼", "附上", "附哪些", "要附", "what papers",
        "what should i prepare", "bawa dokumen", "syarat dokumen", "persiapan", "cần giấy", "chuẩn bị gì",
        "ต้องใช้อะไร", "ใช้เอกสาร",
    ),
    Aspect.contact: (
        "電話", "幾號", "聯絡", "打給誰", "打給", "打去", "打哪", "哪支", "找誰", "地址", "營業時間", "上班時間", "服務時間", "幾點", "在哪", "有開嗎", "週末",
        "禮拜六", "假日", "窗口", "專線",
        "电话", "联系", "地址在",
        "phone", "number", "call", "contact", "address", "office", "opening hours", "open", "whom",
        "24 hours", "hours",
        "telepon", "telpon", "telponnya", "nomor", "nomer", "alamat", "kantor", "kantornya", "jam buka", "hubungi",
        "điện thoại", "số điện", "địa chỉ",
        "văn phòng", "giờ làm việc", "liên hệ", "โทร", "เบอร์", "ที่อยู่", "สำนักงาน", "เวลาทำการ", "ติดต่อ",
        "numero", "telepono", "opisina",
        "聯絡方式", "聯繫", "客服", "分機", "承辦", "辦公室", "幾點開", "幾點到幾點", "營業", "地點", "hotline", "email", "where is",
        "location", "what time", "jam kerja", "buka jam", "lokasi", "kontak", "hubungi siapa", "số điện thoại",
        "gọi số", "mấy giờ", "địa điểm", "เบอร์โทร", "เปิดกี่โมง", "ที่ตั้ง",
        "跑哪", "要跑", "哪個站", "附近", "去問", "打得通", "半夜", "who do i", "nghe máy", "ติดต่อที่ไหน",
        # 「要打去哪裡檢舉」 asks whom to call, not where to go (longer than 「去哪裡」, so that one does not count)
        "打去哪裡", "打到哪裡", "打去哪", "tumawag", "tatawag", "tawagan",
        # which languages the staff speak: who answers, and in what (「1955有人會講越南話嗎」)
        "有人會講", "有人會說", "講越南話", "講印尼話", "講泰語", "說英文", "speak english", "speak my language", "in my language",
        "pakai bahasa", "berbahasa", "bisa bahasa", "nói tiếng", "người nói", "พูดภาษา", "มีคนพูด", "nagsasalita",
    ),
    Aspect.amount: (
        "多少錢", "多少", "金額", "有錢領", "領多少", "時薪", "收費", "要錢", "免費", "費用", "幾天", "幾%", "補幾", "可以拿", "能拿", "領多少", "拿多少",
        "補助多少", "最多", "幾個月", "領多久", "領幾個月",
        "怎麼算", "多少钱", "领多少", "几个月",
        "how much", "amount", "free", "cost", "fee", "how many days", "how many months", "how long can i get",
        "how long is it paid",
        "berapa", "brp", "jumlah", "besarnya", "gratis", "biaya", "bayar gak", "bao nhiêu", "số tiền", "mấy tháng",
        "mất tiền", "miễn phí", "mấy ngày", "เท่าไหร่", "เท่าไร", "กี่บาท",
        "จำนวนเงิน", "กี่เดือน", "เสียเงิน", "ฟรี", "กี่วัน", "magkano", "ilang buwan",
        "給多少", "補助金額", "補多少", "幾成", "幾趴", "上限", "最高", "一個月多少", "每月", "總共", "要付錢", "要繳錢", "免錢", "how much money",
        "how many", "maximum", "percentage", "berapa banyak", "dapat berapa", "uangnya", "maksimal",
        "được bao nhiêu", "tối đa", "bao nhiêu tiền", "ได้เท่าไหร่", "สูงสุด", "กี่เปอร์เซ็นต์",
        "幾週", "幾個禮拜", "get paid", "paid anything", "how much do i get", "mấy tuần", "được trả lương",
        "幾塊", "多少元", "領到多少", "拿到多少", "一天多少", "月領", "給付多少", "補助幾", "有多少", "能領到",
        "可以領到", "how much will", "how much is", "how much can", "compensation amount", "dapat uang", "berapa uang",
        "dapat berapa", "uang berapa", "được tiền", "nhận được bao nhiêu", "được nhận bao nhiêu", "ได้เงิน",
        "เงินเท่าไหร่", "magkano ang",
        # for how long a benefit is paid ("how long do I get it"), not by when to apply
        "how long do i get", "how long i get", "how long will i get", "how long would i get",
        # whether it is paid at all: 「有津貼嗎」, 「薪水照領嗎」
        "有津貼嗎", "有補助嗎", "有錢嗎", "照領", "照付", "masih dibayar", "masih digaji", "còn được trả", "ยังได้เงิน",
    ),
    Aspect.deadline: (
        "期限", "截止", "什麼時候", "多久", "何時", "多久內", "幾天內", "來得及", "申請期間", "開放申請", "時效", "多久以內",
        "过期", "什么时候", "截止日期",
        "deadline", "when", "how long", "until when", "time limit", "how long do i have", "too late",
        "kapan", "berapa lama", "batas waktu", "tenggat", "masih bisa", "hạn", "khi nào", "bao giờ", "thời hạn",
        "เมื่อไหร่", "เมื่อไร", "กำหนด", "หมดเขต", "ภายในกี่วัน", "kailan", "hanggang kailan",
        "最晚", "最慢", "過了還可以", "逾期", "還來得及", "多久會", "要等多久", "審核多久", "幾天會", "截止日", "何時開始", "開始申請",
        "how long does it take", "how soon", "by when", "expire", "processing time", "berapa hari", "sampai kapan",
        "paling lambat", "bao lâu", "mấy ngày", "hạn chót", "khi nào được", "นานไหม", "ถึงเมื่อไหร่",
        "多快", "多久可以", "多久能", "how fast", "how long till", "how long until", "how long before", "多久才", "多久會入帳",
    ),
    Aspect.apply: (
        "怎麼申請", "如何申請", "申請方式", "報到", "要去哪申請", "去哪申請", "申請流程", "流程", "步驟", "去哪", "哪裡辦", "在哪辦", "怎麼辦理", "辦理",
        "線上申請", "要去哪裡", "去哪裡", "在哪裡", "怎麼做", "怎麼領", "如何領", "怎麼請", "報名",
        "要怎麼", "怎麼查", "如何查", "怎么申请", "去哪里", "哪里办",
        "how to apply", "how do i apply", "how can i apply", "apply", "where do i go", "where to go", "where can i",
        "steps", "process", "procedure", "sign up", "register", "file",
        "cara", "bagaimana", "gimana", "mengajukan", "daftar", "daftarnya", "ke mana", "di mana", "dimana", "prosedur",
        "cách", "làm sao", "thủ tục", "nộp đơn", "đăng ký", "đi đâu", "ở đâu",
        "สมัคร", "ยังไง", "อย่างไร", "ขั้นตอน", "ไปที่ไหน", "ที่ไหน", "paano", "saan",
        "如何辦理", "本人去", "親自", "去辦", "哪裡申請", "在哪申請", "線上辦", "網路申請", "可以線上", "需要親自", "親自去", "臨櫃", "郵寄", "怎麼報名", "如何報名", "怎麼登記", "第一步",
        "手續", "how do i", "how can i", "where can i apply", "online", "in person", "first step", "how to register",
        "bagaimana caranya", "caranya", "langkah", "datang langsung", "urus", "làm thế nào", "thế nào", "làm sao để",
        "nộp ở đâu", "các bước", "ทำยังไง", "ต้องทำอะไร", "ยื่นที่ไหน", "ออนไลน์",
        "怎麼弄", "去哪弄", "哪個單位", "向誰申請", "跟誰申請", "要找哪", "找哪裡", "到哪裡", "要到哪", "送件", "申辦",
        "辦手續", "如何進行", "怎麼進行", "上哪", "哪邊辦", "哪邊申請", "application", "apply for", "how to get",
        "how can i get", "where to apply", "where should i", "who do i apply", "ngajuin", "ngurus", "mengurus",
        "pengajuan", "harus ke mana", "kemana", "nộp hồ sơ", "xin ở đâu", "làm thủ tục", "đăng kí", "làm thế nào để",
        "ยื่นเรื่อง", "ไปยื่น", "สมัครยังไง", "ขอยังไง", "ทำอย่างไร", "mag-apply", "paano mag",
    ),
}

# What is left of a follow-up once its cues are gone: particles, pronouns and glue words. A message whose rest is
# only these (「那 要 準備 哪些 東西 呢」) asks about the conversation's service, not a new one.
_FILLER = (
    "那如果", "那請問", "想請問", "請問一下", "請問", "的話", "如果", "那個", "是不是", "還是", "可不可以", "能不能", "咧",
    "啦", "耶", "捏", "齁", "呀", "那麼", "那", "所以", "還有", "另外", "然後", "我想問", "想問", "我", "要", "需要", "呢",
    "嗎", "吗", "的", "了", "啊", "呀", "喔", "哦", "嗯", "欸", "可以", "能", "有", "是", "什麼", "什么", "哪些", "哪",
    "裡", "里", "東西", "準備", "帶", "申請", "申请", "一定", "都", "嘛", "還", "这个", "這個", "这个", "這", "它", "去", "辦", "办", "拿", "領",
    "领", "麻煩", "謝謝", "一下", "大概", "到",
    "please", "the", "a", "an", "do", "does", "i", "it", "is", "are", "what", "where", "how", "to", "for", "and", "so",
    "then", "also", "need", "can", "which", "there", "that", "this", "me", "my", "get", "go", "of", "thanks", "ok",
    "should", "will", "would", "could", "have", "has", "any", "about", "with", "in", "on", "at", "you", "your", "hi",
    "what about", "if", "or", "is there", "are there", "do you", "tell me",
    "apa", "aja", "saja", "yang", "gak", "nggak", "kah", "kan", "perlu", "ke", "di", "dari", "bisa", "mau", "sih",
    "dong", "ya", "harus", "saya", "itu", "ini", "nya", "dan", "lalu", "terus", "kalau", "untuk", "perlu",
    "tôi", "thì", "là", "gì", "để", "em", "anh", "chị", "a", "cần", "có", "không", "vậy", "ạ", "còn", "cho", "của",
    "được", "nào", "phải",
    "ครับ", "ค่ะ", "ใช้", "อยู่", "ไหน", "ต้อง", "จะ", "คะ", "ต้อง", "อะไร", "บ้าง", "แล้ว", "ไหม", "มั้ย", "ผม",
    "ฉัน", "ที่", "ไป", "ได้", "ที่ไหน",
    "po", "ba", "ang", "ko", "ako", "mga", "na", "lang", "yung",
)
# Words that open a new topic (「另外想問…」, "another question"): what follows is not about the service before.
TOPIC_SWITCH = ("另外", "對了", "对了", "換個問題", "另一個問題", "想再問", "another question", "different question",
                "something else", "selain itu", "pertanyaan lain", "câu hỏi khác", "hỏi thêm chuyện khác", "อีกเรื่อง",
                "อีกคำถาม", "isa pang tanong")
# Asking where a place is, or which one is nearest (「最近的調解地點在哪」, 「去市府太遠」, "nearest office"): answered
# with the nearest service points when the person's district or location is known. Not 「最近」 alone (also
# "lately") nor "gần" alone (as in "gần đây", lately).
WHERE = ("在哪", "哪裡", "哪里", "地點", "地址", "最近的", "附近", "離我", "近一點", "比較近", "太遠", "很遠", "跑到", "where",
         "nearest", "near me", "closest", "close to", "nearby", "address", "location", "di mana", "dimana", "terdekat",
         "dekat", "alamat", "lokasi", "ở đâu", "gần nhất", "gần nhà", "địa chỉ", "ที่ไหน", "ใกล้", "ที่อยู่", "saan", "malapit")
_PUNCTUATION_RE = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=256)  # one message is folded by each of the questions asked of it
def _fold(text: str) -> str:
    """NFKC, lower case, and simplified Chinese in Taiwan's characters and words, so one cue serves both."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return in_taiwan_characters(folded)


def _toneless(text: str) -> str:
    """Vietnamese as typed without tone marks (「so dien thoai」 for 「số điện thoại」)."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D")


def _is_latin_word_cue(cue: str) -> bool:
    return cue.isascii()


def _forms(cue: str) -> tuple[str, ...]:
    """The forms a cue is looked for in: folded like the text (NFKC splits Thai's ำ, for one); Vietnamese also
    without its tone marks."""
    folded = _fold(cue)
    vietnamese = not folded.isascii() and all(c.isascii() or "LATIN" in unicodedata.name(c, "") for c in folded)
    return (folded, _toneless(folded)) if vietnamese else (folded,)


GAP = "*"  # in a cue: up to a few words of anything (「可以領*嗎」 is 「可以領失業給付嗎」 too)
_GAP_RE = r"\w{0,8}?"


@cache
def _pattern(cue: str) -> re.Pattern[str]:
    """A cue as a compiled pattern (there are more cues than `re` caches). Latin cues as whole words ("open" is not
    in "opened"), Indonesian -nya allowed ("nomornya" is "nomor")."""
    if GAP in cue:
        return re.compile(_GAP_RE.join(re.escape(part) for part in cue.split(GAP)))
    if _is_latin_word_cue(cue):
        return re.compile(rf"(?<![a-z]){re.escape(cue)}(?:nya)?(?![a-z])")
    return re.compile(re.escape(cue))


def _spans(cue: str, folded: str) -> list[tuple[int, int]]:
    # Every pattern needs the cue's own words: hundreds of cues are ruled out without a regex.
    if not all(part in folded for part in cue.split(GAP)):
        return []
    return [m.span() for m in _pattern(cue).finditer(folded)]


def _found(cue: str, folded: str) -> bool:
    return bool(_spans(cue, folded))


_CUE_FORMS = {aspect: tuple(_forms(cue) for cue in cues) for aspect, cues in CUES.items()}
# Every form with its aspect's rank and its longest word: a message holds few of the hundreds of cues, and a cue
# whose longest word is not in it is ruled out by one substring test.
_CUE_TABLE = tuple((rank, form, max(form.split(GAP), key=len)) for rank, cues in enumerate(_CUE_FORMS.values())
                   for forms in cues for form in forms)
# Folded once here: folding a cue (OpenCC for the Chinese ones) on every message was most of a reply's NLU time.
_TOPIC_SWITCH_FORMS = tuple(form for marker in TOPIC_SWITCH for form in _forms(marker))
_WHERE_FORMS = tuple(form for cue in WHERE for form in _forms(cue))


def detect_aspect(text: str) -> Aspect | None:
    """The part of a service `text` asks about, or None when it asks about no part in particular."""
    folded = _fold(text)
    found = [(start, end, rank) for rank, form, word in _CUE_TABLE if word in folded
             for start, end in _spans(form, folded)]
    # A cue that shares words with a longer one does not count: 「ภายในกี่วัน」 is a deadline, not the amount that
    # 「กี่วัน」 alone would be; "berapa lama" is not "berapa"; "how much can I get" is an amount, not the
    # eligibility of "can I get".
    kept = {(start, end, rank) for start, end, rank in found
            if not any(s < end and start < e and (e - s) > (end - start) for s, e, _ in found)}
    best: tuple[int, int, int] | None = None  # (cues found, -priority, longest cue)
    chosen = None
    for rank, aspect in enumerate(_CUE_FORMS):
        hits = {(start, end) for start, end, r in kept if r == rank}
        if not hits:
            continue
        score = (len(hits), -rank, max(end - start for start, end in hits))
        if best is None or score > best:
            best, chosen = score, aspect
    return chosen


def switches_topic(text: str) -> bool:
    folded = _fold(text)
    return any(_found(form, folded) for form in _TOPIC_SWITCH_FORMS)


def asks_where(text: str) -> bool:
    folded = _fold(text)
    return any(_found(form, folded) for form in _WHERE_FORMS)


def follow_up_only(text: str, extra_phrases: tuple[str, ...] = ()) -> bool:
    """True when `text` holds nothing but aspect cues, the facts in `extra_phrases` and glue words: a question
    about the service already being discussed."""
    rest = _fold(text)
    for phrase in _removable(extra_phrases):
        if phrase in rest:  # most of the hundreds of phrases are not there: no regex for them
            rest = _pattern(phrase).sub(" ", rest)
    rest = re.sub(r"\d+", " ", rest)
    return len(_PUNCTUATION_RE.sub("", rest)) <= 1


@lru_cache(maxsize=8)
def _removable(extra_phrases: tuple[str, ...]) -> tuple[str, ...]:
    """Cues, `extra_phrases` and glue words in every form, longest first (so 「準備哪些」 goes before 「哪些」)."""
    # Not the gapped cues: what fills their gap (「可以領失業給付嗎」's 失業給付) may name a topic of its own.
    phrases = {form for cues in _CUE_FORMS.values() for forms in cues for form in forms if GAP not in form}
    phrases |= {form for phrase in (*extra_phrases, *_FILLER) for form in _forms(phrase)}
    return tuple(sorted(phrases, key=len, reverse=True))
