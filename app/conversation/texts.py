"""User-facing strings. Traditional Chinese (Taiwan) first; English, Bahasa Indonesia, Tiếng Việt and ภาษาไทย for
migrant workers. `text(key, lang)` falls back to zh-TW for a language a string has not been written in.

Button and quick-reply labels are kept short: LINE cuts quick-reply labels at 20 characters and flex ones at 40.
"""

from __future__ import annotations

SUPPORTED = ("zh-TW", "en", "id", "vi", "th")

# Phone numbers citizens can always call, written as people read them (LINE makes them tappable in text).
HANDOFF_ZH = (
    "好的，以下是可以直接找到專人的管道：\n"
    "📞 1955 勞動部勞工諮詢申訴專線：免付費、24 小時全年無休，可說中文、英語、印尼語、越南語、泰語\n"
    "📞 臺中市政府勞工局 04-2228-9111：週一至週五 08:00-12:00、13:30-17:30\n"
    "⚖️ 免費律師勞動法律諮詢 04-2217-7268：週一至週五 09:00-12:00（臨櫃：14:00-17:00，勞工局文心樓 1 樓）\n"
    "🌏 外籍移工諮詢服務中心 04-2228-9111 分機 35500（上班時間，泰、印尼、越南、英語）\n\n"
    "這段對話已標記給承辦同仁檢視，但不會主動回電；急事請直接撥打上面的電話。"
)

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "zh-TW": "您好，這裡是勞工服務小幫手 👋\n青年就業獎勵、老闆欠薪、勞資爭議調解、職災、移工、身障就業、退休與勞保…"
        "直接用一句話告訴我您遇到的狀況，我會告訴您可以申請什麼、資格和步驟，以及要打給誰。\n輸入「選單」看分類，輸入「真人」找專人。",
        "en": "Hello! I help with labour services in Taichung and Taiwan: unpaid wages, disputes, work injury, migrant "
        "worker help and more. Tell me your situation in one sentence. Type \"menu\" for topics or \"human\" for a person.",
        "id": "Halo! Saya membantu layanan ketenagakerjaan di Taichung dan Taiwan: gaji tidak dibayar, perselisihan, "
        "kecelakaan kerja, bantuan pekerja migran. Ceritakan masalah Anda. Ketik \"menu\" atau \"manusia\" untuk petugas.",
        "vi": "Xin chào! Tôi hỗ trợ các dịch vụ lao động ở Đài Trung và Đài Loan: nợ lương, tranh chấp, tai nạn lao động, "
        "hỗ trợ lao động di trú. Hãy kể vấn đề của bạn. Gõ \"menu\" để xem chủ đề hoặc \"người thật\" để gặp nhân viên.",
        "th": "สวัสดีครับ ผมช่วยเรื่องบริการด้านแรงงานในไถจงและไต้หวัน: ค่าจ้างค้างจ่าย ข้อพิพาท อุบัติเหตุจากการทำงาน "
        "ความช่วยเหลือแรงงานข้ามชาติ เล่าปัญหาของคุณได้เลย พิมพ์ \"menu\" เพื่อดูหัวข้อ หรือ \"คน\" เพื่อคุยกับเจ้าหน้าที่",
    },
    "thanks": {
        "zh-TW": "不客氣 😊 還有其他問題，直接打字問我就好。",
        "en": "You're welcome! Ask me anything else any time.",
        "id": "Sama-sama! Silakan tanya lagi kapan saja.",
        "vi": "Không có gì! Bạn cứ hỏi thêm bất cứ lúc nào.",
        "th": "ยินดีครับ มีคำถามอื่นถามได้ตลอดเลย",
    },
    "fallback": {
        "zh-TW": "抱歉，這個問題我沒有把握回答，不想給您錯的資訊。\n・勞動相關問題：1955 勞工諮詢申訴專線（免付費、24 小時）"
        "或臺中市政府勞工局 04-2228-9111\n・其他市政問題：臺中市民專線 1999",
        "en": "Sorry, I am not sure about this and don't want to give you wrong information.\n• Work and labour "
        "questions: 1955 hotline (free, 24 h, English available)\n• Other Taichung city matters: 1999",
        "id": "Maaf, saya tidak yakin dan tidak ingin memberi informasi yang salah.\n• Masalah kerja: hotline 1955 "
        "(gratis, 24 jam, bahasa Indonesia)\n• Urusan kota Taichung lainnya: 1999",
        "vi": "Xin lỗi, tôi không chắc chắn và không muốn đưa thông tin sai.\n• Vấn đề lao động: đường dây 1955 "
        "(miễn phí, 24 giờ, có tiếng Việt)\n• Việc khác của thành phố Đài Trung: 1999",
        "th": "ขออภัย ผมไม่แน่ใจและไม่อยากให้ข้อมูลผิด\n• ปัญหาเรื่องงาน: สายด่วน 1955 (ฟรี 24 ชม. มีภาษาไทย)\n"
        "• เรื่องอื่นของเมืองไถจง: 1999",
    },
    "elsewhere": {
        "zh-TW": "這件事是其他機關的業務，不歸勞工局或勞動部管，我這裡沒有那邊的資料，不想給您錯的答案 🙏\n"
        "・臺中市的市政問題：打臺中市民專線 1999，會幫您轉到負責的單位\n・工作、薪水、勞保等勞動問題：1955（免付費、24 小時）或直接問我",
        "en": "This is handled by another agency, not the labour authorities, so I have no reliable information on it.\n"
        "• Taichung city matters: call the city hotline 1999, which connects you to the office in charge\n"
        "• Work, wages, labour insurance: 1955 (free, 24 h, English available), or ask me",
        "id": "Ini urusan instansi lain, bukan instansi ketenagakerjaan, jadi saya tidak punya informasi yang pasti.\n"
        "• Urusan kota Taichung: telepon 1999, akan disambungkan ke bagian yang menangani\n"
        "• Kerja, gaji, asuransi tenaga kerja: 1955 (gratis, 24 jam, bahasa Indonesia), atau tanya saya",
        "vi": "Việc này do cơ quan khác phụ trách, không phải cơ quan lao động, nên tôi không có thông tin chính xác.\n"
        "• Việc của thành phố Đài Trung: gọi 1999, sẽ được chuyển đến nơi phụ trách\n"
        "• Việc làm, tiền lương, bảo hiểm lao động: 1955 (miễn phí, 24 giờ, có tiếng Việt), hoặc hỏi tôi",
        "th": "เรื่องนี้เป็นงานของหน่วยงานอื่น ไม่ใช่หน่วยงานแรงงาน ผมจึงไม่มีข้อมูลที่แน่นอน\n"
        "• เรื่องของเมืองไถจง: โทร 1999 จะต่อไปยังหน่วยงานที่รับผิดชอบ\n"
        "• เรื่องงาน ค่าจ้าง ประกันแรงงาน: 1955 (ฟรี 24 ชม. มีภาษาไทย) หรือถามผมได้เลย",
    },
    "media": {
        "zh-TW": "我目前只看得懂文字喔 🙏 請用文字描述您的問題，例如「老闆欠薪怎麼辦」，或輸入「選單」看看我能幫什麼。",
        "en": "I can only read text for now. Please describe your question in words, or type \"menu\".",
        "id": "Saya hanya bisa membaca teks. Tulis pertanyaan Anda, atau ketik \"menu\".",
        "vi": "Hiện tôi chỉ đọc được chữ. Hãy viết câu hỏi của bạn, hoặc gõ \"menu\".",
        "th": "ตอนนี้ผมอ่านได้เฉพาะข้อความ กรุณาพิมพ์คำถาม หรือพิมพ์ \"menu\"",
    },
    "too_long": {
        "zh-TW": "訊息有點長，我先看了前面的部分。若沒回答到重點，請用一兩句話再問一次。",
        "en": "Your message is long; I read the first part. If I missed the point, please ask again in a sentence or two.",
    },
    "not_ready": {
        "zh-TW": "系統正在更新資料，請過一分鐘再問一次；急事請撥 1955（免付費、24 小時）。",
        "en": "I am updating my information; please ask again in a minute. Urgent: call 1955 (free, 24 h).",
    },
    "see_1955": {
        "zh-TW": "",
        "en": "This service is described in Chinese. For help in English call 1955 (free, 24 h).",
        "id": "Layanan ini dijelaskan dalam bahasa Mandarin. Untuk bantuan dalam bahasa Indonesia hubungi 1955 (gratis, 24 jam).",
        "vi": "Dịch vụ này được mô tả bằng tiếng Trung. Cần hỗ trợ tiếng Việt, gọi 1955 (miễn phí, 24 giờ).",
        "th": "บริการนี้อธิบายเป็นภาษาจีน หากต้องการความช่วยเหลือเป็นภาษาไทย โทร 1955 (ฟรี 24 ชม.)",
    },
    # --- menu -------------------------------------------------------------------------------------------------
    "menu_prompt": {
        "zh-TW": "想了解哪一類服務？請點選下方的主題 👇\n也可以直接打字描述您的狀況，例如「老闆欠薪怎麼辦」。",
        "en": "Which topic would you like? Tap one below 👇\nOr just type your situation, e.g. \"my boss has not paid me\".",
        "id": "Topik apa yang Anda perlukan? Pilih di bawah 👇\nAtau langsung tulis masalah Anda, misalnya \"gaji saya belum dibayar\".",
        "vi": "Bạn muốn tìm hiểu chủ đề nào? Chọn bên dưới 👇\nHoặc gõ trực tiếp vấn đề, ví dụ \"chủ chưa trả lương cho tôi\".",
        "th": "ต้องการดูหัวข้อไหน แตะด้านล่างได้เลย 👇\nหรือพิมพ์ปัญหาของคุณ เช่น \"นายจ้างไม่จ่ายค่าจ้าง\"",
    },
    "category_intro": {
        "zh-TW": "點選想了解的服務：",
        "en": "Tap a service to see who can apply and how:",
        "id": "Pilih layanan untuk melihat syarat dan caranya:",
        "vi": "Chọn một dịch vụ để xem điều kiện và cách làm:",
        "th": "แตะบริการเพื่อดูคุณสมบัติและวิธีสมัคร:",
    },
    "category_alt": {
        "zh-TW": "「{category}」相關服務 {count} 項",
        "en": "{category}: {count} services",
        "id": "{category}: {count} layanan",
        "vi": "{category}: {count} dịch vụ",
        "th": "{category}: {count} บริการ",
    },
    "category_empty": {
        "zh-TW": "這個分類目前沒有整理好的服務，請直接打字問我，或撥 1955（免付費、24 小時）。",
        "en": "There are no services in this topic yet. Please type your question, or call 1955 (free, 24 h).",
        "id": "Belum ada layanan di topik ini. Tulis pertanyaan Anda, atau hubungi 1955 (gratis, 24 jam).",
        "vi": "Chủ đề này chưa có dịch vụ. Hãy gõ câu hỏi, hoặc gọi 1955 (miễn phí, 24 giờ).",
        "th": "หัวข้อนี้ยังไม่มีบริการ พิมพ์คำถามของคุณ หรือโทร 1955 (ฟรี 24 ชม.)",
    },
    "menu_label": {"zh-TW": "選單", "en": "Menu", "id": "Menu", "vi": "Menu", "th": "เมนู"},
    # --- clarify ----------------------------------------------------------------------------------------------
    "clarify_prompt": {
        "zh-TW": "我不太確定您問的是哪一項，請選一個：",
        "en": "I am not sure which of these you mean. Please choose one:",
        "id": "Saya kurang yakin yang mana yang Anda maksud. Silakan pilih:",
        "vi": "Tôi chưa chắc bạn hỏi về mục nào. Hãy chọn một:",
        "th": "ผมไม่แน่ใจว่าคุณหมายถึงข้อไหน กรุณาเลือก:",
    },
    "none_of_these": {"zh-TW": "都不是", "en": "None of these", "id": "Bukan semua", "vi": "Không phải", "th": "ไม่ใช่ทั้งหมด"},
    "none_reply": {
        "zh-TW": "抱歉沒找到您要的。可以換個說法再問一次（說說您的身分和遇到的狀況，例如「我是移工，老闆扣薪水」），"
        "或點「選單」看分類、點「找真人」問專人。",
        "en": "Sorry I did not find it. Try asking again in other words (who you are and what happened), "
        "or tap Menu for topics or the button to talk to a person.",
        "id": "Maaf, belum ketemu. Coba tanya lagi dengan kata lain (siapa Anda dan apa yang terjadi), "
        "atau pilih Menu, atau hubungi petugas.",
        "vi": "Xin lỗi, tôi chưa tìm thấy. Hãy hỏi lại bằng cách khác (bạn là ai, chuyện gì đã xảy ra), "
        "hoặc chọn Menu, hoặc gặp nhân viên.",
        "th": "ขออภัย ยังหาไม่เจอ ลองถามใหม่ด้วยคำอื่น (คุณเป็นใครและเกิดอะไรขึ้น) หรือแตะเมนู หรือคุยกับเจ้าหน้าที่",
    },
    # --- handoff ----------------------------------------------------------------------------------------------
    "human_label": {"zh-TW": "找真人", "en": "Talk to a person", "id": "Hubungi petugas", "vi": "Gặp nhân viên",
                    "th": "คุยกับเจ้าหน้าที่"},
    "handoff": {
        "zh-TW": HANDOFF_ZH,
        "en": "Here is how to reach a person:\n📞 1955 Ministry of Labor hotline: free, 24 hours, every day, in English, "
        "Indonesian, Vietnamese, Thai and Chinese\n🌏 Taichung Foreign Worker Consultation Center: 04-2228-9111 ext. 35500 "
        "(office hours; Thai, Indonesian, Vietnamese, English)\n📞 Taichung Labor Affairs Bureau: 04-2228-9111, "
        "Mon–Fri 08:00-12:00 and 13:30-17:30 (Chinese)\n⚖️ Free lawyer advice on labour law: 04-2217-7268, Mon–Fri "
        "09:00-12:00 (Chinese)\n\nThis conversation is flagged for staff to review, but nobody will call you back: "
        "if it is urgent, please call one of the numbers above.",
        "id": "Cara menghubungi petugas:\n📞 Hotline 1955 Kementerian Tenaga Kerja: gratis, 24 jam setiap hari, ada bahasa "
        "Indonesia\n🌏 Pusat Konsultasi Pekerja Migran Taichung: 04-2228-9111 ext. 35500 (jam kerja; bahasa Indonesia, "
        "Thai, Vietnam, Inggris)\n📞 Biro Tenaga Kerja Taichung: 04-2228-9111, Senin–Jumat 08:00-12:00 dan 13:30-17:30 "
        "(bahasa Mandarin)\n⚖️ Konsultasi pengacara gratis soal hukum kerja: 04-2217-7268, Senin–Jumat 09:00-12:00 "
        "(bahasa Mandarin)\n\nPercakapan ini ditandai untuk diperiksa petugas, tetapi tidak ada yang akan menelepon "
        "balik: jika mendesak, hubungi nomor di atas.",
        "vi": "Cách liên hệ với nhân viên:\n📞 Đường dây 1955 của Bộ Lao động: miễn phí, 24 giờ mỗi ngày, có tiếng Việt\n"
        "🌏 Trung tâm tư vấn lao động nước ngoài Đài Trung: 04-2228-9111 máy lẻ 35500 (giờ hành chính; tiếng Việt, "
        "Indonesia, Thái, Anh)\n📞 Cục Lao động Đài Trung: 04-2228-9111, thứ Hai–thứ Sáu 08:00-12:00 và 13:30-17:30 "
        "(tiếng Trung)\n⚖️ Luật sư tư vấn luật lao động miễn phí: 04-2217-7268, thứ Hai–thứ Sáu 09:00-12:00 "
        "(tiếng Trung)\n\nCuộc trò chuyện này đã được đánh dấu để nhân viên xem lại, nhưng sẽ không ai gọi lại cho bạn: "
        "nếu gấp, hãy gọi các số trên.",
        "th": "ช่องทางติดต่อเจ้าหน้าที่:\n📞 สายด่วน 1955 กระทรวงแรงงาน: ฟรี 24 ชั่วโมงทุกวัน มีภาษาไทย\n"
        "🌏 ศูนย์ให้คำปรึกษาแรงงานต่างชาติไถจง: 04-2228-9111 ต่อ 35500 (เวลาราชการ; ภาษาไทย อินโดนีเซีย เวียดนาม "
        "อังกฤษ)\n📞 สำนักงานแรงงานไถจง: 04-2228-9111 จันทร์–ศุกร์ 08:00-12:00 และ 13:30-17:30 (ภาษาจีน)\n"
        "⚖️ ปรึกษาทนายความด้านกฎหมายแรงงานฟรี: 04-2217-7268 จันทร์–ศุกร์ 09:00-12:00 (ภาษาจีน)\n\n"
        "บทสนทนานี้ถูกทำเครื่องหมายให้เจ้าหน้าที่ตรวจดู แต่จะไม่มีใครโทรกลับ หากเร่งด่วนโปรดโทรตามเบอร์ด้านบน",
    },
    # --- service card -----------------------------------------------------------------------------------------
    "h_eligibility": {"zh-TW": "適用對象／資格", "en": "Who can apply", "id": "Siapa yang bisa", "vi": "Ai được áp dụng",
                      "th": "ใครมีสิทธิ์"},
    "h_steps": {"zh-TW": "申請步驟", "en": "How to apply", "id": "Cara mengajukan", "vi": "Cách đăng ký", "th": "วิธีสมัคร"},
    "h_documents": {"zh-TW": "應備文件", "en": "Documents", "id": "Dokumen", "vi": "Giấy tờ cần có", "th": "เอกสารที่ต้องใช้"},
    "h_benefits": {"zh-TW": "補助／金額", "en": "Amounts", "id": "Jumlah", "vi": "Số tiền", "th": "จำนวนเงิน"},
    "h_notes": {"zh-TW": "注意", "en": "Please note", "id": "Perhatian", "vi": "Lưu ý", "th": "โปรดทราบ"},
    "h_contacts": {"zh-TW": "洽詢", "en": "Contact", "id": "Kontak", "vi": "Liên hệ", "th": "ติดต่อ"},
    "amount_year": {"zh-TW": "（{year} 年{until}）", "en": " ({year}{until})", "id": " ({year}{until})",
                    "vi": " (năm {year}{until})", "th": " (ปี {year}{until})"},
    "figure_unconfirmed": {
        "zh-TW": "尚未確認，請洽 {contact}",
        "en": "not yet confirmed, please ask {contact}",
        "id": "belum dipastikan, silakan tanya {contact}",
        "vi": "chưa được xác nhận, vui lòng hỏi {contact}",
        "th": "ยังไม่ได้รับการยืนยัน โปรดสอบถาม {contact}",
    },
    "figure_ask": {"zh-TW": "請洽 {contact}", "en": "please ask {contact}", "id": "silakan tanya {contact}",
                   "vi": "vui lòng hỏi {contact}", "th": "โปรดสอบถาม {contact}"},
    "figure_until": {"zh-TW": "，適用至 {date}", "en": ", until {date}", "id": ", sampai {date}", "vi": ", đến {date}",
                     "th": " ถึง {date}"},
    "figure_from": {"zh-TW": "{date} 起：", "en": "From {date}: ", "id": "Mulai {date}: ", "vi": "Từ {date}: ",
                    "th": "ตั้งแต่ {date}: "},
    "card_continued": {"zh-TW": "（詳細資料）", "en": " (details)", "id": " (rincian)", "vi": " (chi tiết)",
                       "th": " (รายละเอียด)"},
    "more_items": {"zh-TW": "…還有 {n} 項，請按「{button}」", "en": "…and {n} more: tap “{button}”",
                   "id": "…dan {n} lagi: ketuk “{button}”", "vi": "…và {n} mục nữa: bấm “{button}”",
                   "th": "…และอีก {n} ข้อ แตะ “{button}”"},
    "h_sources": {"zh-TW": "資料來源", "en": "Sources", "id": "Sumber", "vi": "Nguồn", "th": "แหล่งข้อมูล"},
    "h_windows": {"zh-TW": "申請期間", "en": "Application period", "id": "Masa pendaftaran", "vi": "Thời gian nộp đơn",
                  "th": "ช่วงเวลายื่นคำขอ"},
    "window_open": {
        "zh-TW": "{label}：{opens} 至 {closes}，現在可以申請",
        "en": "{label}: {opens} to {closes}, open now",
        "id": "{label}: {opens} sampai {closes}, sedang dibuka",
        "vi": "{label}: {opens} đến {closes}, đang mở",
        "th": "{label}: {opens} ถึง {closes} เปิดรับอยู่ตอนนี้",
    },
    "window_next": {
        "zh-TW": "{label}：{opens} 至 {closes}（尚未開始）",
        "en": "{label}: {opens} to {closes} (not open yet)",
        "id": "{label}: {opens} sampai {closes} (belum dibuka)",
        "vi": "{label}: {opens} đến {closes} (chưa mở)",
        "th": "{label}: {opens} ถึง {closes} (ยังไม่เปิด)",
    },
    "window_closed": {
        "zh-TW": "{label}已於 {closes} 截止；下一期的日期還沒公告，請洽 {contact}",
        "en": "{label} closed on {closes}; the next period has not been announced, please ask {contact}",
        "id": "{label} ditutup pada {closes}; periode berikutnya belum diumumkan, silakan tanya {contact}",
        "vi": "{label} đã kết thúc ngày {closes}; đợt sau chưa được công bố, vui lòng hỏi {contact}",
        "th": "{label} ปิดรับแล้วเมื่อ {closes} ยังไม่ประกาศรอบถัดไป โปรดสอบถาม {contact}",
    },
    "old_sources": {
        "zh-TW": "⚠️ 依 {year} 年的資料，目前是否仍辦理無法確認，請先來電：{contact}",
        "en": "⚠️ Based on {year} information; it may no longer run. Call first: {contact}",
        "id": "⚠️ Berdasarkan informasi tahun {year}; mungkin sudah tidak berjalan. Telepon dulu: {contact}",
        "vi": "⚠️ Theo thông tin năm {year}, có thể không còn áp dụng. Hãy gọi trước: {contact}",
        "th": "⚠️ อ้างอิงข้อมูลปี {year} อาจไม่ได้ดำเนินการแล้ว โปรดโทรสอบถามก่อน: {contact}",
    },
    "referral": {
        "zh-TW": "ℹ️ 這件事要找「{agency}」辦理，不屬於勞工局的勞資權益或就業服務；以下是去哪裡、打給誰。",
        "en": "ℹ️ This is handled by {agency}, not by the labour bureau's labour-rights or employment services. Here is where to go and whom to call.",
        "id": "ℹ️ Urusan ini ditangani oleh {agency}, bukan layanan hak pekerja atau ketenagakerjaan Biro Tenaga Kerja. Berikut tempat dan nomor yang dihubungi.",
        "vi": "ℹ️ Việc này do {agency} giải quyết, không thuộc dịch vụ quyền lợi lao động hay việc làm của Cục Lao động. Dưới đây là nơi cần đến và số cần gọi.",
        "th": "ℹ️ เรื่องนี้ {agency} เป็นผู้ดูแล ไม่ใช่บริการด้านสิทธิแรงงานหรือการจัดหางานของสำนักงานแรงงาน ด้านล่างคือที่ที่ต้องไปและเบอร์ที่ต้องโทร",
    },
    # --- where to go ---------------------------------------------------------------------------------------
    "where_heading": {
        "zh-TW": "離{origin}最近的「{title}」地點：",
        "en": "Nearest places for \"{title}\" to {origin}:",
        "id": "Tempat untuk \"{title}\" yang terdekat dari {origin}:",
        "vi": "Địa điểm cho \"{title}\" gần {origin} nhất:",
        "th": "สถานที่สำหรับ \"{title}\" ที่ใกล้{origin}ที่สุด:",
    },
    "your_location": {"zh-TW": "您的位置", "en": "your location", "id": "lokasi Anda", "vi": "vị trí của bạn",
                      "th": "ตำแหน่งของคุณ"},
    "km_about": {"zh-TW": "約 {km} 公里", "en": "about {km} km", "id": "sekitar {km} km", "vi": "khoảng {km} km",
                 "th": "ประมาณ {km} กม."},
    "km": {"zh-TW": "{km} 公里", "en": "{km} km", "id": "{km} km", "vi": "{km} km", "th": "{km} กม."},
    "in_district": {"zh-TW": "就在{district}", "en": "in {district}", "id": "di {district}", "vi": "ở {district}",
                    "th": "อยู่ใน{district}"},
    "nearest_to_you": {
        "zh-TW": "📍 離您最近：{place}（{distance}）",
        "en": "📍 Nearest to you: {place} ({distance})",
        "id": "📍 Terdekat dari Anda: {place} ({distance})",
        "vi": "📍 Gần bạn nhất: {place} ({distance})",
        "th": "📍 ใกล้คุณที่สุด: {place} ({distance})",
    },
    "map": {"zh-TW": "地圖", "en": "Map", "id": "Peta", "vi": "Bản đồ", "th": "แผนที่"},
    "btn_share_location": {"zh-TW": "📍 傳送我的位置", "en": "📍 Send my location", "id": "📍 Kirim lokasi",
                           "vi": "📍 Gửi vị trí", "th": "📍 ส่งตำแหน่ง"},
    "btn_where": {"zh-TW": "📍 最近的地點", "en": "📍 Nearest office", "id": "📍 Kantor terdekat",
                  "vi": "📍 Nơi gần nhất", "th": "📍 ที่ใกล้ที่สุด"},
    "where_which_service": {
        "zh-TW": "收到您的位置 👍 想找哪一項服務的地點？",
        "en": "Got your location. Which service are you looking for?",
        "id": "Lokasi Anda sudah diterima. Layanan apa yang Anda cari?",
        "vi": "Đã nhận vị trí của bạn. Bạn đang tìm dịch vụ nào?",
        "th": "ได้รับตำแหน่งของคุณแล้ว ต้องการหาสถานที่ของบริการไหน",
    },
    "where_outside": {
        "zh-TW": "您的位置離臺中市的服務地點都很遠（超過 {km} 公里）。請打 1955（免付費、24 小時）問您所在縣市的窗口。",
        "en": "Your location is far from every Taichung office (over {km} km). Call 1955 (free, 24 h) to find the office for where you are.",
        "id": "Lokasi Anda jauh dari semua kantor di Taichung (lebih dari {km} km). Telepon 1955 (gratis, 24 jam) untuk kantor di daerah Anda.",
        "vi": "Vị trí của bạn cách xa mọi văn phòng ở Đài Trung (hơn {km} km). Gọi 1955 (miễn phí, 24 giờ) để hỏi văn phòng nơi bạn ở.",
        "th": "ตำแหน่งของคุณอยู่ไกลจากสำนักงานในไถจงทุกแห่ง (เกิน {km} กม.) โทร 1955 (ฟรี 24 ชม.) เพื่อสอบถามสำนักงานในพื้นที่ของคุณ",
    },
    "where_no_place": {
        "zh-TW": "「{title}」沒有列出可以親自去的地點，直接打 {contact} 就可以。",
        "en": "\"{title}\" has no office listed to visit; just call {contact}.",
        "id": "\"{title}\" tidak punya kantor yang tercatat untuk didatangi; cukup telepon {contact}.",
        "vi": "\"{title}\" không có nơi nào được liệt kê để đến trực tiếp; chỉ cần gọi {contact}.",
        "th": "\"{title}\" ไม่มีสถานที่ที่ระบุไว้ให้ไปติดต่อ โทร {contact} ได้เลย",
    },
    "extension": {"zh-TW": "分機", "en": "ext.", "id": "ext.", "vi": "máy lẻ", "th": "ต่อ"},
    "last_verified": {
        "zh-TW": "資料最後確認：{date}",
        "en": "Last checked: {date}",
        "id": "Terakhir diperiksa: {date}",
        "vi": "Kiểm tra lần cuối: {date}",
        "th": "ตรวจสอบล่าสุด: {date}",
    },
    "btn_call": {"zh-TW": "📞 撥打 {name}", "en": "📞 Call {name}", "id": "📞 Telepon {name}", "vi": "📞 Gọi {name}",
                 "th": "📞 โทร {name}"},
    "btn_web": {"zh-TW": "🌐 官方網頁", "en": "🌐 Official page", "id": "🌐 Halaman resmi", "vi": "🌐 Trang chính thức",
                "th": "🌐 เว็บไซต์ทางการ"},
    "btn_check": {"zh-TW": "我符合資格嗎？", "en": "Am I eligible?", "id": "Apakah saya memenuhi syarat?",
                  "vi": "Tôi có đủ điều kiện không?", "th": "ฉันมีสิทธิ์ไหม"},
    "btn_1955": {"zh-TW": "📞 撥打 1955", "en": "📞 Call 1955 (English)", "id": "📞 Telepon 1955 (Indonesia)",
                 "vi": "📞 Gọi 1955 (tiếng Việt)", "th": "📞 โทร 1955 (ภาษาไทย)"},
    "btn_helpful": {"zh-TW": "👍 有幫助", "en": "👍 Helpful", "id": "👍 Membantu", "vi": "👍 Hữu ích", "th": "👍 มีประโยชน์"},
    "btn_not_helpful": {"zh-TW": "👎 沒幫助", "en": "👎 Not helpful", "id": "👎 Tidak membantu", "vi": "👎 Không hữu ích",
                        "th": "👎 ไม่มีประโยชน์"},
    # --- eligibility check ------------------------------------------------------------------------------------
    "yes": {"zh-TW": "是", "en": "Yes", "id": "Ya", "vi": "Có", "th": "ใช่"},
    "no": {"zh-TW": "否", "en": "No", "id": "Tidak", "vi": "Không", "th": "ไม่ใช่"},
    "unsure": {"zh-TW": "不確定", "en": "Not sure", "id": "Tidak yakin", "vi": "Không chắc", "th": "ไม่แน่ใจ"},
    "cancel": {"zh-TW": "取消", "en": "Cancel", "id": "Batal", "vi": "Hủy", "th": "ยกเลิก"},
    "check_question": {
        "zh-TW": "資格檢查 {n}/{total}｜{title}\n\n{question}",
        "en": "Eligibility check {n}/{total} | {title}\n\n{question}",
        "id": "Cek syarat {n}/{total} | {title}\n\n{question}",
        "vi": "Kiểm tra điều kiện {n}/{total} | {title}\n\n{question}",
        "th": "ตรวจสอบสิทธิ์ {n}/{total} | {title}\n\n{question}",
    },
    "check_qualify": {
        "zh-TW": "依您的回答，您看起來符合「{title}」的基本條件。\n\n接下來：\n{steps}\n\n實際資格仍以承辦單位審核為準。",
        "en": "From your answers, you appear to qualify for \"{title}\".\n\nNext steps:\n{steps}\n\n"
        "The office makes the final decision.",
        "id": "Dari jawaban Anda, tampaknya Anda memenuhi syarat untuk \"{title}\".\n\nLangkah berikutnya:\n{steps}\n\n"
        "Keputusan akhir ada di kantor yang menangani.",
        "vi": "Theo câu trả lời của bạn, có vẻ bạn đủ điều kiện cho \"{title}\".\n\nBước tiếp theo:\n{steps}\n\n"
        "Cơ quan phụ trách sẽ quyết định cuối cùng.",
        "th": "จากคำตอบของคุณ ดูเหมือนคุณมีสิทธิ์ใน \"{title}\"\n\nขั้นตอนต่อไป:\n{steps}\n\nหน่วยงานจะเป็นผู้ตัดสินขั้นสุดท้าย",
    },
    "check_not_qualify": {
        "zh-TW": "依您的回答，您可能不符合「{title}」的條件，因為：\n{reason}",
        "en": "From your answers, you appear not to qualify for \"{title}\", because (in Chinese):\n{reason}",
        "id": "Dari jawaban Anda, tampaknya Anda tidak memenuhi syarat untuk \"{title}\", karena (dalam bahasa Mandarin):\n{reason}",
        "vi": "Theo câu trả lời của bạn, có vẻ bạn không đủ điều kiện cho \"{title}\", vì (bằng tiếng Trung):\n{reason}",
        "th": "จากคำตอบของคุณ ดูเหมือนคุณไม่มีสิทธิ์ใน \"{title}\" เพราะ (ภาษาจีน):\n{reason}",
    },
    "check_not_qualify_translated": {
        "zh-TW": "依您的回答，您可能不符合「{title}」的條件，因為：\n{reason}",
        "en": "From your answers, you appear not to qualify for \"{title}\", because:\n{reason}",
        "id": "Dari jawaban Anda, tampaknya Anda tidak memenuhi syarat untuk \"{title}\", karena:\n{reason}",
        "vi": "Theo câu trả lời của bạn, có vẻ bạn không đủ điều kiện cho \"{title}\", vì:\n{reason}",
        "th": "จากคำตอบของคุณ ดูเหมือนคุณไม่มีสิทธิ์ใน \"{title}\" เพราะ:\n{reason}",
    },
    "check_try": {
        "zh-TW": "不確定或情況特殊，請打給 {contact} 問承辦人，或撥 1955（免付費、24 小時）。也可以直接打字問我其他服務。",
        "en": "If you are unsure or your case is special, call {contact}, or 1955 (free, 24 h, English). "
        "You can also ask me about other services.",
        "id": "Jika ragu atau kasus Anda khusus, hubungi {contact}, atau 1955 (gratis, 24 jam, bahasa Indonesia). "
        "Anda juga bisa bertanya tentang layanan lain.",
        "vi": "Nếu chưa chắc hoặc trường hợp đặc biệt, hãy gọi {contact}, hoặc 1955 (miễn phí, 24 giờ, tiếng Việt). "
        "Bạn cũng có thể hỏi tôi về dịch vụ khác.",
        "th": "หากไม่แน่ใจหรือกรณีพิเศษ โทร {contact} หรือ 1955 (ฟรี 24 ชม. ภาษาไทย) หรือถามผมเรื่องบริการอื่นได้",
    },
    "check_unsure": {
        "zh-TW": "這一點要由承辦人依您的實際情況判斷。請打給 {contact} 確認，或撥 1955（免付費、24 小時）。",
        "en": "The office has to judge this from your situation. Please call {contact}, or 1955 (free, 24 h, English).",
        "id": "Hal ini harus dinilai kantor sesuai situasi Anda. Hubungi {contact}, atau 1955 (gratis, 24 jam).",
        "vi": "Điều này cơ quan phải xét theo tình hình của bạn. Hãy gọi {contact}, hoặc 1955 (miễn phí, 24 giờ).",
        "th": "เรื่องนี้หน่วยงานต้องพิจารณาตามกรณีของคุณ โทร {contact} หรือ 1955 (ฟรี 24 ชม.)",
    },
    "check_cancelled": {
        "zh-TW": "已取消資格檢查。還有其他問題，直接打字問我就好。",
        "en": "Eligibility check cancelled. Ask me anything else any time.",
        "id": "Cek syarat dibatalkan. Silakan tanya hal lain kapan saja.",
        "vi": "Đã hủy kiểm tra điều kiện. Bạn cứ hỏi điều khác bất cứ lúc nào.",
        "th": "ยกเลิกการตรวจสอบสิทธิ์แล้ว ถามเรื่องอื่นได้ตลอด",
    },
    "check_expired": {
        "zh-TW": "這個資格檢查已經結束（太久沒有回覆，或已經有結果）。要重新開始嗎？",
        "en": "This eligibility check has ended (no reply for a while, or it already finished). Start again?",
        "id": "Cek syarat ini sudah berakhir (lama tidak dibalas, atau sudah selesai). Mulai lagi?",
        "vi": "Lần kiểm tra điều kiện này đã kết thúc (lâu không trả lời, hoặc đã có kết quả). Bắt đầu lại?",
        "th": "การตรวจสอบสิทธิ์นี้จบแล้ว (ไม่ได้ตอบนาน หรือได้ผลแล้ว) เริ่มใหม่ไหม",
    },
    "check_restart": {"zh-TW": "重新檢查", "en": "Start again", "id": "Mulai lagi", "vi": "Bắt đầu lại", "th": "เริ่มใหม่"},
    "check_checklist": {
        "zh-TW": "「{title}」資格自我檢查：以下每一點都符合，就可能有資格。\n{items}\n\n實際資格以承辦單位審核為準。",
        "en": "Self-check for \"{title}\": you may qualify if every point below is true for you.\n{items}\n\n"
        "The office makes the final decision.",
        "id": "Cek mandiri untuk \"{title}\": Anda mungkin memenuhi syarat jika semua poin di bawah benar.\n{items}\n\n"
        "Keputusan akhir ada di kantor yang menangani.",
        "vi": "Tự kiểm tra \"{title}\": bạn có thể đủ điều kiện nếu mọi điểm dưới đây đều đúng.\n{items}\n\n"
        "Cơ quan phụ trách sẽ quyết định cuối cùng.",
        "th": "ตรวจสอบด้วยตนเองสำหรับ \"{title}\": คุณอาจมีสิทธิ์ถ้าทุกข้อด้านล่างเป็นจริง\n{items}\n\n"
        "หน่วยงานจะเป็นผู้ตัดสินขั้นสุดท้าย",
    },
    "check_none": {
        "zh-TW": "這項服務沒有可以自己先檢查的資格條件，請看上面的「適用對象」，或直接打電話問承辦單位。",
        "en": "This service has no self-check questions. Please read who can apply, or call the office.",
        "id": "Layanan ini tidak punya pertanyaan cek mandiri. Baca syaratnya, atau hubungi kantornya.",
        "vi": "Dịch vụ này không có câu hỏi tự kiểm tra. Hãy đọc điều kiện áp dụng, hoặc gọi cơ quan phụ trách.",
        "th": "บริการนี้ไม่มีคำถามตรวจสอบด้วยตนเอง โปรดอ่านคุณสมบัติ หรือโทรถามหน่วยงาน",
    },
    "answer_yes": {"zh-TW": "（回答「是」）", "en": " (answer: yes)", "id": " (jawaban: ya)", "vi": " (trả lời: có)",
                   "th": " (คำตอบ: ใช่)"},
    "answer_no": {"zh-TW": "（回答「否」）", "en": " (answer: no)", "id": " (jawaban: tidak)", "vi": " (trả lời: không)",
                  "th": " (คำตอบ: ไม่ใช่)"},
    # --- feedback ---------------------------------------------------------------------------------------------
    "feedback_up": {
        "zh-TW": "謝謝您的回饋 🙏 很高興有幫上忙！",
        "en": "Thank you for your feedback! Glad it helped.",
        "id": "Terima kasih atas masukannya! Senang bisa membantu.",
        "vi": "Cảm ơn bạn đã góp ý! Rất vui vì đã giúp được.",
        "th": "ขอบคุณสำหรับความคิดเห็น ดีใจที่ช่วยได้",
    },
    "feedback_down": {
        "zh-TW": "謝謝告訴我們，我們會檢討改進這個回答。\n需要協助可以撥 1955（免付費、24 小時），或點「找真人」看專人聯絡方式。",
        "en": "Thank you for telling us; we will improve this answer.\nFor help call 1955 (free, 24 h), or tap "
        "the button to talk to a person.",
        "id": "Terima kasih sudah memberi tahu; kami akan memperbaiki jawaban ini.\nUntuk bantuan hubungi 1955 "
        "(gratis, 24 jam), atau hubungi petugas.",
        "vi": "Cảm ơn bạn đã cho biết; chúng tôi sẽ cải thiện câu trả lời này.\nCần hỗ trợ hãy gọi 1955 "
        "(miễn phí, 24 giờ), hoặc gặp nhân viên.",
        "th": "ขอบคุณที่แจ้ง เราจะปรับปรุงคำตอบนี้\nต้องการความช่วยเหลือ โทร 1955 (ฟรี 24 ชม.) หรือคุยกับเจ้าหน้าที่",
    },
    "feedback_prompt": {
        "zh-TW": "謝謝您的意見！剛才的回答對您有幫助嗎？請點下方按鈕告訴我們。\n"
        "想直接反映給承辦人，請撥 1955（免付費、24 小時）或臺中市政府勞工局 04-2228-9111。",
        "en": "Thank you! Did my last answer help? Tap below to tell us.\nTo tell a person directly, call 1955 "
        "(free, 24 h).",
        "id": "Terima kasih! Apakah jawaban tadi membantu? Pilih di bawah.\nUntuk menyampaikan langsung ke petugas, "
        "hubungi 1955 (gratis, 24 jam).",
        "vi": "Cảm ơn bạn! Câu trả lời vừa rồi có giúp được không? Chọn bên dưới.\nMuốn nói trực tiếp với nhân viên, "
        "gọi 1955 (miễn phí, 24 giờ).",
        "th": "ขอบคุณครับ คำตอบเมื่อกี้ช่วยได้ไหม แตะด้านล่าง\nหากต้องการแจ้งเจ้าหน้าที่โดยตรง โทร 1955 (ฟรี 24 ชม.)",
    },
    "feedback_ask_reason": {
        "zh-TW": "哪裡不好？請點下方選一項。",
        "en": "What was wrong? Please choose below.",
        "id": "Apa yang kurang? Silakan pilih di bawah.",
        "vi": "Chưa tốt ở đâu? Vui lòng chọn bên dưới.",
        "th": "ไม่ดีตรงไหน กรุณาเลือกด้านล่าง",
    },
    # The reasons of a 👎 (app.conversation.models.FeedbackReason), as quick-reply labels (≤ 20 characters)
    "reason_wrong_answer": {"zh-TW": "答非所問", "en": "Not what I asked", "id": "Tidak sesuai", "vi": "Không đúng câu hỏi",
                            "th": "ไม่ตรงคำถาม"},
    "reason_wrong_information": {"zh-TW": "資料有誤", "en": "Wrong information", "id": "Informasi salah",
                                 "vi": "Thông tin sai", "th": "ข้อมูลผิด"},
    "reason_unclear": {"zh-TW": "看不懂", "en": "Hard to understand", "id": "Sulit dipahami", "vi": "Khó hiểu",
                       "th": "อ่านไม่เข้าใจ"},
    "reason_other": {"zh-TW": "其他", "en": "Something else", "id": "Lainnya", "vi": "Khác", "th": "อื่น ๆ"},
    "feedback_ask_comment": {
        "zh-TW": "請用一則訊息告訴我們哪裡不對。您傳的下一則訊息會轉給承辦同仁，不會當成新的問題回答。",
        "en": "Please tell us in one message what was wrong. Your next message goes to our staff; it is not answered "
        "as a new question.",
        "id": "Tolong ceritakan dalam satu pesan apa yang salah. Pesan Anda berikutnya diteruskan ke petugas, tidak "
        "dijawab sebagai pertanyaan baru.",
        "vi": "Vui lòng cho chúng tôi biết trong một tin nhắn điều gì chưa đúng. Tin nhắn tiếp theo của bạn sẽ được "
        "chuyển cho nhân viên, không được trả lời như câu hỏi mới.",
        "th": "กรุณาบอกเราในข้อความเดียวว่าผิดตรงไหน ข้อความถัดไปของคุณจะส่งถึงเจ้าหน้าที่ ไม่ได้ตอบเป็นคำถามใหม่",
    },
    "feedback_forwarded": {
        "zh-TW": "謝謝，已轉給承辦同仁。還有其他問題，直接打字問我，或從下方選單找。",
        "en": "Thank you, it has been passed on to our staff. Ask me anything else, or pick a topic below.",
        "id": "Terima kasih, sudah diteruskan ke petugas. Silakan tanya lagi, atau pilih topik di bawah.",
        "vi": "Cảm ơn bạn, đã chuyển cho nhân viên. Bạn cứ hỏi thêm, hoặc chọn chủ đề bên dưới.",
        "th": "ขอบคุณครับ ส่งถึงเจ้าหน้าที่แล้ว มีคำถามอื่นพิมพ์ถามได้เลย หรือเลือกหัวข้อด้านล่าง",
    },
    "feedback_already": {
        "zh-TW": "這則回答的評分已經記下來了。",
        "en": "Your rating of this answer is already recorded.",
        "id": "Penilaian Anda untuk jawaban ini sudah tercatat.",
        "vi": "Đánh giá của bạn cho câu trả lời này đã được ghi nhận.",
        "th": "บันทึกคะแนนของคำตอบนี้ไว้แล้ว",
    },
    # --- conversation: answering one part of a service, context, starting over -----------------------------
    "facts_used": {
        "zh-TW": "依您提供的資料（{facts}）：", "en": "From what you told me ({facts}):",
        "id": "Berdasarkan keterangan Anda ({facts}):", "vi": "Theo thông tin bạn cho biết ({facts}):",
        "th": "จากข้อมูลที่คุณบอก ({facts}):",
    },
    "h_where": {"zh-TW": "在哪裡辦", "en": "Where to go", "id": "Tempat", "vi": "Nơi làm thủ tục", "th": "สถานที่"},
    "h_deadline": {"zh-TW": "期限與時間", "en": "Deadlines and timing", "id": "Batas waktu", "vi": "Thời hạn",
                   "th": "กำหนดเวลา"},
    "no_documents": {
        "zh-TW": "這項服務沒有列出固定的應備文件，請先打電話問清楚要帶什麼：",
        "en": "No fixed list of documents is given for this service; please call first to ask what to bring:",
        "id": "Tidak ada daftar dokumen tetap untuk layanan ini; silakan telepon dulu untuk menanyakan:",
        "vi": "Dịch vụ này không có danh sách giấy tờ cố định; hãy gọi trước để hỏi cần mang gì:",
        "th": "บริการนี้ไม่ได้ระบุเอกสารไว้แน่นอน โปรดโทรสอบถามก่อนว่าต้องเตรียมอะไร:",
    },
    "no_amount": {
        "zh-TW": "這項服務沒有固定的金額可以告訴您；內容是：", "en": "This service has no fixed amount to tell you; in short:",
        "id": "Layanan ini tidak memiliki jumlah uang tetap; ringkasnya:", "vi": "Dịch vụ này không có số tiền cố định; tóm tắt:",
        "th": "บริการนี้ไม่มีจำนวนเงินที่แน่นอน สรุปคือ:",
    },
    "no_deadline": {
        "zh-TW": "資料裡沒有寫到申請期限或辦理時間；實際期限請以承辦單位說明為準：",
        "en": "No deadline or processing time is written down for this service; please ask the office:",
        "id": "Tidak ada batas waktu yang tertulis untuk layanan ini; silakan tanyakan ke kantor:",
        "vi": "Không có thời hạn nào được ghi cho dịch vụ này; hãy hỏi cơ quan phụ trách:",
        "th": "ไม่มีการระบุกำหนดเวลาสำหรับบริการนี้ โปรดสอบถามหน่วยงาน:",
    },
    "ask_more": {"zh-TW": "📞 問清楚：{contact}", "en": "📞 To ask: {contact}", "id": "📞 Tanya: {contact}",
                 "vi": "📞 Hỏi thêm: {contact}", "th": "📞 สอบถาม: {contact}"},
    "btn_full": {"zh-TW": "完整說明", "en": "Full details", "id": "Info lengkap", "vi": "Xem đầy đủ", "th": "ดูทั้งหมด"},
    "or_prefix": {"zh-TW": "或：", "en": "Or: ", "id": "Atau: ", "vi": "Hoặc: ", "th": "หรือ: "},
    "q_eligibility": {"zh-TW": "我符合嗎？", "en": "Am I eligible?", "id": "Syaratnya?", "vi": "Điều kiện?",
                      "th": "มีสิทธิ์ไหม?"},
    "q_documents": {"zh-TW": "要帶什麼？", "en": "Documents?", "id": "Dokumen?", "vi": "Giấy tờ?", "th": "เอกสาร?"},
    "q_apply": {"zh-TW": "怎麼申請？", "en": "How to apply?", "id": "Cara daftar?", "vi": "Cách làm?", "th": "สมัครยังไง?"},
    "q_amount": {"zh-TW": "可以拿多少？", "en": "How much?", "id": "Berapa?", "vi": "Bao nhiêu?", "th": "เท่าไหร่?"},
    "q_contact": {"zh-TW": "電話地址", "en": "Phone & address", "id": "Telepon & alamat", "vi": "Điện thoại",
                  "th": "เบอร์โทร"},
    "q_deadline": {"zh-TW": "期限？", "en": "Deadline?", "id": "Batas waktu?", "vi": "Thời hạn?", "th": "กำหนดเวลา?"},
    "resume_check": {"zh-TW": "↩ 繼續資格檢查", "en": "↩ Back to the check", "id": "↩ Lanjut cek syarat",
                     "vi": "↩ Tiếp tục kiểm tra", "th": "↩ ตรวจสิทธิ์ต่อ"},
    "two_answers": {
        "zh-TW": "您的情況可能同時和這兩項有關，兩項都整理給您 👇", "en": "Your situation may involve both of these 👇",
        "id": "Situasi Anda mungkin terkait keduanya 👇", "vi": "Trường hợp của bạn có thể liên quan cả hai 👇",
        "th": "กรณีของคุณอาจเกี่ยวข้องกับทั้งสองเรื่องนี้ 👇",
    },
    "reset_done": {
        "zh-TW": "好的，我們重新開始 🙂 剛才的內容我已經不記得了。請直接告訴我您想問什麼，或點選下方主題。",
        "en": "OK, let's start over. I have forgotten what we talked about. Tell me your question, or pick a topic.",
        "id": "Baik, kita mulai lagi. Percakapan tadi sudah saya lupakan. Silakan tulis pertanyaan Anda atau pilih topik.",
        "vi": "Được, chúng ta bắt đầu lại. Tôi đã quên nội dung vừa rồi. Hãy hỏi hoặc chọn chủ đề bên dưới.",
        "th": "ได้เลย เริ่มใหม่กันครับ ผมลืมเรื่องที่คุยไปแล้ว พิมพ์คำถามหรือเลือกหัวข้อด้านล่างได้เลย",
    },
}

