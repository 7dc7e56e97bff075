"""The article's language in print: its quotation marks and spacing, its long dates, and the few
words the layouts print themselves (the footer's "Page 2 of 5", "Contents", "Notes", …).

English, French, German, Spanish, Italian, Portuguese, Dutch, Russian, Greek, Arabic, Persian,
Hebrew, Hindi, Chinese (Simplified, and Traditional for ``zh-Hant``, ``zh-TW``, ``zh-HK``) and
Japanese are known; any other language is set as English, and the build says so once per
article. Dates come from Babel's CLDR data, in the language's long form ("14 mars 2026",
"14. März 2026", "2026年3月14日"); English keeps day-month-year ("14 March 2026") unless the
article says ``en-US``. The footer's page count is a pattern (``page_of``: "Page {page} of
{pages}", "第 {page} 页，共 {pages} 页"), as word order differs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space: French spacing before ; ! ?


@dataclass(frozen=True)
class Language:
    """How one language is set."""

    code: str  # the primary subtag the table knows: "en", "fr", …
    locale: str  # Babel's locale for dates
    quotes: tuple[str, str, str, str]  # double open, double close, single open, single close
    words: dict[str, str]
    french_spacing: bool = False

    def long_date(self, value: dt.date | None) -> str:
        """The date in the language's long form."""
        if value is None:
            return ""
        from babel.dates import format_date

        if self.locale in ("en", "en_GB"):
            return f"{value.day} {format_date(value, 'MMMM y', locale='en')}"
        return format_date(value, "long", locale=self.locale)


