"""Render rules/README.md from the rulebook, so the documentation of every definition never
drifts.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from service.rulebook.book import Rulebook
from service.rulebook.kleene import render as render_logic

INTRO = """# Rules

Generated from the rule files by `python -m service rules-doc`; a test fails when it is stale.

- `trials/NCT*.json`: one document per trial (schema `schema/trial.schema.json`): metadata and
  criteria. Each criterion has a stable id, a kind, the source numbering, its text as written, and
  either JsonLogic over named definitions or a `review` reason. `reviewWhen` turns a computed result
  a person must confirm into `review` (`either`: met or not-met), except where `reviewUnless` holds.
  An inclusion's logic is true when it is met; an exclusion's logic is true when the patient has the
  excluding condition (so `met` excludes).
- `library/definitions.json`: the shared, CQL-like definitions (schema
  `schema/definitions.schema.json`).
- `valuesets/*.json`: value sets of codes (schema `schema/valuesets.schema.json`), each with its
  source.

What "nothing found" means is decided per definition (`absence`, with `absenceWhy`), shown in the
table below and in the evidence of every report:
- **no** (closed world): history a hospital record reliably holds and where "no" cannot harm; the
  evidence says what was searched.
- **unknown**: a state that must be measured before a decision (pregnancy in a woman of childbearing
  potential, current infection, organ function); every measurement is unknown when missing or stale,
  with the reason, and the card names what to obtain.
- **review**: history an inclusion requires that often lives outside the record (treatment given
  elsewhere, a tumour coded only by organ site): not found is for a person to confirm, never a hard
  "ineligible"; a count of such records is known only as "at least".

Positive findings do not expire silently (`positivesPersist`: an HIV-positive result at any time; a
positive pregnancy test counts for 300 days unless a later negative test refutes it). Every lookback
window says whether the document states it or we chose it (`windowSource`, `windowWhy`). Value sets
match codes exactly, ICD-10-CM by category prefix (with or without the dot), and drugs also by
ingredient name when a record has no standard code. SNOMED CT subsumption is not computed: a concept
must be listed to match.
"""

ABSENCE_BY_KIND = {
    "measurement": "unknown",
    "ulnRatio": "unknown",
    "inReferenceRange": "unknown",
    "ordinal": "unknown",
    "qualitative": "unknown",
    "age": "unknown",
    "sex": "unknown",
    "cockcroftGault": "unknown",
    "schwartz": "unknown",
}


def _value_sets(definition: Mapping[str, Any]) -> str:
    """The value set a definition reads, and the procedures it also reads for review."""
    procedures = definition.get("procedureValueSet")
    own = definition.get("valueSet", "—")
    return f"{own}; as a procedure (review): {procedures}" if procedures else str(own)


def _window(definition: Mapping[str, Any]) -> str:
    days = definition.get("lookbackDays")
    return (
        "—"
        if days is None
        else f"{days} d" + (" (onset)" if definition.get("windowBy") == "onset" else "")
    )


def _absence(definition: Mapping[str, Any]) -> str:
    """Render the absence policy and why; derived kinds take theirs from their inputs."""
    policy = definition.get("absence") or ABSENCE_BY_KIND.get(definition["kind"])
    if policy is None:
        return "from its inputs"
    why = definition.get("absenceWhy")
    return f"**{policy}**" + (f": {why}" if why else " (a measurement)")


def _bands(definition: Mapping[str, Any]) -> str:
    """Render a childbearing-potential definition's age bands, each with why."""
    bands = sorted(definition.get("ageBands", []), key=lambda b: b["fromYears"])
    if not bands:
        return ""
    ends = [f"{b['fromYears']}–{n['fromYears'] - 1}" for b, n in itertools.pairwise(bands)] + [
        f"{bands[-1]['fromYears']}+"
    ]
    return (
        " Age bands: "
        + "; ".join(
            f"{span} y **{b['potential']}** ({b['why'].rstrip('.')})"
            for span, b in zip(ends, bands, strict=True)
        )
        + "."
    )


def _window_source(definition: Mapping[str, Any]) -> str:
    """Render where a window comes from: the document, or our choice, and why."""
    source = definition.get("windowSource")
    if source is None:
        return "—"
    hours = definition.get("negativeWithinHours")
    days = definition.get("negativeWithinDays")
    negative = (
        f"negative test within {hours} h; "
        if hours
        else f"negative test within {days} d; "
        if days is not None
        else ""
    )
    return f"{negative}**{source}**: {definition.get('windowWhy', '')}"


def render(book: Rulebook) -> str:
    """Return the Markdown documentation of the rulebook."""
    lines = [
        INTRO,
        "## Trials",
        "",
        "| trial | criteria | inclusion | exclusion | computable | review |",
        "|---|---|---|---|---|---|",
    ]
    for trial in book.trials.values():
        counts = trial.counts()
        lines.append(
            f"| {trial.id} | {len(trial.criteria)} | {counts['inclusion']} | "
            f"{counts['exclusion']} | {counts['computable']} | {counts['review']} |"
        )
    for trial in book.trials.values():
        lines += ["", f"### {trial.id}: why the review criteria are review", ""]
        for criterion in trial.criteria:
            if criterion.formula is None:
                lines.append(f"- `{criterion.id}`: {criterion.review}")
            elif criterion.review_when:
                when = (
                    "`met` or `not-met`"
                    if criterion.review_when == "either"
                    else f"`{criterion.review_when}`"
                )
                unless = (
                    f" unless {render_logic(criterion.review_unless.logic)}"
                    if criterion.review_unless
                    else ""
                )
                lines.append(
                    f"- `{criterion.id}` (computed; {when} becomes review{unless}): "
                    f"{criterion.review_reason}"
                )
    lines += [
        "",
        "## Definitions",
        "",
        "| name | kind | meaning | lookback | window source | nothing found means | unit | value "
        "set |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, definition in sorted(book.definitions.items()):
        lines.append(
            f"| `{name}` | {definition['kind']} | "
            f"{definition['description']}{_bands(definition)} | {_window(definition)} | "
            f"{_window_source(definition)} | "
            f"{_absence(definition)} | {definition.get('unit', '—')} | "
            f"{_value_sets(definition)} |"
        )
    lines += ["", "## Value sets", "", "| name | title | codes | source |", "|---|---|---|---|"]
    for name, doc in sorted(book.value_set_documents.items()):
        size = len(doc.get("codes", [])) + len(doc.get("prefixes", []))
        extra = []
        if doc.get("names"):
            extra.append("names: " + ", ".join(doc["names"]))
        if doc.get("reviewRanges"):
            extra.append(
                "to review: "
                + ", ".join(f"{r['display']} ({r['low']}–{r['high']})" for r in doc["reviewRanges"])
            )
        if doc.get("include"):
            extra.append("includes " + ", ".join(doc["include"]))
        if doc.get("exclude"):
            extra.append("minus " + ", ".join(doc["exclude"]))
        lines.append(
            f"| `{name}` | {doc['title']} | {size}{'; ' + '; '.join(extra) if extra else ''} | "
            f"{doc['source']} |"
        )
    return "\n".join(lines) + "\n"
