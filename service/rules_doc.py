"""Render rules/README.md from the rulebook, so the documentation of every definition never drifts."""

from __future__ import annotations

from typing import Any

from service.kleene import render as render_logic
from service.rulebook import Rulebook

INTRO = """# Rules

Generated from the rule files by `python -m service rules-doc > rules/README.md`; a test fails when it is stale.

- `trials/NCT*.json`: one document per trial (schema `schema/trial.schema.json`): metadata and criteria. Each
  criterion has a stable id, a kind, the source numbering, its text as written, and either JsonLogic over named
  definitions or a `review` reason. `reviewWhen` turns a computed result a person must confirm into `review`
  (`either`: met or not-met), except where `reviewUnless` holds.
  An inclusion's logic is true when it is met; an exclusion's logic is true when the patient has the excluding
  condition (so `met` excludes).
- `library/definitions.json`: the shared, CQL-like definitions (schema `schema/definitions.schema.json`).
- `valuesets/*.json`: value sets of codes (schema `schema/valuesets.schema.json`), each with its source.

Missing or stale measurements are unknown (with the reason); a history question (any record of X?) with no
record is answered "no", and the evidence says what was searched. Value sets match codes exactly, ICD-10-CM
by category prefix (with or without the dot), and drugs also by ingredient name when a record has no standard
code. SNOMED CT subsumption is not computed: a concept must be listed to match.
"""


def _window(definition: dict[str, Any]) -> str:
    days = definition.get("lookbackDays")
    return "—" if days is None else f"{days} d" + (" (onset)" if definition.get("windowBy") == "onset" else "")


def render(book: Rulebook) -> str:
    """Return the Markdown documentation of the rulebook."""
    lines = [INTRO, "## Trials", "", "| trial | criteria | inclusion | exclusion | computable | review |", "|---|---|---|---|---|---|"]
    for trial in book.trials.values():
        counts = trial.counts()
        lines.append(f"| {trial.id} | {len(trial.criteria)} | {counts['inclusion']} | {counts['exclusion']} | {counts['computable']} | {counts['review']} |")
    for trial in book.trials.values():
        lines += ["", f"### {trial.id}: why the review criteria are review", ""]
        for criterion in trial.criteria:
            if criterion.formula is None:
                lines.append(f"- `{criterion.id}`: {criterion.review}")
            elif criterion.review_when:
                when = "`met` or `not-met`" if criterion.review_when == "either" else f"`{criterion.review_when}`"
                unless = f" unless {render_logic(criterion.review_unless.logic)}" if criterion.review_unless else ""
                lines.append(f"- `{criterion.id}` (computed; {when} becomes review{unless}): {criterion.review_reason}")
    lines += ["", "## Definitions", "", "| name | kind | meaning | lookback | unit | value set |", "|---|---|---|---|---|---|"]
    for name, definition in sorted(book.definitions.items()):
        lines.append(
            f"| `{name}` | {definition['kind']} | {definition['description']} | {_window(definition)} | "
            f"{definition.get('unit', '—')} | {definition.get('valueSet', '—')} |"
        )
    lines += ["", "## Value sets", "", "| name | title | codes | source |", "|---|---|---|---|"]
    for name, doc in sorted(book.value_set_documents.items()):
        size = len(doc.get("codes", [])) + len(doc.get("prefixes", []))
        extra = []
        if doc.get("names"):
            extra.append("names: " + ", ".join(doc["names"]))
        if doc.get("include"):
            extra.append("includes " + ", ".join(doc["include"]))
        if doc.get("exclude"):
            extra.append("minus " + ", ".join(doc["exclude"]))
        lines.append(f"| `{name}` | {doc['title']} | {size}{'; ' + '; '.join(extra) if extra else ''} | {doc['source']} |")
    return "\n".join(lines) + "\n"