# Menu topics. Keys are `Category` values, plus "human" for the handoff button at the end of the menu.
CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "youth_jobs": {"zh-TW": "青年/找工作", "en": "Youth & jobs", "id": "Pemuda & kerja", "vi": "Thanh niên/việc làm",
                   "th": "เยาวชน/หางาน"},
    "wages_disputes": {"zh-TW": "薪資/勞資爭議", "en": "Wages & disputes", "id": "Gaji & sengketa",
                       "vi": "Lương & tranh chấp", "th": "ค่าจ้าง/ข้อพิพาท"},
    "safety": {"zh-TW": "職業安全", "en": "Work safety", "id": "Keselamatan kerja", "vi": "An toàn lao động",
               "th": "ความปลอดภัยในงาน"},
    "migrant": {"zh-TW": "移工", "en": "Migrant workers", "id": "Pekerja migran", "vi": "Lao động di trú",
                "th": "แรงงานข้ามชาติ"},
    "disability": {"zh-TW": "身障就業", "en": "Disability & work", "id": "Disabilitas & kerja",
                   "vi": "Người khuyết tật", "th": "คนพิการกับงาน"},
    "retirement_insurance": {"zh-TW": "退休/保險", "en": "Pension & insurance", "id": "Pensiun & asuransi",
                             "vi": "Hưu trí & bảo hiểm", "th": "เกษียณ/ประกัน"},
    "employer": {"zh-TW": "雇主專區", "en": "For employers", "id": "Untuk majikan", "vi": "Cho chủ thuê",
                 "th": "สำหรับนายจ้าง"},
    "union": {"zh-TW": "工會", "en": "Unions", "id": "Serikat pekerja", "vi": "Công đoàn", "th": "สหภาพแรงงาน"},
}