WORDS: dict[str, dict[str, str]] = {
    "en": {
        "page": "Page", "of": "of", "contents": "Contents", "notes": "Notes", "footnotes": "Notes", "cover": "Cover",
        "title_page": "Title page", "start": "Start of content", "landmarks": "Landmarks",
        "page_list": "Pages of the printed handout", "digital_edition": "Digital edition",
        "read_online": "Read or download this handout:", "qr_alt": "QR code linking to", "download": "Download",
        "booklet": "booklet",
    },
    "fr": {
        "page": "Page", "of": "sur", "contents": "Sommaire", "notes": "Notes", "footnotes": "Notes", "cover": "Couverture",
        "title_page": "Page de titre", "start": "Début du contenu", "landmarks": "Repères",
        "page_list": "Pages du document imprimé", "digital_edition": "Édition numérique",
        "read_online": f"Lire ou télécharger ce document{NBSP}:", "qr_alt": "Code QR menant à", "download": "Télécharger",
        "booklet": "livret",
    },
    "de": {
        "page": "Seite", "of": "von", "contents": "Inhalt", "notes": "Notizen", "footnotes": "Anmerkungen", "cover": "Umschlag",
        "title_page": "Titelseite", "start": "Beginn des Inhalts", "landmarks": "Orientierungspunkte",
        "page_list": "Seiten des gedruckten Handouts", "digital_edition": "Digitale Ausgabe",
        "read_online": "Dieses Handout lesen oder herunterladen:", "qr_alt": "QR-Code mit Link zu", "download": "Herunterladen",
        "booklet": "Broschüre",
    },
    "es": {
        "page": "Página", "of": "de", "contents": "Índice", "notes": "Notas", "footnotes": "Notas", "cover": "Cubierta",
        "title_page": "Portada", "start": "Inicio del contenido", "landmarks": "Puntos de referencia",
        "page_list": "Páginas del documento impreso", "digital_edition": "Edición digital",
        "read_online": "Leer o descargar este documento:", "qr_alt": "Código QR que enlaza a", "download": "Descargar",
        "booklet": "cuadernillo",
    },
    "it": {
        "page": "Pagina", "of": "di", "contents": "Indice", "notes": "Appunti", "footnotes": "Note", "cover": "Copertina",
        "title_page": "Frontespizio", "start": "Inizio del contenuto", "landmarks": "Punti di riferimento",
        "page_list": "Pagine della dispensa stampata", "digital_edition": "Edizione digitale",
        "read_online": "Leggi o scarica questa dispensa:", "qr_alt": "Codice QR che rimanda a", "download": "Scarica",
        "booklet": "opuscolo",
    },
    "pt": {
        "page": "Página", "of": "de", "contents": "Índice", "notes": "Notas", "footnotes": "Notas", "cover": "Capa",
        "title_page": "Folha de rosto", "start": "Início do conteúdo", "landmarks": "Marcos",
        "page_list": "Páginas do documento impresso", "digital_edition": "Edição digital",
        "read_online": "Ler ou descarregar este documento:", "qr_alt": "Código QR com ligação para", "download": "Descarregar",
        "booklet": "brochura",
    },
    "nl": {
        "page": "Pagina", "of": "van", "contents": "Inhoud", "notes": "Aantekeningen", "footnotes": "Noten", "cover": "Omslag",
        "title_page": "Titelpagina", "start": "Begin van de inhoud", "landmarks": "Oriëntatiepunten",
        "page_list": "Pagina's van het gedrukte hand-out", "digital_edition": "Digitale editie",
        "read_online": "Dit hand-out lezen of downloaden:", "qr_alt": "QR-code met een link naar", "download": "Downloaden",
        "booklet": "boekje",
    },
    "ru": {
        "page": "Страница", "of": "из", "contents": "Содержание", "notes": "Заметки", "footnotes": "Примечания", "cover": "Обложка",
        "title_page": "Титульная страница", "start": "Начало содержания", "landmarks": "Ориентиры",
        "page_list": "Страницы печатной версии", "digital_edition": "Электронная версия",
        "read_online": "Прочитать или скачать этот материал:", "qr_alt": "QR-код со ссылкой на", "download": "Скачать",
        "booklet": "брошюра",
    },
    "el": {
        "page": "Σελίδα", "of": "από", "contents": "Περιεχόμενα", "notes": "Σημειώσεις", "footnotes": "Σημειώσεις", "cover": "Εξώφυλλο",
        "title_page": "Σελίδα τίτλου", "start": "Αρχή περιεχομένου", "landmarks": "Ορόσημα",
        "page_list": "Σελίδες της έντυπης έκδοσης", "digital_edition": "Ψηφιακή έκδοση",
        "read_online": "Διαβάστε ή κατεβάστε αυτό το έντυπο:", "qr_alt": "Κωδικός QR με σύνδεσμο προς", "download": "Λήψη",
        "booklet": "φυλλάδιο",
    },
    "ar": {
        "page": "صفحة", "of": "من", "contents": "المحتويات", "notes": "ملاحظات", "footnotes": "الحواشي", "cover": "الغلاف",
        "title_page": "صفحة العنوان", "start": "بداية المحتوى", "landmarks": "معالم الكتاب",
        "page_list": "صفحات النسخة المطبوعة", "digital_edition": "النسخة الرقمية",
        "read_online": "اقرأ هذه النشرة أو نزّلها:", "qr_alt": "رمز QR يؤدي إلى", "download": "تنزيل",
        "booklet": "كتيّب",
    },
    "fa": {
        "page": "صفحهٔ", "of": "از", "contents": "فهرست مطالب", "notes": "یادداشت‌ها", "footnotes": "پانوشت‌ها", "cover": "جلد",
        "title_page": "صفحهٔ عنوان", "start": "آغاز محتوا", "landmarks": "نشانه‌ها",
        "page_list": "صفحه‌های نسخهٔ چاپی", "digital_edition": "نسخهٔ دیجیتال",
        "read_online": "این جزوه را بخوانید یا بارگیری کنید:", "qr_alt": "کد QR با پیوند به", "download": "بارگیری",
        "booklet": "دفترچه",
    },
    "he": {
        "page": "עמוד", "of": "מתוך", "contents": "תוכן העניינים", "notes": "הערות", "footnotes": "הערות שוליים", "cover": "כריכה",
        "title_page": "עמוד השער", "start": "תחילת התוכן", "landmarks": "ציוני דרך",
        "page_list": "עמודי הגרסה המודפסת", "digital_edition": "מהדורה דיגיטלית",
        "read_online": "לקריאה או להורדה של דף זה:", "qr_alt": "קוד QR המוביל אל", "download": "הורדה",
        "booklet": "חוברת",
    },
    "hi": {
        "page": "पृष्ठ", "of": "/", "contents": "विषय सूची", "notes": "टिप्पणियाँ", "footnotes": "पाद टिप्पणियाँ", "cover": "आवरण",
        "title_page": "शीर्षक पृष्ठ", "start": "सामग्री का आरंभ", "landmarks": "स्थलचिह्न",
        "page_list": "मुद्रित संस्करण के पृष्ठ", "digital_edition": "डिजिटल संस्करण",
        "read_online": "यह हैंडआउट पढ़ें या डाउनलोड करें:", "qr_alt": "इस पते का QR कोड:", "download": "डाउनलोड करें",
        "booklet": "पुस्तिका",
    },
    "zh": {
        "page": "页", "of": "共", "page_of": "第 {page} 页，共 {pages} 页", "contents": "目录", "notes": "笔记", "footnotes": "注释",
        "cover": "封面", "title_page": "扉页", "start": "正文开始", "landmarks": "地标",
        "page_list": "印刷版页码", "digital_edition": "电子版",
        "read_online": "在线阅读或下载本讲义：", "qr_alt": "二维码，链接到", "download": "下载",
        "booklet": "小册子",
    },
    "zh-Hant": {
        "page": "頁", "of": "共", "page_of": "第 {page} 頁，共 {pages} 頁", "contents": "目錄", "notes": "筆記", "footnotes": "註釋",
        "cover": "封面", "title_page": "扉頁", "start": "正文開始", "landmarks": "地標",
        "page_list": "印刷版頁碼", "digital_edition": "電子版",
        "read_online": "線上閱讀或下載本講義：", "qr_alt": "QR 碼，連結到", "download": "下載",
        "booklet": "小冊子",
    },
    "ja": {
        "page": "ページ", "of": "/", "page_of": "{page} / {pages} ページ", "contents": "目次", "notes": "メモ", "footnotes": "注",
        "cover": "表紙", "title_page": "扉", "start": "本文の始まり", "landmarks": "ランドマーク",
        "page_list": "印刷版のページ", "digital_edition": "電子版",
        "read_online": "この資料をオンラインで読む・ダウンロードする：", "qr_alt": "リンク先を示すQRコード：", "download": "ダウンロード",
        "booklet": "冊子",
    },
    "ko": {
        "page": "페이지", "of": "/", "page_of": "{page} / {pages} 페이지", "contents": "목차", "notes": "메모", "footnotes": "각주",
        "cover": "표지", "title_page": "속표지", "start": "본문 시작", "landmarks": "랜드마크",
        "page_list": "인쇄본의 페이지", "digital_edition": "전자판",
        "read_online": "이 자료를 온라인으로 읽거나 내려받기:", "qr_alt": "다음 주소로 연결되는 QR 코드:", "download": "내려받기",
        "booklet": "소책자",
    },
}  # fmt: skip
for _words in WORDS.values():  # "Page 2 of 5": where the numbers go, in the language's order
    _words.setdefault("page_of", f"{_words['page']} {{page}} {_words['of']} {{pages}}")

