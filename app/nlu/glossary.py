"""A bilingual glossary of labour terms: the words migrant workers and English speakers use, mapped to the Chinese
term our content is written in, plus Taiwanese colloquialisms mapped to the standard word.

The builtin encoder only knows the languages its training text contains, and most services are described in Chinese
only. Appending the Chinese term for each recognised word (「gaji belum dibayar」 → + 「薪水 沒發」) lets an
Indonesian, Vietnamese, Thai, Filipino or English question meet a service described in Chinese, through every
signal. Entries are concepts, not sentences: a word maps to the term a citizen would find in the service text.
Latin entries are matched as whole words on accent-folded lowercase text (Vietnamese typed without tones too);
Thai and Chinese entries as substrings.
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.nlu.chinese import in_taiwan_characters

# Chinese term → phrases that mean it (en / id / vi without tones / th / tl mixed; one list per concept).
CROSS_LINGUAL: dict[str, tuple[str, ...]] = {
    "薪水": (
        "salary", "wage", "wages", "pay", "payslip", "gaji", "upah", "luong", "tien luong", "ค่าจ้าง", "เงินเดือน",
        "ค่าแรง", "sahod", "suweldo", "sweldo",
    ),
    "欠薪 沒發薪水": (
        "unpaid", "not paid", "didn't pay", "did not pay", "hasn't paid", "has not paid", "haven't been paid",
        "not been paid", "withheld", "belum dibayar", "tidak dibayar", "belum bayar", "tidak bayar", "ga dibayar",
        "chua tra", "khong tra", "chua duoc tra", "khong duoc tra", "no luong", "chua nhan luong",
        "chua nhan duoc luong", "khong nhan duoc luong", "ไม่จ่าย", "ไม่ได้รับเงิน", "ค้างจ่าย",
        "hindi binayaran", "hindi pa binabayaran", "walang sahod",
    ),
    "扣薪 扣錢": ("deduct", "deducted", "deduction", "dipotong", "potongan", "potong gaji", "tru luong", "bi tru", "หักเงิน", "หักค่าจ้าง", "kaltas", "binawas"),
    "加班 加班費": ("overtime", "lembur", "tang ca", "lam them", "ล่วงเวลา", "โอที", "ทำโอที", "obertaym"),
    "休假 放假": ("day off", "days off", "holiday", "leave", "libur", "cuti", "ngay nghi", "nghi phep", "วันหยุด", "ลาพักร้อน", "day-off", "pahinga", "bakasyon"),
    "工時": ("working hours", "work hours", "jam kerja", "gio lam", "thoi gian lam viec", "ชั่วโมงทำงาน", "oras ng trabaho"),
    "雇主 老闆": ("employer", "boss", "majikan", "pemberi kerja", "chu su dung lao dong", "nguoi su dung lao dong", "bos", "ong chu", "ba chu", "chu thue", "นายจ้าง", "เจ้านาย", "amo", "employer ko"),
    "仲介": ("broker", "agency", "agent", "agen", "agensi", "calo", "moi gioi", "cong ty moi gioi", "นายหน้า", "บริษัทจัดหางาน", "ahensya", "ahente"),
    "仲介費": ("broker fee", "agency fee", "biaya agen", "biaya agensi", "phi moi gioi", "ค่านายหน้า", "bayad sa ahensya"),
    "轉換雇主": (
        "change employer", "change employers", "transfer employer", "switch employer", "new employer", "pindah majikan",
        "ganti majikan", "doi chu", "chuyen chu", "เปลี่ยนนายจ้าง", "lumipat ng amo", "palit amo",
        # Not "transfer" alone: it is also how people send money home.
        "transfer period", "employer transfer", "transfer to another employer", "changing employer", "changing employers",
        "change of employer", "allowed to transfer", "reasons for transfer", "transfer paper", "release paper",
        "release letter", "makalipat", "lumipat ng employer", "lipat ng amo",
    ),
    "移工 外勞": ("migrant worker", "migrant workers", "foreign worker", "pekerja migran", "tki", "pmi", "lao dong nuoc ngoai", "แรงงานต่างชาติ", "แรงงานข้ามชาติ", "ofw"),
    "看護工 家庭看護": ("caregiver", "care giver", "carer", "perawat", "penjaga", "jaga", "kan ho cong", "ho ly", "nguoi cham soc", "ผู้ดูแล", "คนดูแล", "tagapag-alaga"),
    "照顧 照顧技巧": ("care", "caring", "take care", "merawat", "rawat", "cham soc", "ดูแล", "alagaan", "pag-aalaga"),
    "阿公 阿嬤 長輩": ("grandpa", "grandma", "elderly", "kakek", "nenek", "akong", "ong ba", "cu ong", "cu ba", "ผู้สูงอายุ", "คุณยาย", "คุณตา", "lolo", "lola"),
    "中文課": (
        "chinese class", "chinese course", "learn chinese", "mandarin", "belajar mandarin", "kelas mandarin",
        "bahasa mandarin", "bahasa cina", "hoc tieng trung", "tieng hoa", "lop tieng trung", "เรียนภาษาจีน",
        "ภาษาจีน", "mag-aral ng chinese", "chinese lesson",
    ),
    "護照 居留證 證件": ("passport", "arc", "resident certificate", "paspor", "ho chieu", "the cu tru", "หนังสือเดินทาง", "พาสปอร์ต", "pasaporte"),
    "被打 虐待 騷擾": ("hit", "beaten", "abuse", "abused", "dipukul", "dianiaya", "kekerasan", "bi danh", "nguoc dai", "ถูกตี", "ถูกทำร้าย", "sinaktan", "pinalo"),
    "性騷擾": ("sexual harassment", "harassed", "pelecehan", "pelecehan seksual", "quay roi", "quay roi tinh duc", "ล่วงละเมิดทางเพศ", "คุกคามทางเพศ", "bastos", "hinipuan"),
    "職災 工傷 受傷": (
        "injury", "injured", "hurt", "accident", "work accident", "kecelakaan kerja", "terluka", "cedera", "tai nan lao dong",
        "bi thuong", "tai nan", "บาดเจ็บ", "อุบัติเหตุ", "ประสบอันตราย", "naaksidente", "nasugatan", "aksidente",
    ),
    "勞保 老年給付": ("old-age", "old age", "old-age pension", "old age pension", "old-age benefit", "old-age benefits", "jaminan hari tua", "tro cap tuoi gia", "ชราภาพ"),
    "勞保 普通傷病 傷病給付": ("ordinary injury", "ordinary sickness", "sickness benefit", "sickness benefits", "injury or sickness benefit", "injury or sickness benefits"),
    "勞保": ("labor insurance", "labour insurance", "asuransi tenaga kerja", "asuransi kerja", "bao hiem lao dong", "ประกันแรงงาน", "ประกันสังคม", "labor insurance ko"),
    "健保": ("health insurance", "askes", "asuransi kesehatan", "bao hiem y te", "ประกันสุขภาพ"),
    "最低工資 基本工資": ("minimum wage", "upah minimum", "gaji minimum", "luong toi thieu", "ค่าแรงขั้นต่ำ", "ค่าจ้างขั้นต่ำ", "minimum na sahod"),
    "退休金 勞退": ("pension", "retirement", "pensiun", "luong huu", "nghi huu", "เงินบำนาญ", "เกษียณ", "pensyon", "pagreretiro"),
    "失業 失業給付": ("unemployment", "unemployed", "jobless", "lost my job", "pengangguran", "menganggur", "that nghiep", "tro cap that nghiep", "ว่างงาน", "ตกงาน", "walang trabaho"),
    "解僱 資遣": ("fired", "dismissed", "laid off", "layoff", "terminated", "dipecat", "di-phk", "phk", "bi duoi", "sa thai", "bi sa thai", "ถูกไล่ออก", "เลิกจ้าง", "tinanggal", "sinisante"),
    "資遣費": ("severance", "pesangon", "tro cap thoi viec", "ค่าชดเชย", "separation pay"),
    "契約": ("contract", "kontrak", "perjanjian kerja", "hop dong", "สัญญา", "kontrata"),
    "產假": ("maternity", "maternity leave", "cuti melahirkan", "hamil", "thai san", "nghi sinh", "ลาคลอด", "ตั้งครรภ์", "buntis"),
    "育嬰 育嬰留職停薪": ("parental leave", "childcare leave", "cuti mengasuh anak", "nghi cham con", "ลาเลี้ยงดูบุตร"),
    "申訴 檢舉": ("complain", "complaint", "report", "pengaduan", "mengadu", "lapor", "melapor", "khieu nai", "to cao", "phan anh", "ร้องเรียน", "แจ้ง", "reklamo", "magreklamo", "isumbong"),
    "勞資爭議 調解": ("dispute", "mediation", "perselisihan", "mediasi", "tranh chap", "hoa giai", "ข้อพิพาท", "ไกล่เกลี่ย", "alitan", "pamamagitan"),
    "律師 法律諮詢": ("lawyer", "legal advice", "attorney", "pengacara", "bantuan hukum", "luat su", "tu van phap luat", "ทนาย", "ทนายความ", "abogado"),
    "訴訟": ("lawsuit", "sue", "court", "gugatan", "pengadilan", "kien", "toa an", "ฟ้อง", "ศาล", "demanda", "kaso"),
    "專線 電話": ("hotline", "phone number", "call", "telepon", "nomor telepon", "duong day nong", "so dien thoai", "สายด่วน", "โทร", "tawag", "tumawag", "tatawag", "tawagan"),
    "找工作 就業服務": ("find a job", "looking for a job", "job search", "find work", "job hunting", "cari kerja", "mencari kerja", "lowongan", "tim viec", "tim viec lam", "หางาน", "naghahanap ng trabaho", "maghanap ng trabaho"),
    "職業訓練": ("vocational training", "job training", "skills training", "pelatihan kerja", "kursus", "dao tao nghe", "hoc nghe", "ฝึกอบรม", "ฝึกอาชีพ", "pagsasanay"),
    "身心障礙": ("disability", "disabled", "handicapped", "disabilitas", "cacat", "khuyet tat", "ความพิการ", "พิการ", "kapansanan"),
    "視障": ("blind", "visually impaired", "tunanetra", "khiem thi", "ตาบอด", "bulag"),
    "工會": ("union", "labor union", "trade union", "serikat pekerja", "cong doan", "สหภาพแรงงาน", "unyon"),
    "創業 貸款": ("start a business", "startup", "business loan", "usaha", "pinjaman", "khoi nghiep", "vay von", "เริ่มธุรกิจ", "สินเชื่อ", "negosyo"),
    "青年": ("young", "youth", "young people", "pemuda", "thanh nien", "เยาวชน", "kabataan"),
    "補助 津貼": ("subsidy", "allowance", "grant", "subsidi", "tunjangan", "tro cap", "ho tro", "เงินอุดหนุน", "เงินช่วยเหลือ", "tulong pinansyal", "ayuda"),
    "安全 危險": ("safety", "unsafe", "danger", "dangerous", "keselamatan", "berbahaya", "an toan", "nguy hiem", "ความปลอดภัย", "อันตราย", "delikado", "mapanganib"),
    "宿舍 住宿": ("dormitory", "dorm", "housing", "asrama", "ky tuc xa", "cho o", "หอพัก", "ที่พัก", "dormitoryo"),
    "安置 庇護": ("shelter", "penampungan", "noi tam tru", "ที่พักพิง", "kanlungan"),
    "加班費怎麼算": ("overtime pay", "upah lembur", "uang lembur", "gaji lembur", "tien tang ca", "ค่าล่วงเวลา", "bayad sa overtime"),
    "生病 病假": ("sick", "sick leave", "sakit", "cuti sakit", "nghi om", "bi om", "ป่วย", "ลาป่วย", "may sakit"),
    "遣返 返國": (
        "repatriate", "repatriated", "repatriation", "sent home", "send me home", "send me back", "pulang ke negara",
        "pulang ke negaranya", "dipulangkan", "hoi huong", "buoc hoi huong", "ve nuoc", "ส่งกลับประเทศ", "pinauwi", "pauwiin",
    ),
    "移工 扣薪 扣錢": ("forced savings", "forced saving", "tabungan", "menabung", "tien tiet kiem", "tiet kiem", "เงินออม", "ipon"),
    "逃跑 失聯": ("run away", "runaway", "kabur", "bo tron", "หนี", "tumakas"),
    "臺中": ("taichung", "dai trung", "ไถจง", "ไท่จง", "ไทจง"),
    "國定假日": (
        "public holiday", "national holiday", "hari libur nasional", "libur nasional", "tanggal merah", "ngay le",
        "nghi le", "วันหยุดนักขัตฤกษ์", "วันหยุดราชการ", "holiday pay", "piyesta opisyal", "regular holiday",
    ),
    "補償 賠償": ("compensation", "compensate", "kompensasi", "ganti rugi", "santunan", "boi thuong", "den bu", "เงินชดเชย", "ชดเชย", "bayad-pinsala", "kabayaran"),
    "工廠": ("factory", "plant", "pabrik", "nha may", "xuong", "โรงงาน", "pabrika"),
    "機器 機械": ("machine", "machinery", "mesin", "may moc", "may", "เครื่องจักร", "makina"),
    "工地 營造": ("construction site", "construction", "proyek", "bangunan", "cong truong", "xay dung", "ไซต์ก่อสร้าง", "ก่อสร้าง", "construction ko"),
    "死亡 過世": ("died", "dead", "death", "passed away", "meninggal", "tewas", "chet", "qua doi", "mat roi", "เสียชีวิต", "ตาย", "namatay"),
    "家屬 家人": ("family", "keluarga", "gia dinh", "ครอบครัว", "pamilya"),
    "醫療費 醫藥費": ("medical bill", "medical expenses", "hospital bill", "biaya rumah sakit", "biaya pengobatan", "vien phi", "chi phi y te", "ค่ารักษา", "ค่ารักษาพยาบาล", "bayad sa ospital"),
    "住院 醫院": ("hospital", "rumah sakit", "benh vien", "โรงพยาบาล", "ospital"),
    "懷孕": ("pregnant", "pregnancy", "hamil", "mang thai", "มีท้อง", "ตั้งท้อง", "buntis"),
    "小孩 孩子": ("child", "children", "kid", "baby", "anak", "bayi", "con", "em be", "ลูก", "เด็ก", "anak ko", "bata"),
    "兼職 打工 部分工時": ("part-time", "part time", "part-timer", "paruh waktu", "ban thoi gian", "lam them gio", "พาร์ทไทม์", "งานพิเศษ", "part-time ko"),
    "辭職 離職": ("resign", "quit", "quit my job", "berhenti kerja", "mengundurkan diri", "nghi viec", "thoi viec", "ลาออก", "magresign", "umalis sa trabaho"),
    "合法 違法": ("legal", "illegal", "against the law", "melanggar hukum", "ilegal", "hop phap", "trai phap luat", "vi pham", "ผิดกฎหมาย", "ถูกกฎหมาย", "labag sa batas"),
    "罵 霸凌": ("scold", "yell", "yelled", "shout", "bully", "bullying", "dimarahi", "dimaki", "chui", "chui mang", "mang", "ด่า", "กลั่นแกล้ง", "minura", "sinisigawan"),
    "證明 文件": ("certificate", "document", "documents", "surat", "dokumen", "giay to", "chung nhan", "เอกสาร", "ใบรับรอง", "dokumento"),
    "更新 換發 延期": ("renew", "renewal", "extend", "extension", "perpanjang", "memperpanjang", "gia han", "lam lai", "ต่ออายุ", "mag-renew", "i-renew"),
    # Papers lost, damaged or out of date are 移民署's (ARC) or a consulate's (passport) business, not a withheld passport.
    # Only with the papers named: "lost" alone is also a job, a finger or money; "expired" alone a contract.
    "遺失 補發": (
        "lost my arc", "lost my passport", "lost my card", "lost my resident", "lost arc", "lost passport", "damaged arc",
        "damaged passport", "arc hilang", "paspor hilang", "kartu hilang", "arc rusak", "paspor rusak", "mat the cu tru", "mat ho chieu", "lam mat the", "ทำบัตรหาย", "บัตรหาย", "พาสปอร์ตหาย", "nawala ang arc",
        "nawala ang passport",
    ),
    "居留 效期 延期": (
        "arc validity", "validity of my arc", "arc expired", "arc expiry", "arc expires", "arc valid", "masa berlaku arc",
        "arc kadaluarsa", "the cu tru het han", "han the cu tru", "thoi han the", "บัตรหมดอายุ", "expired na ang arc",
    ),
    "健保卡": ("health card", "nhi card", "health insurance card", "kartu askes", "kartu asuransi kesehatan", "the bao hiem y te", "the bhyt", "บัตรประกันสุขภาพ"),
    "工作許可": ("work permit", "izin kerja", "giay phep lao dong", "ใบอนุญาตทำงาน", "permit sa trabaho"),
    "志工": ("volunteer", "relawan", "sukarelawan", "tinh nguyen", "tinh nguyen vien", "อาสาสมัคร", "boluntaryo"),
    "課程 上課": ("course", "class", "classes", "lesson", "kelas", "kursus", "khoa hoc", "lop hoc", "หลักสูตร", "เรียน", "klase", "kurso"),
    "免費": ("free", "gratis", "mien phi", "ฟรี", "libre"),
    "勞動部": ("ministry of labor", "ministry of labour", "mol", "kementerian tenaga kerja", "bo lao dong", "กระทรวงแรงงาน"),
    "勞工局": ("labor bureau", "labour bureau", "labor affairs bureau", "dinas tenaga kerja", "disnaker", "cuc lao dong", "so lao dong", "สำนักงานแรงงาน", "กรมแรงงาน"),
}

# Taiwanese colloquialisms and slang → the standard term the content uses.
COLLOQUIAL: dict[str, str] = {
    "頭家": "老闆",
    "頭路": "工作",
    "被fire": "被解僱",
    "被炒": "被解僱",
    "炒魷魚": "解僱",
    "拖薪": "欠薪",
    "凹": "強迫",
    "慣老闆": "老闆",
    "落跑": "跑路",
    "倒店": "倒閉",
    "收起來": "歇業",
    "阿公": "長輩",
    "阿嬤": "長輩",
    "印傭": "移工 看護",
    "菲傭": "移工 看護",
    "外傭": "移工 看護",
    "外勞": "移工",
    "勞退": "勞工退休金",
    "打工": "工讀",
    "年輕人": "青年",  # the content (and every programme's name) says 青年; people say 年輕人
    "裁掉": "裁員 資遣",
    "縮編": "裁員",
    "辭退": "解僱 資遣",  # mainland usage (辞退), heard in Taiwan too
    "沒通過": "不核發 駁回",  # a benefit claim turned down: what 勞保局's decision says
    "沒核准": "不核發 駁回",
    "工資": "薪水",  # mainland usage (工资) and the legal term for what Taiwanese call 薪水
    "喬不攏": "談不攏 調解",  # 喬: to settle a disagreement by talking it through
    "喬不好": "談不攏 調解",
    "產投": "產業人才投資方案",
    "領薪日": "發薪日",  # the day wages are due, as the employee says it
}

@lru_cache(maxsize=1)
def _latin_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    term_of: dict[str, str] = {}
    for term, phrases in CROSS_LINGUAL.items():
        for phrase in phrases:
            if phrase.isascii():
                term_of.setdefault(phrase, in_taiwan_characters(term))
    alternatives = "|".join(re.escape(p) for p in sorted(term_of, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])"), term_of


@lru_cache(maxsize=1)
def _substring_entries() -> tuple[tuple[str, str], ...]:
    entries = [(phrase, term) for term, phrases in CROSS_LINGUAL.items() for phrase in phrases if not phrase.isascii()]
    entries += list(COLLOQUIAL.items())
    # In Taiwan's characters, as `normalize` leaves the text: a term meets the content and a phrase the message.
    return tuple((in_taiwan_characters(phrase), in_taiwan_characters(term)) for phrase, term in entries)


def expansions(form: str) -> list[str]:
    """Chinese terms for the glossary phrases found in a text (accent-folded, lowercased), in order, once each."""
    pattern, term_of = _latin_pattern()
    found = [term_of[m.group()] for m in pattern.finditer(form)]
    found += [term for phrase, term in _substring_entries() if phrase in form]
    return list(dict.fromkeys(found))
