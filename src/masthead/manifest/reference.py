"""What the schema's declarations give people: the README's reference tables, the comments of
``masthead new``'s ``issue.yaml``, and a JSON Schema of ``issue.yaml`` for editors.

Each function takes the schema (masthead's, :data:`~masthead.model.schema.SCHEMA`, unless a
test gives a copy with a key added), so nothing here names a key.

    python -m masthead.manifest.reference README.md    # rewrite the README's tables in place
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import Any

from masthead.model import schema
from masthead.model.schema import Key, Schema

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# The README's generated regions: <!-- begin schema:NAME … --> table <!-- end schema:NAME -->
_REGION = re.compile(r"(<!-- begin schema:(\w+)[^>]*-->\n)(.*?)(<!-- end schema:\2 -->)", re.S)
_SCALARS = ["string", "number", "boolean"]  # YAML plain scalars a text key takes as their text


def _current(s: Schema | None) -> Schema:
    return schema.SCHEMA if s is None else s


# ---------------------------------------------------------------------------- words


def _literal(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def label(key: Key) -> str:
    """The type of a key's value, in words (Markdown)."""
    kinds = {
        "text": "string", "texts": "list of strings", "boolean": "`true` or `false`",
        "date": f"`YYYY-MM-DD`, {schema.FIRST_DATE.year} to {schema.LAST_DATE.year}",
        "language": "BCP 47 tag", "path": "path", "mapping": "mapping", "sections": "list of sections",
        "articles": "list of article entries", "image": "path or mapping", "roles": "mapping",
        "translations": "mapping of BCP 47 tags to paths", "adverts": "list of adverts",
        "integer": f"integer, {key.minimum:,} to {key.maximum:,}" if key.minimum is not None and key.maximum is not None
        else "integer",
    }
    choices = [f"`{_literal(c)}`" for c in key.choices]
    if key.kind == "choice" and not key.label:
        text = _either(choices) if len(choices) < 6 else f"one of {', '.join(choices)}"
    else:
        text = key.label or kinds[key.kind]
        if choices:
            text += f": {', '.join(choices)}" + (" or two lengths" if key.pattern else "")
    return text + (", required" if key.required else "")


def default(key: Key) -> str:
    """A key's default, in words (Markdown); empty when there is none."""
    if key.default is not None and key.default != ():
        return f"`{_literal(key.default)}`"
    return key.default_doc or ""


def _aliases(s: Schema, table: str, key: Key) -> list[str]:
    return [k.name for k in s.keys(table) if k.alias_of == key.name]


# ---------------------------------------------------------------------------- README


def markdown_table(table: str, s: Schema | None = None) -> str:
    """The reference table of one table's keys: key, type, default, meaning."""
    s = _current(s)
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key in s.keys(table):
        if key.alias_of:
            continue
        name = f"`{key.name}`" + "".join(f" (alias `{alias}`)" for alias in _aliases(s, table, key))
        rows.append(f"| {name} | {label(key)} | {default(key)} | {key.doc} |".replace("|  |", "| |"))
    shared = s.table(table).shares
    if shared:
        rows.append(f"| {', '.join(f'`{name}`' for name in shared)} | as in `{s.table(s.root).what}` | | "
                    "every issue of the publication inherits them and may override them (`epub:` and `pdf:` key by key) |")
    return "\n".join(rows) + "\n"


# The README's regions and the table each shows: issue.yaml, its epub: and pdf: options, the
# article keys (a manifest entry's: with file), and a lead image's.
README_TABLES = {"issue": "issue", "epub": "epub", "pdf": "pdf", "article": "entry", "image": "image",
                 "advert": "advert", "publication": "publication"}


def update_readme(text: str, s: Schema | None = None) -> str:
    """``text`` (the README) with each generated region holding what the schema gives now."""
    def region(match: re.Match[str]) -> str:
        return match.group(1) + markdown_table(README_TABLES[match.group(2)], s) + match.group(4)

    return _REGION.sub(region, text)


def readme_regions(text: str) -> dict[str, str]:
    """The generated regions of ``text``, by name: what a test compares."""
    return {match.group(2): match.group(3) for match in _REGION.finditer(text)}


# ---------------------------------------------------------------------------- issue.yaml comments


def yaml_comment(table: str, name: str, indent: str = "", width: int = 100, s: Schema | None = None) -> str:
    """The comment ``masthead new`` writes above a key: its type, default and meaning."""
    s = _current(s)
    key = s.key(table, name)
    aliases = "".join(f", or its alias {alias}" for alias in _aliases(s, table, key))
    head = f"{key.name} ({label(key).replace('`', '')}{aliases}" + (f"; default: {default(key).replace('`', '')}" if default(key) else "")
    lines = textwrap.wrap(f"{head}): {key.doc}.", width - len(indent) - 2, break_on_hyphens=False)
    return "\n".join(f"{indent}# {line}" for line in lines)


def commented(text: str, s: Schema | None = None) -> str:
    """``text`` with each line ``#: key`` (or ``#: table.key``) made the key's comment."""
    def comment(match: re.Match[str]) -> str:
        table, _, name = match.group(2).rpartition(".")
        return yaml_comment(table or _current(s).root, name, match.group(1), s=s)

    return re.sub(r"(?m)^([ \t]*)#: ([\w.]+)$", comment, text)