#: Chinese written in Traditional characters: these tags take the ``zh-Hant`` words.
TRADITIONAL_CHINESE = {"hant", "tw", "hk", "mo"}

QUOTES: dict[str, tuple[str, str, str, str]] = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "fr": ("\u00ab" + NBSP, NBSP + "\u00bb", "\u201c", "\u201d"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "it": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "pt": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "nl": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "ru": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "el": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "ar": ("\u00ab", "\u00bb", "\u2039", "\u203a"),  # logical order: the bidi algorithm mirrors them in right-to-left text
    "fa": ("\u00ab", "\u00bb", "\u2039", "\u203a"),
    "he": ("\u201d", "\u201d", "\u2019", "\u2019"),  # CLDR's Hebrew marks
    "hi": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "zh": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "zh-Hant": ("\u300c", "\u300d", "\u300e", "\u300f"),
    "ja": ("\u300c", "\u300d", "\u300e", "\u300f"),
    "ko": ("\u201c", "\u201d", "\u2018", "\u2019"),
}


def primary(lang: str) -> str:
    return lang.split("-")[0].lower()


def known(lang: str) -> bool:
    return primary(lang) in WORDS


def languages() -> list[str]:
    """The languages Pressroom sets (their primary subtags)."""
    return [code for code in WORDS if "-" not in code]


