"""The article's language in print: its quotation marks and spacing, its long dates, and the few
words the layouts print themselves (the footer's "Page 2 of 5", "Contents", "Notes", …).

English, French, German, Spanish, Italian, Portuguese and Dutch are known; any other language is
set as English, and the build says so once per article. Dates come from Babel's CLDR data, in
the language's long form ("14 mars 2026", "14. März 2026"); English keeps day-month-year
("14 March 2026") unless the article says ``en-US``.
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
}  # fmt: skip

QUOTES: dict[str, tuple[str, str, str, str]] = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "fr": ("\u00ab" + NBSP, NBSP + "\u00bb", "\u201c", "\u201d"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "it": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "pt": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "nl": ("\u201c", "\u201d", "\u2018", "\u2019"),
}


def primary(lang: str) -> str:
    return lang.split("-")[0].lower()


def known(lang: str) -> bool:
    return primary(lang) in WORDS


@lru_cache(maxsize=64)
def language(lang: str) -> Language:
    """How an article in ``lang`` (a BCP 47 tag) is set; an unknown language is set as English."""
    code = primary(lang) if known(lang) else "en"
    region = lang.split("-")[1].upper() if "-" in lang and known(lang) else ""
    locale = f"{code}_{region}" if region and _babel_knows(f"{code}_{region}") else code
    quotes = QUOTES[code]
    if code == "pt" and region == "BR":
        quotes = QUOTES["en"]
    return Language(code, locale, quotes, WORDS[code], french_spacing=code == "fr")


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
