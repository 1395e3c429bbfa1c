"""One way to parse XML (safexml.py): it resolves and fetches nothing, and no module builds its own parser."""

import ast

import pytest
from lxml import etree

from helpers import ROOT
from masthead.runtime import safexml


def test_an_entity_is_not_expanded_and_an_external_one_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    bomb = ('<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            f'<!ENTITY s SYSTEM "file://{secret}">]><r>&b;&s;</r>').encode()
    root = safexml.parse(bomb)
    assert "aaaa" not in "".join(root.itertext()) and "SECRET" not in etree.tostring(root, encoding="unicode")


def test_a_malformed_document_is_an_error_not_recovered():
    with pytest.raises(etree.XMLSyntaxError):
        safexml.parse(b"<r><p>unclosed</r>")


def test_no_module_builds_an_xml_parser_of_its_own():
    own = []
    for path in sorted((ROOT / "src" / "masthead").rglob("*.py")):
        if path.name == "safexml.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "XMLParser":
                own.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert own == []
