"""The print edition for a press (``pdf: color: cmyk``): its resources in the output intent's CMYK.

- Stylesheets: every colour a declaration of a stylesheet the PDF reads names (``#d13b2b``,
  ``rgb()``, ``hsl()``, a named colour) becomes ``device-cmyk()``, which WeasyPrint writes as
  DeviceCMYK operators (``k``/``K``). Chromatic colours go through the output intent (LittleCMS,
  relative colorimetric with black point compensation); a neutral grey or black goes to the
  black ink alone, as prepress does for text and rules (a rich black of four inks misregisters
  at text sizes and exceeds no ink limit only by luck). The EPUB and the web edition keep the
  stylesheets as written: a stylesheet both read is split.
- Images: converted by :func:`masthead.content.images.separated_cached`; an SVG picture's
  colours as the stylesheets' (:func:`cmyk_svg`).
- The profile itself, ``output-intent.icc``, which the print document's ``@color-profile
  device-cmyk`` rule names (:func:`masthead.render.printdoc.page_css`): WeasyPrint makes it the
  PDF/X OutputIntent's DestOutputProfile.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from masthead.content import images
from masthead.diagnostics import Position, Report
from masthead.model.documents import PDF, Resource
from masthead.model.issue import IssueMeta
from masthead.runtime import confine, icc
from masthead.runtime.cache import Cache

PROFILE_NAME = "output-intent.icc"
_CONVERTED = ("text/css", "image/jpeg", "image/png", "image/gif", "image/svg+xml")
# (Not stop-color: WeasyPrint 70 takes a gradient's first three values of each stop, and a CSS
# gradient of device-cmyk() colours fails; stops stay sRGB, and layout/pdf.py converts each
# gradient's colours to CMYK as the PDF is written.)
_SVG_PAINT = ("fill", "stroke", "flood-color", "lighting-color", "color")
_NEUTRAL = 1 / 255  # channels this close count as a grey: black ink alone


def profile_bytes(meta: IssueMeta) -> bytes:
    """The output intent: the manifest's (checked by the loader), else the bundled one."""
    path = meta.pdf.output_intent
    return icc.bundled() if path is None else confine.read_input(path, icc.PROFILE_LIMIT)


def separate(resources: list[Resource], meta: IssueMeta, report: Report, store: Cache) -> list[Resource]:
    """``resources`` with every one the PDF reads in CMYK, and the profile added (PDF only)."""
    try:
        profile = profile_bytes(meta)
    except OSError as exc:
        report.error(Position(meta.manifest_path), f"output_intent: cannot read it: {exc}")
        return resources
    to_cmyk = cmyk_converter(profile)
    out: list[Resource] = []
    for resource in resources:
        if "pdf" not in resource.targets or resource.media_type not in _CONVERTED:
            out.append(resource)
            continue
        if resource.targets != PDF:  # the other outputs keep it as it was
            out.append(resource._replace(targets=resource.targets - PDF))
        if resource.media_type == "text/css":
            css = cmyk_css(resource.data.decode("utf-8"), to_cmyk)
            out.append(resource._replace(data=css.encode("utf-8"), targets=PDF))
            continue
        if resource.media_type == "image/svg+xml":
            out.append(resource._replace(data=cmyk_svg(resource.data, to_cmyk), targets=PDF))
            continue
        try:
            data, media_type = images.separated_cached(resource.data, profile, meta.pdf.image_quality, store=store)
        except images.ImageError as exc:
            report.error(Position(meta.manifest_path), f"'{resource.name}': {exc}")
            continue
        out.append(Resource(resource.name, media_type, data, PDF))
    out.append(Resource(PROFILE_NAME, "application/vnd.iccprofile", profile, PDF))
    return out


def cmyk_converter(profile: bytes) -> Callable[[float, float, float], tuple[float, float, float, float]]:
    """sRGB (0-1 each) → CMYK (0-1 each) through ``profile``; greys to black ink alone."""
    from PIL import Image, ImageCms

    transform = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(profile)), "RGB", "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
    known: dict[tuple[int, int, int], tuple[float, float, float, float]] = {}

    def convert(red: float, green: float, blue: float) -> tuple[float, float, float, float]:
        r, g, b = (max(0, min(255, round(channel * 255))) for channel in (red, green, blue))
        if (r, g, b) not in known:
            if max(r, g, b) - min(r, g, b) <= _NEUTRAL * 255:
                known[r, g, b] = (0.0, 0.0, 0.0, round(1 - (r + g + b) / 3 / 255, 3))
            else:
                converted = ImageCms.applyTransform(Image.new("RGB", (1, 1), (r, g, b)), transform)
                assert converted is not None  # (None only when converting in place)
                c, m, y, k = converted.getpixel((0, 0))  # type: ignore[misc]
                known[r, g, b] = (round(c / 255, 3), round(m / 255, 3), round(y / 255, 3), round(k / 255, 3))
        return known[r, g, b]
    return convert


def cmyk_css(css: str, to_cmyk: Callable[[float, float, float], tuple[float, float, float, float]]) -> str:
    """``css`` with each colour of its declarations as ``device-cmyk()``; the rest as it was
    (tinycss2 serializes what it parsed, selectors and comments included)."""
    import tinycss2

    rules = tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=False)
    return "".join(_rule(rule, to_cmyk) for rule in rules)