# The two agencies' names as migrant workers meet them (the Chinese name is shown next to it).
AGENCY_NAMES: dict[str, dict[str, str]] = {
    "臺中市政府勞工局": {"en": "Taichung City Labor Affairs Bureau", "id": "Biro Tenaga Kerja Kota Taichung",
                   "vi": "Cục Lao động thành phố Đài Trung", "th": "สำนักงานแรงงานเมืองไถจง"},
    "勞動部": {"en": "Ministry of Labor", "id": "Kementerian Tenaga Kerja", "vi": "Bộ Lao động",
            "th": "กระทรวงแรงงาน"},
}

# How a description already says its figure is unconfirmed (「目前查不到公告，尚未確認」): then the card adds only
# whom to ask, not "unconfirmed" a second time.
UNCONFIRMED_MARKERS = ("尚未確認", "無法確認", "查不到", "not yet confirmed", "not confirmed", "could not be confirmed",
                       "belum dipastikan", "belum dikonfirmasi", "chưa được xác nhận", "chưa xác nhận", "ยังไม่ยืนยัน",
                       "ยังไม่ได้รับการยืนยัน")

# Words that answer a yes/no question of the eligibility check, in the languages we write in (lower-cased).
YES_WORDS = frozenset(
    "是 是的 是啊 對 對的 對啊 對呀 对 对的 有 有啊 有的 沒錯 没错 符合 嗯 恩 yes y yeah yep yup sure correct ya iya iyaa betul "
    "benar ya benar iya benar có co có ạ đúng dung đúng rồi vâng dạ ใช่ ใช่ครับ ใช่ค่ะ ครับใช่ oo opo".split()
    + ["ya benar", "có ạ", "đúng rồi", "yes i am", "yes i do"]
)
NO_WORDS = frozenset(
    "否 不是 不是喔 不對 不对 沒有 没有 沒有啊 沒 没 不 不符合 no n nope nah tidak bukan tak gak nggak enggak belum không khong "
    "chưa ไม่ ไม่ใช่ ไม่ครับ ไม่ค่ะ hindi".split()
    + ["không ạ", "no i'm not", "no i am not"]
)
UNSURE_WORDS = frozenset(
    ["不確定", "不知道", "不清楚", "not sure", "don't know", "unsure", "tidak yakin", "tidak tahu", "không chắc",
     "không biết", "ไม่แน่ใจ", "ไม่รู้"]
)
CANCEL_WORDS = frozenset(
    ["取消", "結束", "停止", "不用了", "cancel", "stop", "quit", "batal", "berhenti", "hủy", "huỷ", "huy", "dừng",
     "ยกเลิก", "หยุด"]
)
# Typed commands that forget the conversation (its topic, the facts stated, a check under way). 「取消」 alone is
# among them only outside a check: inside one it cancels the check (CANCEL_WORDS).
RESET_COMMANDS = frozenset(
    ["重新開始", "重來", "重新来", "重新开始", "清除", "start over", "restart", "reset", "new question", "mulai lagi",
     "ulang", "bắt đầu lại", "làm lại", "เริ่มใหม่", "ulitin", "取消"]
)
# Typed commands that open the menu or ask for a person, whatever else the message looks like.
MENU_COMMANDS = {
    "選單": None, "主選單": None, "功能表": None, "menu": None, "main menu": None, "help": None,
    "menu bahasa": "id", "menu bahasa indonesia": "id", "menu indonesia": "id", "bantuan": "id",
    "menu tiếng việt": "vi", "danh mục": "vi", "trợ giúp": "vi", "เมนู": "th", "menu english": "en",
}
# Asking for a person, in a short message («真人», «I need a person»); longer messages go through understanding,
# because these words also occur inside real questions («勞保局客服電話»).
HUMAN_WORDS = ("真人", "客服", "專人", "人工", "承辦人", "i need a person", "talk to a human", "real person",
               "người thật", "คนจริง")
SHORT_COMMAND_CHARS = 15


def text(key: str, lang: str) -> str:
    variants = TEXTS[key]
    return variants.get(lang) or variants["zh-TW"]


def category_label(category: str, lang: str) -> str:
    if category == "human":
        return text("human_label", lang)
    variants = CATEGORY_LABELS[category]
    return variants.get(lang) or variants["zh-TW"]


def reply_language(detected: str | None) -> str:
    """The language we answer in for a detected language or a LINE profile language (BCP-47, e.g. "en-US",
    "zh-Hant-TW", "in"). Simplified Chinese readers get Traditional; Tagalog readers get English."""
    if not detected:
        return "zh-TW"
    tag = detected.replace("_", "-")
    primary = tag.split("-")[0].lower()
    if primary == "zh":
        return "zh-TW"
    return {"tl": "en", "fil": "en", "in": "id"}.get(primary, primary if primary in SUPPORTED else "zh-TW")
