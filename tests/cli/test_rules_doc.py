"""rules/README.md is generated from the rule files and is up to date."""

from __future__ import annotations

from service.cli.rules_doc import render
from service.rulebook.book import Rulebook
from tests.helpers import ROOT

README = ROOT / "rules" / "README.md"


def test_rules_readme_is_current(book: Rulebook) -> None:
    """The committed rules/README.md equals what `python -m service rules-doc` prints."""
    assert README.read_text(encoding="utf-8") == render(book)


def test_every_definition_is_documented(book: Rulebook) -> None:
    """Each definition has a row, with its meaning."""
    text = render(book)
    assert len(book.definitions) > 100
    for name, definition in book.definitions.items():
        assert f"| `{name}` | {definition['kind']} | {definition['description']}" in text