_RULE_LISTS = {"media", "supports", "layer", "container", "document", "scope", "starting-style"}


def _rule(rule, to_cmyk) -> str:
    import tinycss2

    if rule.type == "qualified-rule":
        return tinycss2.serialize(rule.prelude) + "{" + _block(rule.content, to_cmyk) + "}"
    if rule.type == "at-rule" and rule.content is not None:
        if rule.lower_at_keyword in _RULE_LISTS:
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=False, skip_whitespace=False)
            body = "".join(_rule(r, to_cmyk) for r in inner)
        elif rule.lower_at_keyword in ("font-face", "color-profile", "counter-style", "property"):
            body = tinycss2.serialize(rule.content)
        else:  # @page and its margin boxes, @footnote
            body = _block(rule.content, to_cmyk)
        return "@" + rule.at_keyword + tinycss2.serialize(rule.prelude) + "{" + body + "}"
    return rule.serialize()


def _block(tokens, to_cmyk) -> str:
    """A block's declarations, and rules nested in it, colours converted."""
    import tinycss2

    out = []
    for item in tinycss2.parse_blocks_contents(tokens, skip_comments=False, skip_whitespace=False):
        if item.type == "declaration":
            value = tinycss2.serialize(item.value if item.lower_name in _WORDS else _values(item.value, to_cmyk))
            out.append(f"{item.name}:{value}{' !important' if item.important else ''};")
        elif item.type in ("qualified-rule", "at-rule"):
            out.append(_rule(item, to_cmyk))
        else:
            out.append(item.serialize())
    return "".join(out)


# Properties whose words are names or text, never colours ("font-family: Tomato" is a font).
_WORDS = frozenset({"font", "font-family", "content", "string-set", "bookmark-label", "quotes", "list-style-type",
                    "counter-reset", "counter-increment", "counter-set", "animation", "animation-name", "page",
                    "grid-area", "grid-template-areas", "font-feature-settings", "font-variant"})


def _values(tokens, to_cmyk) -> list:
    import tinycss2
    from tinycss2.color4 import parse_color

    out = []
    for token in tokens:
        if token.type in ("hash", "ident", "function"):
            if token.type == "function" and token.lower_name not in ("rgb", "rgba", "hsl", "hsla", "hwb", "color"):
                if not token.lower_name.endswith("gradient"):  # sRGB stops: see _SVG_PAINT
                    token.arguments = _values(token.arguments, to_cmyk)  # var() fallbacks
                out.append(token)
                continue
            color = parse_color(token)
            if color is not None and color != "currentcolor" and (token.type != "ident"
                                                                 or token.lower_value != "transparent"):
                red, green, blue = color.to("srgb").coordinates
                cyan, magenta, yellow, black = to_cmyk(red, green, blue)
                alpha = "" if color.alpha >= 1 else f" / {color.alpha:g}"
                out.append(tinycss2.parse_one_component_value(
                    f"device-cmyk({cyan:g} {magenta:g} {yellow:g} {black:g}{alpha})"))
                continue
        out.append(token)
    return out


def cmyk_svg(data: bytes, to_cmyk: Callable[[float, float, float], tuple[float, float, float, float]]) -> bytes:
    """A (cleaned) SVG picture with its colours as ``device-cmyk()``, which WeasyPrint's SVG
    renderer takes as CSS Color 5 does: paint attributes, ``style`` attributes, ``<style>``
    sheets; and black ink for what SVG fills black when nothing says otherwise."""
    import tinycss2
    from lxml import etree

    from masthead.runtime import safexml

    root = safexml.parse(data)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in _SVG_PAINT:
            value = element.get(name)
            if value:
                element.set(name, tinycss2.serialize(_values(tinycss2.parse_component_value_list(value), to_cmyk)))
        style = element.get("style")
        if style:
            element.set("style", _block(tinycss2.parse_component_value_list(style), to_cmyk))
        if safexml.local_name(element) == "style" and element.text:
            element.text = cmyk_css(element.text, to_cmyk)
    if root.get("fill") is None:
        root.set("fill", "device-cmyk(0 0 0 1)")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def page_rules() -> str:
    """The print document's rules of a CMYK job: the output intent, and the colours WeasyPrint's
    own stylesheet gives (black text, blue links, grey rules and table borders, a yellow mark)
    in CMYK, of no specificity (``:where``) so that any rule of the theme's wins."""
    return (f'@color-profile device-cmyk {{ src: url({PROFILE_NAME}); components: cyan, magenta, yellow, black; }}\n'
            ":where(html) { color: device-cmyk(0 0 0 1); }\n"
            ":where(:link) { color: device-cmyk(1 0.7 0 0); }\n"
            ":where(mark) { background: device-cmyk(0 0 1 0); color: device-cmyk(0 0 0 1); }\n"
            ":where(table, td, th) { border-color: device-cmyk(0 0 0 0.5); }\n"
            ":where(hr) { color: device-cmyk(0 0 0 0.5); }\n")
