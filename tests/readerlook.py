"""An EPUB document as a reading app shows it, measured in headless Chromium.

Reading apps (epub.js, Readium, Foliate) apply a night or sepia theme by overriding the body's
colour and background and nothing else, and a larger type by the body's font size. ``look``
does the same to a copy of one XHTML document of an unpacked EPUB (beside it, so its
stylesheets and fonts load), then measures in the page what a reader sees: each visible text's
colour against what is behind it (the contrast WCAG defines), what is wider than the screen,
and whatever else the caller's script returns. ``shoot`` takes a screenshot the same way.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

THEMES = {
    "default": None,
    "sepia": ("#5b4636", "#f4ecd8"),
    "night": ("#e0e0e0", "#121212"),
}

# Runs in the page: the lowest contrast of every element that shows text of its own, and what
# overflows the screen. Colours are composited with the opacity of the element and its
# ancestors over the first background behind them (the canvas takes the body's, as in CSS).
MEASURE = r"""
function rgba(s) { const m = s.match(/[\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; }
function lum(c) { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); }
function over(top, under, a) { return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)); }
function backdrop(el) {
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0) return c;
  }
  const body = rgba(getComputedStyle(document.body).backgroundColor);
  return body[3] > 0 ? body : [255, 255, 255, 1];
}
function opacity(el) { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; }
const texts = [];
const width = document.documentElement.clientWidth;
const wide = [];
for (const el of document.body.querySelectorAll('*')) {
  const rect = el.getBoundingClientRect();
  const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim()).map(n => n.textContent.trim()).join(' ');
  const style = getComputedStyle(el);
  // paged: each page is a column `pitch` wide with a 20 px margin either side; a fragmented
  // element has one box per page
  const paged = typeof pitch !== 'undefined';
  for (const box of (paged ? [...el.getClientRects()] : [rect])) {
    const limit = paged ? (Math.floor((box.left + 1) / pitch) + 1) * pitch - 20 : width;
    if (!(box.width > 0 && box.right > limit + 1)) continue;
    let scrolled = false;
    for (let e = el.parentElement; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && e.getBoundingClientRect().right <= limit + 1) scrolled = true;
    }
    if (!scrolled) wide.push({tag: el.localName, cls: String(el.className.baseVal ?? el.className), right: box.right, limit: limit});
    break;
  }
  if (!own || style.visibility === 'hidden' || style.display === 'none' || !el.getClientRects().length) continue;
  const bg = backdrop(el);
  const fg = rgba(style.color);
  const shown = over(fg, bg, fg[3] * opacity(el));
  const a = lum(shown), b = lum(bg);
  const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
  texts.push({tag: el.localName, cls: String(el.className.baseVal ?? el.className), text: own.slice(0, 40),
              ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), large: size >= 24 || (bold && size >= 18.66),
              color: style.color, opacity: opacity(el), size: size});
}
const result = {texts: texts, wide: wide, extra: (typeof extra === 'function') ? extra() : null,
                pages: (typeof pages === 'function') ? pages() : null,
                stranded: (typeof introducers === 'function') ? introducers() : null};