@lru_cache(maxsize=64)
def language(lang: str) -> Language:
    """How an article in ``lang`` (a BCP 47 tag) is set; an unknown language is set as English."""
    code = primary(lang) if known(lang) else "en"
    region = lang.split("-")[1].upper() if "-" in lang and known(lang) else ""
    locale = f"{code}_{region}" if region and _babel_knows(f"{code}_{region}") else code
    table = code
    if code == "zh" and TRADITIONAL_CHINESE & {part.lower() for part in lang.split("-")[1:]}:
        table = "zh-Hant"
    quotes = QUOTES[table]
    if code == "pt" and region == "BR":
        quotes = QUOTES["en"]
    return Language(code, locale, quotes, WORDS[table], french_spacing=code == "fr")


def _babel_knows(locale: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return False
    return True


# Before ; ! ? (and « … » inside): a narrow no-break space; before a colon: a no-break space. Only
# where the mark ends a phrase (followed by a space, a closing mark or the end), so that URLs,
# times (10:30) and "?q=" stay as typed.
FRENCH_HIGH = re.compile(r"(?<=[\w\u00bb)\]\u2019\u201d.\u2026])[ \u00a0\u202f]?([;!?]+)(?=[\s\u00bb)\]\u201d,.]|$)")
FRENCH_COLON = re.compile(r"(?<=[\w\u00bb)\]\u2019\u201d\u2026])[ \u00a0\u202f]?:(?=\s|$)")
GUILLEMET_OPEN = re.compile("\u00ab[ \u00a0\u202f]?")
GUILLEMET_CLOSE = re.compile("[ \u00a0\u202f]?\u00bb")


def french_spacing(text: str) -> str:
    """French spacing: no-break spaces before ; : ! ? and inside « »."""
    text = FRENCH_HIGH.sub(lambda m: NNBSP + m.group(1), text)
    text = FRENCH_COLON.sub(NBSP + ":", text)
    text = GUILLEMET_OPEN.sub("\u00ab" + NBSP, text)
    return GUILLEMET_CLOSE.sub(NBSP + "\u00bb", text)


OPENING_CONTEXT = re.compile(r"(?:^|[\s(\[{\u2014\u2013/-])$")
DASHES = re.compile(r"---|(?<![\w-])--(?![^\W\d_])|(?<=\w)--(?=\w)|\.\.\.")


def smarten(text: str, lang: str) -> str:
    """Smart punctuation for plain text (a title, a summary, an event): the language's quotation
    marks, apostrophes, dashes, the ellipsis, and French spacing."""
    setting = language(lang)
    text = DASHES.sub(lambda m: {"---": "\u2014", "--": "\u2013", "...": "\u2026"}[m.group()], text)
    out: list[str] = []
    open_single = False
    for index, char in enumerate(text):
        before = text[:index]
        at_start = bool(OPENING_CONTEXT.search(before))
        if char == '"':
            out.append(setting.quotes[0] if at_start else setting.quotes[1])
        elif char == "'":
            after = text[index + 1 : index + 2]
            if before and before[-1].isalnum() and after.isalnum():
                out.append("\u2019")  # an apostrophe: it's, l'été
            elif at_start and after and not after.isspace():
                out.append(setting.quotes[2])
                open_single = True
            elif open_single:
                out.append(setting.quotes[3])
                open_single = False
            else:
                out.append("\u2019")
        else:
            out.append(char)
    result = "".join(out)
    return french_spacing(result) if setting.french_spacing else result


#: The labels of callouts that have no title of their own (GitHub's alerts, ``!!! note``,
#: ``:::tip``), by kind, in each language; a kind not listed keeps its English label.
CALLOUT_LABELS: dict[str, dict[str, str]] = {
    "fr": {"note": "Remarque", "tip": "Astuce", "important": "Important", "warning": "Attention", "caution": "Prudence",
           "info": "Info", "danger": "Danger", "example": "Exemple", "question": "Question", "hint": "Indice"},
    "de": {"note": "Hinweis", "tip": "Tipp", "important": "Wichtig", "warning": "Warnung", "caution": "Vorsicht",
           "info": "Info", "danger": "Gefahr", "example": "Beispiel", "question": "Frage", "hint": "Hinweis"},
    "es": {"note": "Nota", "tip": "Consejo", "important": "Importante", "warning": "Advertencia", "caution": "Precaución",
           "info": "Información", "danger": "Peligro", "example": "Ejemplo", "question": "Pregunta", "hint": "Pista"},
    "it": {"note": "Nota", "tip": "Suggerimento", "important": "Importante", "warning": "Avviso", "caution": "Attenzione",
           "info": "Informazioni", "danger": "Pericolo", "example": "Esempio", "question": "Domanda", "hint": "Indizio"},
    "pt": {"note": "Nota", "tip": "Dica", "important": "Importante", "warning": "Aviso", "caution": "Cuidado",
           "info": "Informação", "danger": "Perigo", "example": "Exemplo", "question": "Pergunta", "hint": "Pista"},
    "nl": {"note": "Opmerking", "tip": "Tip", "important": "Belangrijk", "warning": "Waarschuwing", "caution": "Let op",
           "info": "Info", "danger": "Gevaar", "example": "Voorbeeld", "question": "Vraag", "hint": "Hint"},
    "ru": {"note": "Примечание", "tip": "Совет", "important": "Важно", "warning": "Предупреждение", "caution": "Осторожно",
           "info": "Информация", "danger": "Опасность", "example": "Пример", "question": "Вопрос", "hint": "Подсказка"},
    "el": {"note": "Σημείωση", "tip": "Συμβουλή", "important": "Σημαντικό", "warning": "Προειδοποίηση", "caution": "Προσοχή",
           "info": "Πληροφορίες", "danger": "Κίνδυνος", "example": "Παράδειγμα", "question": "Ερώτηση", "hint": "Υπόδειξη"},
    "ar": {"note": "ملاحظة", "tip": "نصيحة", "important": "مهم", "warning": "تحذير", "caution": "تنبيه",
           "info": "معلومات", "danger": "خطر", "example": "مثال", "question": "سؤال", "hint": "تلميح"},
    "fa": {"note": "یادداشت", "tip": "نکته", "important": "مهم", "warning": "هشدار", "caution": "احتیاط",
           "info": "اطلاعات", "danger": "خطر", "example": "مثال", "question": "پرسش", "hint": "راهنمایی"},
    "he": {"note": "הערה", "tip": "עצה", "important": "חשוב", "warning": "אזהרה", "caution": "זהירות",
           "info": "מידע", "danger": "סכנה", "example": "דוגמה", "question": "שאלה", "hint": "רמז"},
    "hi": {"note": "टिप्पणी", "tip": "सुझाव", "important": "महत्वपूर्ण", "warning": "चेतावनी", "caution": "सावधानी",
           "info": "जानकारी", "danger": "ख़तरा", "example": "उदाहरण", "question": "प्रश्न", "hint": "संकेत"},
    "zh": {"note": "注意", "tip": "提示", "important": "重要", "warning": "警告", "caution": "小心",
           "info": "信息", "danger": "危险", "example": "示例", "question": "问题", "hint": "提示"},
    "zh-Hant": {"note": "注意", "tip": "提示", "important": "重要", "warning": "警告", "caution": "小心",
                "info": "資訊", "danger": "危險", "example": "範例", "question": "問題", "hint": "提示"},
    "ja": {"note": "注記", "tip": "ヒント", "important": "重要", "warning": "警告", "caution": "注意",
           "info": "情報", "danger": "危険", "example": "例", "question": "質問", "hint": "ヒント"},
    "ko": {"note": "참고", "tip": "팁", "important": "중요", "warning": "경고", "caution": "주의",
           "info": "정보", "danger": "위험", "example": "예시", "question": "질문", "hint": "힌트"},
}  # fmt: skip


def callout_label(kind: str, lang: str, english: str) -> str:
    """The label of an untitled callout of ``kind`` in ``lang`` (``english`` when the language
    or the kind has none of its own)."""
    code = primary(lang) if known(lang) else "en"
    table = "zh-Hant" if code == "zh" and TRADITIONAL_CHINESE & {part.lower() for part in lang.split("-")[1:]} else code
    return CALLOUT_LABELS.get(table, {}).get(kind, english)
