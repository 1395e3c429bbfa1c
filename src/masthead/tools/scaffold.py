"""New folders to start from: ``masthead new`` (an issue) and ``masthead theme export`` (a theme).

``new`` writes an issue folder that builds at once and shows every key it can use.

The templates below are plain text: an ``issue.yaml`` with a comment for each key, where a line
``#: key`` (``#: epub.key`` in a mapping) stands for the comment made from the key's declaration
in model/schema.py (``reference.commented``; a test checks that every key has one), a
feature article whose front matter holds every article key (commented the same way) and whose
body shows a footnote, a pull quote, a figure and a link to the other article, a short second
article, and two small PNG pictures drawn with Pillow (imported only here, when they are drawn).
``theme export`` copies the built-in default theme. Neither writes anything when the target
folder exists and is not empty.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import unicodedata
from pathlib import Path

import yaml

from masthead.diagnostics import UsageError, one_line
from masthead.manifest import reference
from masthead.runtime import i18n

ISSUE_YAML = """\
# The manifest of one issue of {publication}. `masthead build` on this folder reads it and the
# articles it lists, and writes dist/{folder}.epub and dist/{folder}.pdf (named after the folder).
# `masthead check` reports mistakes without writing anything; `masthead info` shows the issue
# as masthead reads it. Every path is relative to this file and must stay inside the folder.
# Editors that know JSON Schema check this file as you type: see `masthead schema --help`.

#: publication
publication: {publication_yaml}
#: title
title: The First Issue
#: date
date: {date}
#: number
number: 1
#: volume
volume: 1
#: language
language: {language}
#: publisher
publisher: {publication_yaml}
#: rights
rights: {rights_yaml}
#: description
description: >-
  The first issue of {publication}: a welcome from the editors and a note on how this
  issue is made. Replace this text with a line or two that sells the issue.
#: editors
editors:
  - Ann Editor
#: subjects
subjects:
  - Magazines
#: issn
# issn: "NNNN-NNNC"
#: identifier
# identifier: urn:isbn:…
#: cover
# cover: images/cover.jpg
#: cover_lines
# cover_lines:
#   - A welcome from the editors
#: theme
# To change the theme, run `masthead theme export mytheme` in this folder and write `theme: ./mytheme`.
theme: default

#: sections
# An article entry is a path, or a mapping with `file:` and any article key, which then
# overrides what the article itself says (here the second article's kicker).
sections:
  - title: Features
    articles:
      - articles/welcome.md
  - title: Notes
    articles:
      - file: articles/how-it-is-made.md
        kicker: Editor's note
#: articles
#: adverts
# adverts:
#   - image: images/advert.png
#     alt: "What the advert shows and says"
#     advertiser: Its advertiser
#     link: https://example.com/
#     after: how-it-is-made

#: epub
epub:
  #: epub.embed_fonts
  embed_fonts: true
  #: epub.image_max_size
  # image_max_size: 1600
  #: epub.image_quality
  # image_quality: 80
  #: epub.page_list
  page_list: auto
  #: epub.accessibility_summary
  #: epub.certified_by
  #: epub.certifier_credential
  #: epub.certifier_report
#: pdf
pdf:
  #: pdf.page_size
  page_size: A4
  #: pdf.margins
  # margins: 20mm
  #: pdf.bleed
  # bleed: 3mm
  #: pdf.crop_marks
  crop_marks: false
  #: pdf.columns
  columns: 2
  #: pdf.variant
  # variant: pdf/ua-1
  #: pdf.image_quality
  # image_quality: 90
  #: pdf.color
  # color: cmyk
  #: pdf.output_intent
  # output_intent: press/coated.icc
"""

WELCOME_MD = """\
---
# Front matter: the article's keys, in YAML. Only a title is needed (here, in the manifest
# entry, or as the first heading); a key in the manifest entry overrides the same key here.
#: article.title
title: {welcome_title}
#: article.kicker
kicker: From the editors
#: article.standfirst
standfirst: >-
  What this magazine is for, who writes it, and how to make the next issue from this one.
#: article.byline
byline:
  - Ann Editor
  - Ben Writer
#: article.date
date: {date}
#: article.lang
lang: {language}
#: article.dir
dir: {direction}
#: article.image
# Describe the picture in alt for readers who cannot see it. Paths are relative to this file.
image:
  src: ../images/lead.png
  alt: >-
    A flat illustration of a sunrise: a pale yellow sun half above a dark blue horizon, under
    a sky that fades from orange to light blue.
  caption: First light over the first issue.
  credit: Illustration by masthead
#: article.reading_time
reading_time: 2
#: article.summary
summary: A welcome, and a tour of what an article can hold.
#: article.tags
tags:
  - welcome
  - how-to
---

This is the first paragraph of the first article. Write articles in Markdown, like this one, or
in HTML, and list them in `issue.yaml` in the order they should be read. Quotes and dashes become
typographic ones -- "like these" -- in the article's language.