# ---------------------------------------------------------------------------- JSON Schema


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


_MONTH_DAY = "(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"  # a day that may be (30 February: only check knows)
_TIME = r"(?:[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?)"


def _years() -> str:
    first, last = schema.FIRST_DATE.year, schema.LAST_DATE.year
    assert first % 100 == 0 and last % 100 == 99, "a range of whole centuries"
    return f"(?:{'|'.join(str(c) for c in range(first // 100, last // 100 + 1))})[0-9]{{2}}"


def _text(key: Key) -> dict[str, Any]:
    shapes = [(_any_case if key.ignore_case else re.escape)(str(c)) for c in key.choices]
    shapes += [key.pattern] if key.pattern else []
    # A key with a shape (an ISSN, a length, a choice) takes text only: a pattern would let a
    # number or a boolean through, which masthead refuses.
    kinds = ["string"] if shapes else _SCALARS
    out: dict[str, Any] = {"type": kinds + ([] if key.required else ["null"]),
                           "maxLength": schema.MAX_TEXT if key.long else schema.MAX_LINE}
    if shapes:
        out["pattern"] = f"^(?:{'|'.join(shapes)})$"
    elif key.required:
        out["pattern"] = r"\S"
    return out


def _value(s: Schema, key: Key) -> dict[str, Any]:
    ref = f"#/$defs/{key.table}"
    out: dict[str, Any]
    if key.kind == "text" or (key.kind == "choice" and key.ignore_case):
        out = _text(key)
    elif key.kind == "texts":
        item = _text(key)
        out = {"type": item["type"] + ["array"], "maxLength": item["maxLength"],
               "items": {"type": [*_SCALARS, "null"], "maxLength": item["maxLength"]}}  # masthead skips a null
    elif key.kind == "integer":  # masthead takes "12" too; the range is checked on numbers only
        out = {"anyOf": [{"type": "integer", "minimum": key.minimum, "maximum": key.maximum},
                         {"type": "string", "pattern": "^[0-9]+$"}]}
    elif key.kind == "boolean":
        out = {"type": "boolean"}
    elif key.kind == "date":
        out = {"type": "string", "pattern": f"^{_years()}-{_MONTH_DAY}{_TIME}?$"}
    elif key.kind == "language":
        out = {"type": ["string"] + ([] if key.required else ["null"]), "pattern": f"^{schema.LANGUAGE_TAG}$"}
    elif key.kind == "path":
        out = {"type": ["string"] + ([] if key.required else ["null"])}  # "" is no file, as masthead reads it
        if key.required:
            out["minLength"] = 1
    elif key.kind == "choice":
        out = {"enum": list(key.choices)}
    elif key.kind == "mapping":
        out = {"$ref": ref}
    elif key.kind == "sections":
        out = {"type": "array", "minItems": 1, "items": {"$ref": ref}}
    elif key.kind == "adverts":
        out = {"type": "array", "items": {"$ref": ref}}
    elif key.kind == "articles":
        out = {"type": "array", "minItems": 1, "items": {"anyOf": [{"type": "string", "minLength": 1}, {"$ref": ref}]}}
    elif key.kind == "image":
        out = {"anyOf": [{"type": "string"}, {"$ref": ref}]}  # "": no image, as masthead reads it
    elif key.kind == "roles":  # a name (a style's) → one of the choices
        out = {"type": ["object", "null"], "additionalProperties": {"enum": list(key.choices)}}
    elif key.kind == "translations":
        out = {"type": "object", "minProperties": 1, "propertyNames": {"pattern": f"^{schema.LANGUAGE_TAG}$"},
               "additionalProperties": {"type": "string", "minLength": 1}}
    else:
        raise ValueError(f"no JSON Schema for the kind '{key.kind}' of '{key.name}'")
    description = key.doc + (f" (default: {default(key).replace('`', '')})" if default(key) else "")
    out = {"description": description, **out}
    if key.default is not None and key.default != () and key.kind != "mapping":
        out["default"] = key.default
    return out


def _object(s: Schema, table: str) -> dict[str, Any]:
    keys = s.keys(table) + tuple(s.key(s.root, name) for name in s.table(table).shares)
    out: dict[str, Any] = {"type": "object", "properties": {k.name: _value(s, k) for k in keys},
                           "additionalProperties": False}
    # an issue.yaml beside a publication.yaml may leave out what it inherits (its publication, its language)
    inherited = {name for t in s.tables for name in t.shares} if table == s.root else set()
    required = [k.name for k in s.keys(table) if k.required and k.name not in inherited]
    if required:
        out["required"] = required
    groups = s.table(table).one_of
    if groups:
        out["allOf"] = [{"oneOf": [{"required": [name]} for name in group]} for group in groups]
    return out


def json_schema(s: Schema | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of issue.yaml, as YAML editors read it."""
    s = _current(s)
    out: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "masthead issue.yaml",
        "description": "The manifest of one issue of a magazine, for masthead (made by `masthead schema`).",
    }
    out.update(_object(s, s.root))
    out["$defs"] = {t.name: _object(s, t.name) for t in s.tables if t.name != s.root}
    return out


def main(argv: list[str]) -> int:
    """Rewrite the generated regions of the files named (the README)."""
    for name in argv:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        new = update_readme(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: tables rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
