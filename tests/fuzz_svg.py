"""Coverage-guided fuzzing of the SVG sanitiser and its size checks (atheris): `make fuzz`.

Each input is read by atheris' FuzzedDataProvider as a tree of SVG elements, chosen from
tags, attributes and values that reach out, run, loop or blow up (<use>, href, style, url()
in its cases and escapes, animations, huge numbers), with the provider's free text mixed in.
images.probe and images.clean_svg must either refuse it with an ImageError whose message is
one line, or give an SVG in which nothing could run or be fetched; anything else is a crash
libFuzzer reports with the input. Run it for a minute after changing svg.py.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports():
    from lxml import etree

    from masthead.content import images, svg

TAGS = ["g", "use", "rect", "path", "pattern", "marker", "mask", "clipPath", "a", "set", "animate", "animateMotion",
        "text", "tspan", "script", "image", "feImage", "linearGradient", "symbol", "foreignObject", "style", "svg"]
KEYS = ["fill", "stroke", "mask", "clip-path", "filter", "marker-mid", "marker", "style", "width", "height", "x", "d",
        "points", "transform", "viewBox", "href", f"{{{svg.XLINK}}}href", "onload", "id", "attributeName", "to", "values",
        "{http://www.w3.org/XML/1998/namespace}base", "font-size"]
FORMS = ["url({})", "URL({})", "u\\72l({})", "url('{}')", "Url( \"{}\" )", "src({})", "image-set('{}' 1x)", "u\\RL({})",
         "fill: {}", "{}"]
TARGETS = ["#a", "#b", "#c", "http://127.0.0.1:9/x.svg#a", "javascript:alert(1)", "file:///etc/hostname", "//127.0.0.1:9/y",
           " #a", "data:,x"]
NUMBERS = ["1", "10px", "1e400", "-1e12", "inf", "NaN", "0 0 10 10", "#1e9999", "M0 0L1e3 1", "1_0e999", "1e-300"]
IDS = ["a", "b", "c", "1", "a:b"]


def _element(fdp: atheris.FuzzedDataProvider, depth: int):
    element = etree.Element(f"{{{svg.SVG}}}{fdp.PickValueInList(TAGS)}")
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        key = fdp.PickValueInList(KEYS)
        kind = fdp.ConsumeIntInRange(0, 3)
        if kind == 0:
            value = fdp.PickValueInList(FORMS).format(fdp.PickValueInList(TARGETS))
        elif kind == 1:
            value = fdp.PickValueInList(NUMBERS)
        elif kind == 2:
            value = fdp.PickValueInList(IDS if key == "id" else TARGETS)
        else:
            value = fdp.ConsumeUnicodeNoSurrogates(24)
        with contextlib.suppress(ValueError):  # a character XML cannot carry
            element.set(key, value)
    if depth < 4:
        for _ in range(fdp.ConsumeIntInRange(0, 3)):
            element.append(_element(fdp, depth + 1))
    return element


def _reaches_out(cleaned: bytes) -> list[str]:
    from test_svg import (
        references_out,  # the tests' own reading of what could run or reach out
    )

    return references_out(cleaned, svg.DROPPED)


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    root = etree.Element(f"{{{svg.SVG}}}svg", nsmap={None: svg.SVG, "xlink": svg.XLINK})
    for _ in range(fdp.ConsumeIntInRange(0, 5)):
        root.append(_element(fdp, 1))
    source = etree.tostring(root)
    try:
        images.probe(source)
        cleaned = images.clean_svg(source)
    except images.ImageError as exc:
        if "\n" in str(exc):
            raise AssertionError(f"a message of more than one line: {exc!r}") from None
        return
    found = _reaches_out(cleaned)
    if found:
        raise AssertionError(f"left in the SVG: {found}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