A footnote is a mark in the text[^1] and its note at the end of the article; in the EPUB it pops
up, in the PDF it stands at the foot of the page. A link to another article of the issue, such as
[how this issue is made](how-it-is-made.md#the-files), goes to the right place in both.

::: pullquote
A pull quote repeats a line of the article in large type.
:::

## A figure

A paragraph that holds only an image is a figure; the image's title is its caption.

![A bar chart with five bars rising from left to right, the last one highlighted in orange.](../images/chart.png "Readers of each issue, in a year that has not happened yet.")

Delete these articles, write your own, and run `masthead build` again.

[^1]: This is the note. It can hold *emphasis*, links and more than one sentence.
"""

SECOND_MD = """\
---
title: How this issue is made
byline: Ann Editor
---

Every issue is a folder: `issue.yaml`, the articles and their images.

## The files

`masthead check` reports mistakes where they stand; `masthead build` writes the EPUB and the PDF.
"""


def _refuse_unwritable(what: str, text: str) -> None:
    """Refuse a name that cannot be written into the YAML and Markdown made from it as it is: a
    control character (a bell, a line break) or a Unicode line break, which YAML forbids or takes
    for a new line, or bytes that are no UTF-8 (from the command line, as lone surrogates)."""
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Zl", "Zp") or char in "\ufffe\uffff":
            kind = "bytes that are not UTF-8" if category == "Cs" else f"the control character U+{ord(char):04X}"
            raise UsageError(one_line(f"{what}: '{text}' holds {kind}; give a name without it"))


def _refuse_unless_empty(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target}: already exists and is not empty; give a new folder")


def create(target: Path, language: str = "en", publication: str = "My Magazine",
           today: dt.date | None = None) -> list[Path]:
    """Write a new issue folder at ``target``; the paths written, in order."""
    _refuse_unwritable("the folder", target.resolve().name)  # dist/<folder>.epub is named in issue.yaml
    _refuse_unless_empty(target)
    if not i18n.is_valid_tag(language):
        raise UsageError(one_line(f"--language: '{language}' is not a BCP 47 language tag (like en, en-GB, ar, pt-BR)"))
    _refuse_unwritable("--publication", publication)
    publication = " ".join(publication.split())
    if not publication:
        raise UsageError("--publication: give the magazine's name")
    today = today or dt.date.today()
    values = {
        "folder": target.resolve().name, "publication": publication,
        "publication_yaml": _yaml_scalar(publication),
        "rights_yaml": _yaml_scalar(f"© {today.year} {publication}. All rights reserved."),
        "welcome_title": _yaml_scalar(f"Welcome to {publication}"),
        "date": today.isoformat(), "language": language, "direction": i18n.direction_of(language),
    }
    files = {
        "issue.yaml": reference.commented(ISSUE_YAML.format(**values)).encode("utf-8"),
        "articles/welcome.md": reference.commented(WELCOME_MD.format(**values)).encode("utf-8"),
        "articles/how-it-is-made.md": SECOND_MD.encode("utf-8"),
        "images/lead.png": lead_png(),
        "images/chart.png": chart_png(),
    }
    written = []
    for name, data in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def _is_plain(value: str) -> bool:
    """Whether ``value`` reads back as itself when written unquoted after ``key: ``."""
    try:
        return yaml.safe_load(f"key: {value}\n") == {"key": value} and "#" not in value
    except yaml.YAMLError:
        return False


def _yaml_scalar(value: str) -> str:
    # JSON's double-quoted strings are YAML's too.
    return value if _is_plain(value) else json.dumps(value, ensure_ascii=False)


def _png(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)  # Pillow writes no timestamp: same bytes every time
    return buffer.getvalue()


def lead_png(width: int = 960, height: int = 540) -> bytes:
    """A sunrise: a sky fading from orange to blue, a sun, a dark sea."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = height * 2 // 3
    top, bottom = (120, 170, 220), (245, 160, 90)
    for y in range(horizon):
        t = y / horizon
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    r = height // 6
    draw.ellipse([width // 2 - r, horizon - r, width // 2 + r, horizon + r], fill=(255, 226, 120))
    draw.rectangle([0, horizon, width, height], fill=(24, 42, 78))
    for i, y in enumerate(range(horizon + 12, height, 18)):
        half = r - i * 8
        if half > 4:
            draw.line([(width // 2 - half, y), (width // 2 + half, y)], fill=(200, 170, 110), width=3)
    return _png(image)


def chart_png(width: int = 800, height: int = 450) -> bytes:
    """Five bars rising, the last one orange, on a pale ground with a base line."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (250, 248, 242))
    draw = ImageDraw.Draw(image)
    base, gap = height - 50, width // 6
    for i, value in enumerate((0.25, 0.4, 0.5, 0.7, 0.9)):
        x = gap * (i + 1) - gap // 3
        colour = (230, 120, 40) if i == 4 else (70, 90, 130)
        draw.rectangle([x, base - int(value * (base - 40)), x + gap * 2 // 3, base], fill=colour)
    draw.line([(gap // 2, base), (width - gap // 2, base)], fill=(40, 40, 40), width=3)
    return _png(image)


def export_theme(target: Path, name: str = "default") -> list[Path]:
    """Copy the built-in theme ``name`` to ``target``, named after it; the files written."""
    from masthead.render import theme

    _refuse_unwritable("the folder", target.resolve().name)  # its name is the theme's, in theme.yaml
    _refuse_unless_empty(target)
    source = theme.builtin_root() / name
    text = (source / "theme.yaml").read_text("utf-8")
    text = text.replace("# The built-in theme.", f"# A copy of masthead's built-in '{name}' theme.", 1)
    text = re.sub(r"(?m)^name:.*$", lambda _: f"name: {_yaml_scalar(target.resolve().name)}", text, count=1)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"),
                    dirs_exist_ok=True)
    (target / "theme.yaml").write_text(text, encoding="utf-8")
    return sorted(p for p in target.rglob("*") if p.is_file())
