"""Translations as editions: ``translations:`` in an article entry, ``build --edition LANG`` in
every format, ``info``'s untranslated articles, and the web edition's language switch.

The fixture is the Arabic sample (``issues/al-fanar-2025-11-28``: three Arabic articles and one
English) with French translations of two of its articles (tests/cases/editions), built once in
French as EPUB, KEPUB, PDF and web edition, and once as written (web edition), into one folder.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

from helpers import NS, ROOT, Epub, epubcheck, masthead, pipeline, translated_issue
from masthead.content.readers import registry
from masthead.diagnostics import IssueError, UsageError
from masthead.manifest import editions, loader
from masthead.pipeline import BuildContext, build, outputs_of
from masthead.runtime.cache import Cache

FANAR = ROOT / "issues" / "al-fanar-2025-11-28"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("editions")
    issue = translated_issue(base / "fanar")
    out = base / "out"
    ctx = lambda: BuildContext(cache=Cache(None))  # noqa: E731 - a fresh context per build
    original = build(issue / "issue.yaml", out, ("epub", "html"), ctx())
    french = build(issue / "issue.yaml", out, ("epub", "kepub", "pdf", "html"), ctx(), edition="fr")
    paths = {f"original-{o.format}": o.path for o in original.outputs}
    paths.update((o.format, o.path) for o in french.outputs)
    return {**paths, "issue": issue, "out": out}


def _article(epub: Epub, name: str) -> etree._Element:
    return etree.fromstring(epub.read(name)).find(".//x:article", NS)


def test_the_french_edition_is_built_in_every_format_beside_the_original(built):
    out = built["out"]
    assert built["epub"] == out / "fanar.fr.epub" and built["kepub"] == out / "fanar.fr.kepub.epub"
    assert built["pdf"] == out / "fanar.fr.pdf" and built["html"] == out / "fanar.fr"
    assert built["original-epub"] == out / "fanar.epub" and built["original-html"] == out / "fanar"
    assert (out / "fanar.fr" / "al-mina.html").is_file() and (out / "fanar" / "al-mina.html").is_file()
    assert outputs_of(built["issue"] / "issue.yaml", out, "FR")[0] == out / "fanar.fr.epub"  # what --watch ignores


def test_the_editions_epub_passes_epubcheck_with_its_own_language_and_identifier(built):
    assert epubcheck(built["epub"]) == []
    french, original = Epub(built["epub"]), Epub(built["original-epub"])
    assert french.opf.findtext(".//dc:language", namespaces=NS) == "fr"
    ids = [e.opf.findtext(".//dc:identifier", namespaces=NS) for e in (french, original)]
    assert ids[0] == editions.identifier(ids[1], "fr") != ids[1]
    assert french.opf.find(".//opf:spine", NS).get("page-progression-direction") in (None, "ltr")
    assert original.opf.find(".//opf:spine", NS).get("page-progression-direction") == "rtl"


def test_a_translated_article_is_its_translations_text_in_its_language(built):
    article = _article(Epub(built["epub"]), "al-mina.xhtml")  # the original's document name
    assert article.get("lang") == "fr" and article.get("dir") == "ltr"
    text = "".join(article.itertext())
    assert "Le port ne dort jamais" in text and "الميناء لا ينام" not in text
    links = [a.get("href") for a in article.iter("{*}a")]
    assert "kitab.xhtml" in links and "madina-la-tanam.xhtml" in links  # to a translation, and to an original


def test_an_untranslated_article_keeps_its_own_language_and_direction(built):
    epub = Epub(built["epub"])
    arabic, english = _article(epub, "madina-la-tanam.xhtml"), _article(epub, "last-word.xhtml")
    assert (arabic.get("lang"), arabic.get("dir")) == ("ar", "rtl") and "مدينةٌ لا تنام تمامًا" in "".join(arabic.itertext())
    assert (english.get("lang"), english.get("dir")) == ("en-GB", "ltr")


def test_the_editions_interface_words_are_in_its_language_in_every_format(built):
    from pypdf import PdfReader

    epub = Epub(built["epub"])
    contents = etree.fromstring(epub.read("contents.xhtml"))
    assert contents.get("lang") == "fr" and contents.get("dir") == "ltr"
    assert contents.findtext(".//x:h1", namespaces=NS) == "Sommaire"
    # issue.yaml's own words (its sections, title, publication) are in Arabic: marked so, in a French page
    assert [(h.text, h.get("lang"), h.get("dir")) for h in contents.iterfind(".//x:h2", NS)] == \
        [("مقالات", "ar", "rtl"), ("ثقافة", "ar", "rtl")]
    assert contents.find(".//x:p[@class='issue-title']", NS).get("lang") == "ar"
    page = etree.fromstring(epub.read("madina-la-tanam.xhtml"))  # an Arabic article in a French frame
    assert page.get("lang") == "fr" and "min de lecture" in "".join(page.itertext())
    pdf = "".join(p.extract_text() or "" for p in PdfReader(built["pdf"]).pages)
    assert "Sommaire" in pdf and "Le port ne dort jamais" in pdf
    index = (built["html"] / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr" dir="ltr">' in index and "Sommaire" in index


def test_the_web_editions_link_each_translated_article_to_its_other_language(built):
    out = built["out"]
    for page, current in ((out / "fanar" / "al-mina.html", "ar"), (out / "fanar.fr" / "kitab.html", "fr")):
        nav = etree.HTML(page.read_bytes()).find(".//nav[@class='languages']")
        assert nav.get("aria-label") == ("اللغات" if current == "ar" else "Langues")
        links = nav.findall(".//a")
        assert [(a.get("hreflang"), a.text) for a in links] == [("ar", "العربية"), ("fr", "Français")]
        assert [a.get("lang") for a in links if a.get("aria-current") == "page"] == [current]
        for a in links:  # relative links between the editions' folders that work from files
            assert (page.parent / a.get("href")).resolve().is_file(), a.get("href")
    for page in (out / "fanar.fr" / "last-word.html", out / "fanar" / "index.html"):
        assert 'class="languages"' not in page.read_text(encoding="utf-8")  # untranslated: no switch
    epub = Epub(built["epub"])
    assert not any(b'class="languages"' in epub.read(name) for name in ("al-mina.xhtml", "kitab.xhtml"))  # web only


def test_an_issue_without_translations_has_no_language_switch():
    rendered = pipeline(FANAR).render()
    assert rendered.languages == () and rendered.meta.language == "ar"


def test_info_reports_the_articles_without_a_translation(built):
    result = masthead("info", str(built["issue"]), "--json")
    import json

    data = json.loads(result.stdout)
    assert data["translations"] == {"fr": {"articles": 2, "missing": ["articles/madina-la-tanam.md", "articles/last-word.md"]}}
    table = masthead("info", str(built["issue"])).stdout
    assert "edition fr: 2 of 4 articles translated; none for articles/madina-la-tanam.md, articles/last-word.md" in table


def test_an_edition_no_article_is_translated_into_has_every_article_original_and_its_words(built, tmp_path):
    run = pipeline(built["issue"], edition="de", printed=False)
    rendered = run.render()
    assert rendered.meta.language == "de" and rendered.slug == "fanar.de"
    assert [w.message for w in run.report.warnings if "translated into 'de'" in w.message]
    article = etree.fromstring(next(d for d in rendered.documents if d.name == "al-mina.xhtml").content)
    assert article.find(".//x:article", NS).get("lang") == "ar"
    assert "Inhalt" in next(d for d in rendered.documents if d.name == "contents.xhtml").content.decode()


@pytest.mark.parametrize("given,why", [("f r", "is not a BCP 47 language tag"), ("AR", "the issue is in 'ar' already")])
def test_an_edition_in_a_malformed_tag_or_the_issues_own_language_is_a_usage_error(built, given, why, tmp_path):
    with pytest.raises(UsageError, match=why):
        pipeline(built["issue"], edition=given).load()
    result = masthead("build", str(built["issue"]), "-o", str(tmp_path / "out"), "--edition", given)
    assert result.returncode == 2 and why in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_check_takes_the_edition_and_reads_its_translations(built, tmp_path):
    broken = tmp_path / "fanar"
    shutil.copytree(built["issue"], broken)
    (broken / "articles" / "kitab.fr.md").write_text("---\ntitle: [unclosed\n---\n\nTexte.\n", encoding="utf-8")
    assert masthead("check", str(broken)).returncode == 0  # the original does not read the translation
    result = masthead("check", str(broken), "--edition", "fr")
    assert result.returncode == 1 and re.search(r"articles/kitab\.fr\.md:\d+:\d+: invalid YAML", result.stderr), result.stderr


BAD = {
    "not-a-mapping": ("translations: articles/al-mina.fr.md", "must be a mapping of languages to files"),
    "bad-tag": ("translations: {f_r: articles/al-mina.fr.md}", "'f_r' is not a BCP 47 language tag"),
    "outside": ("translations: {fr: ../outside.md}", "outside"),
    "no-reader": ("translations: {fr: articles/al-mina.fr.doc}", "'al-mina.fr.doc' is neither"),
    "own-language": ("translations: {ar: articles/al-mina.fr.md}", "'ar' is the issue's own language"),
    "an-article": ("translations: {fr: articles/kitab.md}", "'kitab.md' is listed twice"),
    "twice": ("translations: {fr: articles/al-mina.fr.md, FR: articles/kitab.fr.md}", "a second translation into 'fr'"),
    "empty": ("translations: {fr: }", "'fr' must not be empty"),
    "missing": ("translations: {fr: articles/al-mina.fr.mdx}", "'articles/al-mina.fr.mdx' does not exist"),
    "misspelt": ("translation: {fr: articles/al-mina.fr.md}", "did you mean 'translations'?"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_translations_get_positioned_errors_and_nothing_written(case, tmp_path):
    issue = translated_issue(tmp_path / "fanar")
    (issue / "articles" / "al-mina.fr.doc").write_text("x", encoding="utf-8")
    manifest = issue / "issue.yaml"
    line, why = BAD[case]
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("translations: {fr: articles/al-mina.fr.md}", line)
    manifest.write_text(text, encoding="utf-8")
    with pytest.raises(IssueError) as caught:
        loader.load(manifest, registry)  # as the pipeline loads it: the files its readers read
    line_number = text.splitlines().index("        " + line) + 1
    assert [(d.position.line, why in d.message) for d in caught.value.diagnostics][:1] == [(line_number, True)], caught.value.diagnostics
    if case == "bad-tag":  # through the command: path:line:col, exit 1, nothing written
        result = masthead("build", str(issue), "-o", str(tmp_path / "out"), "--edition", "fr")
        assert result.returncode == 1 and re.search(rf"issue\.yaml:{line_number}:\d+: .*{re.escape(why)}", result.stderr)
        assert not (tmp_path / "out").exists()