"""


PAGED = r"""
const pitch = document.documentElement.clientWidth;
function page(rect, x) { return Math.floor((x === undefined ? rect.left : x) / pitch); }
function introducers() {
  const out = [];
  const after = el => { let n = el; while (n && !n.nextElementSibling) n = n.parentElement; return n && n.nextElementSibling; };
  for (const el of document.querySelectorAll('h1, h2, h3, h4, h5, h6, dt, .more-from-title, thead')) {
    let next = el.localName === 'thead' ? el.parentElement.querySelector('tbody tr') : after(el);
    while (next && !next.getClientRects().length) next = after(next);
    if (!next || !el.getClientRects().length) continue;
    const mine = [...el.getClientRects()].pop(), theirs = next.getClientRects()[0];
    if (page(mine, mine.left + 1) !== page(theirs, theirs.left + 1))
      out.push({tag: el.localName, cls: String(el.className), text: el.textContent.trim().slice(0, 40), page: page(mine)});
  }
  return out;
}
function pages() { return Math.round(document.documentElement.scrollWidth / pitch); }
"""


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("chromium is not installed")
    return path


# Paginated as epub.js does it: the root element laid out in columns one screen wide.
def paged_css(width: int, height: int, margin: int = 20) -> str:
    return (f"html {{ height: {height}px !important; overflow: hidden; column-fill: auto; column-gap: {2 * margin}px;"
            f" column-width: {width - 2 * margin}px; padding: 0 {margin}px !important; margin: 0 !important; }}"
            " body { margin: 0 !important; padding: 0 !important; }")


def _copy_with(document: Path, theme: str, font: str, script: str | None, paged: tuple[int, int] | None = None) -> Path:
    source = document.read_text("utf-8")
    css = [paged_css(*paged)] if paged else []
    if THEMES[theme]:
        color, background = THEMES[theme]
        css.append(f"body {{ color: {color} !important; background: {background} !important; }}")
    if font != "100%":
        css.append(f"body {{ font-size: {font} !important; }}")
    inject = f'<style type="text/css">{" ".join(css)}</style>' if css else ""
    if script is not None:
        body = script + "\n" + MEASURE + "\nparent.postMessage(JSON.stringify(result), '*');"
        inject += "<script type=\"text/javascript\">//<![CDATA[\nwindow.addEventListener('load', () => document.fonts.ready.then(() => {"
        inject += body.replace("]]>", "]] >") + "}));\n//]]></script>"
    source = source.replace("</head>", inject + "</head>", 1)
    copy = document.with_name(f"readerlook-{theme}-{font.rstrip('%')}-{document.name}")
    copy.write_text(source, "utf-8")
    return copy


def _run(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               "--allow-file-access-from-files", f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120)


def look(document: Path, *, theme: str = "default", font: str = "100%", width: int = 390, height: int = 844,
         script: str = "", paged: bool = False) -> dict:
    """Measures ``document`` as shown at ``width``×``height`` in ``theme`` at ``font`` type:
    {"texts": [{tag, cls, text, ratio, large, color, opacity, size}], "wide": [...], "extra": ...};
    ``script`` may define ``function extra()`` whose value comes back as "extra". ``paged``
    lays the document out in columns one screen wide, as epub.js pages it; "extra" then
    also has "pages" and "stranded": what introduces the next thing yet ends a page without it."""
    # Headless Chromium's window is at least 500 px wide: the document is shown in a frame of
    # the reader's size, and its measurements come back by message.
    copy = _copy_with(document, theme, font, (PAGED + script) if paged else script, (width, height) if paged else None)
    frame = document.with_name(f"readerlook-frame-{document.stem}.html")
    frame.write_text(
        "<!DOCTYPE html><html><body style='margin:0'>"
        f"<iframe src='{copy.name}' width='{width}' height='{height}' style='border:0'></iframe><script>"
        "addEventListener('message', e => { const p = document.createElement('pre'); p.id = 'readerlook';"
        " p.textContent = e.data; document.body.appendChild(p); });</script></body></html>", "utf-8")
    try:
        dom = _run("--virtual-time-budget=5000", "--window-size=900,900", "--dump-dom", frame.as_uri()).stdout
    finally:
        copy.unlink()
        frame.unlink()
    found = re.search(r'<pre id="readerlook"[^>]*>(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


def shoot(document: Path, png: Path, *, theme: str = "default", font: str = "100%", width: int = 390,
          height: int = 844, paged: bool = False) -> Path:
    """A screenshot of ``document`` (its first ``height`` pixels) as :func:`look` shows it."""
    copy = _copy_with(document, theme, font, None, (width, height) if paged else None)
    frame = document.with_name(f"readerlook-frame-{document.stem}.html")
    frame.write_text("<!DOCTYPE html><html><body style='margin:0'>"
                     f"<iframe src='{copy.name}' width='{width}' height='{height}' style='border:0'></iframe></body></html>",
                     "utf-8")
    try:
        _run("--virtual-time-budget=5000", f"--window-size={max(width, 500)},{height}", f"--screenshot={png}",
             frame.as_uri())
    finally:
        copy.unlink()
        frame.unlink()
    from PIL import Image
    with Image.open(png) as image:
        image.crop((0, 0, width, height)).save(png)
    return png


def contrast(a: str, b: str) -> float:
    """WCAG contrast of two #rrggbb colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    x, y = sorted((luminance(a), luminance(b)), reverse=True)
    return (x + 0.05) / (y + 0.05)


if __name__ == "__main__":  # python tests/readerlook.py BOOK.epub: pages, stranded, too wide, lowest contrast
    import sys
    import zipfile

    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(sys.argv[1]) as book:
        book.extractall(folder)
        documents = [f for f in sorted(Path(folder).rglob("*.xhtml")) if f.name != "nav.xhtml"]
        for font in ("100%", "200%"):
            looks = [look(f, font=font, paged=True) for f in documents]
            print(f"phone 390x844 at {font}: {sum(r['pages'] for r in looks)} pages, "
                  f"{sum(len(r['stranded']) for r in looks)} stranded, {sum(len(r['wide']) for r in looks)} too wide")
        for theme in THEMES:
            texts = [t for f in documents for t in look(f, theme=theme)["texts"]]
            small = min(t["ratio"] for t in texts if not t["large"])
            large = min((t["ratio"] for t in texts if t["large"]), default=21)
            print(f"{theme}: lowest contrast {small:.2f} (text), {large:.2f} (large text)")
