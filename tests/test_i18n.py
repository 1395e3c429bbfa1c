"""Languages: every fixed word translated, dates localized, direction and reading speed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from helpers import pipeline
from masthead.content import reading
from masthead.runtime import i18n

LOCALE = Path(__file__).resolve().parents[1] / "templates" / "default" / "locale"
LANGUAGES = ["en", "ar", "fr", "de", "es", "it", "pt", "ru", "uk", "ja", "zh", "he", "fa", "nl", "pl", "tr"]
ENGLISH_CHROME = ["min read", "More from", "Contents", "By ", "Issue ", "Cover"]


def template_messages() -> set[str]:
    with (LOCALE / "masthead.pot").open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_translates_every_template_string(language):
    with (LOCALE / language / "LC_MESSAGES" / "masthead.po").open("rb") as handle:
        catalog = read_po(handle)
    missing = []
    for message_id in template_messages():
        message = catalog.get(message_id)
        strings = message.string if message else None
        strings = strings if isinstance(strings, tuple) else (strings,)
        if not message or not all(strings) or message.fuzzy:
            missing.append(message_id)
    assert missing == []
    assert not list(catalog.check())


def test_pot_is_up_to_date_with_the_templates():
    # Every _("…") in the templates is in the .pot, so catalogues can be checked against it.
    root = LOCALE.parent
    used = set()
    for path in root.rglob("*.j2"):  # the catalogue's pages (catalogue/) too
        used |= set(re.findall(r'(?:_|gettext)\(\s*"([^"]+)"', path.read_text()))
        used |= set(re.findall(r"(?:_|gettext)\(\s*'([^']+)'", path.read_text()))
    assert used and used <= template_messages()


def _render_in(language: str, tmp_path: Path):
    folder = tmp_path / language
    shutil.copytree(Path(__file__).parent / "cases" / "rtl-mixed" / "in", folder)
    yaml_path = folder / "issue.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace("language: ar", f"language: {language}"), encoding="utf-8")
    (folder / "articles" / "english.md").write_text(f"---\ntitle: Chrome\nlang: {language}\nbyline: [A, B]\n"
                                                    "date: 2024-10-01\n---\n\nText.\n", encoding="utf-8")
    return pipeline(yaml_path, printed=True).render()


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_rendered_chrome_has_no_english(language, tmp_path):
    rendered = _render_in(language, tmp_path)
    for document in rendered.documents:
        if document.name in ("english.xhtml", "contents.xhtml", "nav.xhtml", "cover.xhtml"):
            text = document.content.decode()
            text = re.sub(r"<(title|h1 class=\"headline\")>Chrome<", "", text)
            visible = re.sub(r"<[^>]+>", " ", text.split("<body", 1)[1])
            for phrase in ENGLISH_CHROME:
                assert phrase not in visible.replace("Chrome", ""), (language, document.name, phrase)
            assert "October" not in visible, (language, document.name)  # dates in the language too


def test_right_to_left_follows_from_the_language():
    assert [i18n.direction_of(t) for t in ("ar", "he", "fa", "ur", "en", "ja", "ar-EG", "az-Arab")] == \
        ["rtl", "rtl", "rtl", "rtl", "ltr", "ltr", "rtl", "rtl"]


def test_reading_time_counts_characters_for_japanese():
    text = "吾輩は猫である。名前はまだ無い。" * 334  # about 5,000 characters
    words = reading.count_words(text, "ja")
    assert 4500 <= words <= 5100  # characters, punctuation aside
    assert reading.reading_minutes(words, "ja") == 10
    english = " ".join(["word"] * 2280)
    assert reading.reading_minutes(reading.count_words(english, "en"), "en") == 10


def test_words_are_counted_alike_with_and_without_cjk():
    # Don't · stop · a · well-known · rock · n · roll · 1891 · tune
    assert reading.count_words("Don\u2019t stop \u2014 a well-known rock-\u2019n\u2019-roll 1891 tune.", "en") == 9
    assert reading.count_words("Tokyo\u6771\u4eac, don't stop", "en") == 2 + 3  # two characters, three words
    assert reading.count_words("", "en") == 0


def test_quotes_follow_the_language():
    assert i18n.quotes("fr")[:2] == ("«\u00a0", "\u00a0»")
    assert i18n.quotes("de")[:2] == ("„", "“")
    assert i18n.quotes("ja")[:2] == ("「", "」")
    assert i18n.quotes("en-GB")[:2] == ("“", "”")


WELL_FORMED = ["en", "en-GB", "sr-Latn-RS", "es-419", "de-CH-1901", "en-u-ca-gregory", "de-DE-x-foo",
               "zh-yue-HK", "en-a-bbb-x-a-ccc", "x-whatever", "i-klingon", "ja-JP-u-ca-japanese-nu-jpanfin"]
MALFORMED = ["f r", "en-", "en--GB", "e", "en-GB-x", "en-u", "en-u-x-foo", "en-toolongsubtag", "abcdefghi",
             "en-a-b", "en_GB", "en-GB-x-abcdefghi"]


def test_bcp_47_tags_with_extensions_and_private_use_are_accepted_and_the_interface_falls_back_to_the_language():
    """A tag is well-formed as RFC 5646's ABNF says (extensions, private use, extlang and the
    grandfathered ones included); en-u-ca-gregory and de-DE-x-foo were refused. Their interface
    (locale, catalogue, direction) is that of the language and region before the extensions:
    "en-u-nu-arab" (Arabic digits) stays left to right."""
    assert [tag for tag in WELL_FORMED if not i18n.is_valid_tag(tag)] == []
    assert [tag for tag in MALFORMED if i18n.is_valid_tag(tag)] == []
    assert i18n.canonical_tag("DE-de-X-Foo") == "de-DE-x-foo"
    assert i18n.canonical_tag("en-U-CA-Gregory") == "en-u-ca-gregory"
    assert i18n.canonical_tag("sr-latn-rs") == "sr-Latn-RS"
    assert str(i18n.locale_of("de-DE-x-foo")) == "de_DE" and str(i18n.locale_of("en-u-ca-gregory")) == "en"
    assert i18n.direction_of("en-u-nu-arab") == "ltr" and i18n.direction_of("ar-u-nu-latn") == "rtl"
    assert i18n.catalogue_path("de-DE-x-foo", (LOCALE,)) == LOCALE / "de" / "LC_MESSAGES" / "masthead.po"
    assert i18n.language_name("de-DE-x-foo") == i18n.language_name("de-DE") == "Deutsch (Deutschland)"


def test_an_issue_in_a_tag_with_a_private_use_part_renders_its_chrome_in_that_language(tmp_path):
    rendered = _render_in("de-DE-x-foo", tmp_path)
    contents = next(d for d in rendered.documents if d.name == "contents.xhtml").content.decode()
    assert 'lang="de-DE-x-foo"' in contents and "Inhalt" in contents and "Contents" not in contents.split("<body", 1)[1]
