"""Load, check and compile the rules directory once: value sets, definitions and trials."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
import orjson

from service.config import data_dir
from service.errors import RuleError
from service.rulebook.definitions import Definition, definition_from
from service.rulebook.kinds import KINDS, RESOURCE_TYPES
from service.rulebook.kleene import Formula, LogicError
from service.rulebook.valuesets import ValueSet, build_value_sets

DEFAULT_RULES_DIR = data_dir("rules")


@dataclass(frozen=True)
class Criterion:
    """One criterion (or separately checkable part) of a trial."""

    id: str
    kind: str
    source: str
    text: str
    formula: Formula | None
    review: str | None
    note: str | None = None
    # A computed status a person must still confirm, and why (e.g. an arrhythmia on record:
    # treated?).
    review_when: str | None = None
    review_reason: str | None = None
    # Keeps the reviewWhen status decided when this formula is definitely true (e.g. AST above even
    # the relaxed limit).
    review_unless: Formula | None = None

    @cached_property
    def reads(self) -> frozenset[str]:
        """Return the definitions the logic and reviewUnless read (once: every evaluation asks)."""
        logic = self.formula.reads if self.formula else frozenset()
        return logic | self.review_unless.reads if self.review_unless else logic

    def turns_to_review(self, status: str) -> bool:
        """Say whether a computed status is one a person must confirm (``either`` means met or
        not-met).
        """
        return self.review_when is not None and (
            status == self.review_when
            or (self.review_when == "either" and status in ("met", "not-met"))
        )

    def to_json(self) -> dict[str, Any]:
        """Render for GET /trials/{id}."""
        body: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "text": self.text,
        }
        if self.formula is not None:
            body["logic"] = self.formula.logic
            body["definitions"] = sorted(self.reads)
            if self.review_when:
                body["reviewWhen"] = self.review_when
                body["reviewReason"] = self.review_reason
            if self.review_unless is not None:
                body["reviewUnless"] = self.review_unless.logic
        else:
            body["review"] = self.review
        return body


@dataclass(frozen=True)
class Trial:
    """A trial's metadata and criteria."""

    id: str
    title: str
    phase: str
    version: str
    source: dict[str, Any]
    url: str | None
    criteria: tuple[Criterion, ...]
    # Definitions naming the disease the trial is for (a CDS card needs one of them true or
    # unknown); empty: no such gate.
    target_disease: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """Count criteria by kind and by computable / review."""
        return {
            "inclusion": sum(c.kind == "inclusion" for c in self.criteria),
            "exclusion": sum(c.kind == "exclusion" for c in self.criteria),
            "computable": sum(c.formula is not None for c in self.criteria),
            "review": sum(c.formula is None for c in self.criteria),
        }

    def summary(self) -> dict[str, Any]:
        """Render for GET /trials."""
        return {
            "id": self.id,
            "title": self.title,
            "phase": self.phase,
            "version": self.version,
            "url": self.url,
            "counts": self.counts(),
        }


@dataclass
class Rulebook:
    """Everything under rules/, checked and compiled; ``version`` hashes the files' content."""

    value_sets: dict[str, ValueSet]
    definitions: dict[str, Definition]
    formulas: dict[str, Formula]
    trials: dict[str, Trial]
    version: str
    value_set_documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def trial(self, trial_id: str) -> Trial | None:
        """Return a trial by id, or None."""
        return self.trials.get(trial_id)

    def definitions_for(self, trial: Trial) -> set[str]:
        """Return every definition a trial reads, directly or through other definitions."""
        wanted: set[str] = set()
        todo = [name for c in trial.criteria if c.formula for name in c.reads] + list(
            trial.target_disease
        )
        while todo:
            name = todo.pop()
            if name in wanted:
                continue
            wanted.add(name)
            todo.extend(_dependencies(self.definitions, self.formulas, name))
        return wanted

    def dependencies(self, name: str) -> list[str]:
        """Return the definitions one definition reads directly (a formula's facts, a derived
        value's inputs).
        """
        return _dependencies(self.definitions, self.formulas, name)

    def resource_types_of(self, name: str) -> tuple[str, ...]:
        """Return the FHIR resource types one definition reads (those its kind reads, and
        Procedure for a therapy also read as a procedure).
        """
        definition = self.definitions[name]
        reads = RESOURCE_TYPES[definition.kind]
        return (*reads, "Procedure") if definition.procedure_value_set else reads

    def resource_types_for(self, trial: Trial) -> set[str]:
        """Return the FHIR resource types a trial's definitions read."""
        return {
            rtype for name in self.definitions_for(trial) for rtype in self.resource_types_of(name)
        }


def _dependencies(
    definitions: Mapping[str, Definition], formulas: dict[str, Formula], name: str
) -> list[str]:
    """Return the definitions one definition reads: Cockcroft-Gault inputs, or a formula's facts."""
    definition = definitions[name]
    gate = [g for g in (definition.absence_review_when, definition.absence_no_when) if g]
    return (
        list(definition.inputs.values())
        + gate
        + (sorted(formulas[name].reads) if name in formulas else [])
    )


def _read(path: Path) -> Any:
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise RuleError(f"{path.name}: not valid JSON: {exc}") from exc


def _validate(path: Path, document: Any, schema: dict[str, Any]) -> None:
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(document),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        error = errors[0]
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise RuleError(f"{path.name}: at {where}: {error.message}")


def _merge(target: dict[str, Any], items: dict[str, Any], path: Path, what: str) -> None:
    for name, item in items.items():
        if name in target:
            raise RuleError(f"{path.name}: {what} {name!r} is defined twice")
        target[name] = item


def load_rulebook(rules_dir: Path | str = DEFAULT_RULES_DIR) -> Rulebook:
    """Load and check every rule file; raise RuleError naming the file, criterion and problem."""
    root = Path(rules_dir)
    schemas = {
        name: _read(root / "schema" / f"{name}.schema.json")
        for name in ("valuesets", "definitions", "trial")
    }
    # The kinds a definition may have are the registry's (service.rulebook.kinds.KINDS), not a list
    # kept in the schema file too.
    schemas["definitions"]["$defs"]["definition"]["properties"]["kind"] = {"enum": sorted(KINDS)}
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*.json") if "schema" not in p.parts)
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())

    value_set_docs: dict[str, dict[str, Any]] = {}
    value_set_files: dict[str, str] = {}
    for path in sorted((root / "valuesets").glob("*.json")):
        document = _read(path)
        _validate(path, document, schemas["valuesets"])
        _merge(value_set_docs, document["valueSets"], path, "value set")
        value_set_files.update({name: path.name for name in document["valueSets"]})
    try:
        value_sets = build_value_sets(value_set_docs, root / "valuesets")
    except KeyError as exc:
        message, culprit = exc.args[0], exc.args[-1]
        raise RuleError(f"{value_set_files.get(culprit, 'valuesets')}: {message}") from exc

    documents: dict[str, dict[str, Any]] = {}
    origin: dict[str, Path] = {}
    for path in sorted((root / "library").glob("*.json")):
        document = _read(path)
        _validate(path, document, schemas["definitions"])
        _merge(documents, document["definitions"], path, "definition")
        origin.update({name: path for name in document["definitions"]})
    # Typed once here (kind, value set, Window, absence policy): every reader after this uses the
    # same objects.
    definitions = {name: definition_from(name, item) for name, item in documents.items()}
    formulas = _check_definitions(definitions, value_sets, origin)

    trials: dict[str, Trial] = {}
    for path in sorted((root / "trials").glob("*.json")):
        document = _read(path)
        _validate(path, document, schemas["trial"])
        trial = _compile_trial(path, document, definitions)
        if trial.id in trials:
            raise RuleError(f"{path.name}: trial {trial.id} is defined twice")
        if path.stem != trial.id:
            raise RuleError(f"{path.name}: the file must be named after its trial id {trial.id}")
        trials[trial.id] = trial
    return Rulebook(
        value_sets,
        definitions,
        formulas,
        trials,
        "sha256:" + digest.hexdigest()[:16],
        value_set_docs,
    )


def _check_value_sets(where: str, definition: Definition, value_sets: dict[str, ValueSet]) -> None:
    """Refuse a definition naming an unknown value set (or one its kind does not read)."""
    if definition.value_set is not None and definition.value_set not in value_sets:
        raise RuleError(f"{where}: unknown value set {definition.value_set!r}")
    if definition.procedure_value_set is not None:
        if definition.kind != "medication":
            raise RuleError(f"{where}: procedureValueSet is read by medication definitions only")
        if definition.procedure_value_set not in value_sets:
            raise RuleError(
                f"{where}: unknown procedure value set {definition.procedure_value_set!r}"
            )
    if "method" in definition and definition["method"] not in value_sets:
        raise RuleError(f"{where}: unknown method value set {definition['method']!r}")


def _check_definitions(
    definitions: dict[str, Definition], value_sets: dict[str, ValueSet], origin: dict[str, Path]
) -> dict[str, Formula]:
    formulas: dict[str, Formula] = {}
    for name, definition in definitions.items():
        where = f"{origin[name].name}: definition {name!r}"
        if definition.kind not in KINDS:
            raise RuleError(f"{where}: unknown kind {definition.kind!r}")
        _check_value_sets(where, definition, value_sets)
        for role, other in definition.inputs.items():
            if other not in definitions:
                raise RuleError(f"{where}: input {role!r} names unknown definition {other!r}")
        if (definition.absence_no_when or name) not in definitions:
            raise RuleError(
                f"{where}: absenceNoWhen names unknown definition {definition.absence_no_when!r}"
            )
        if (definition.absence_review_when or name) not in definitions:
            raise RuleError(
                f"{where}: absenceReviewWhen names unknown definition "
                f"{definition.absence_review_when!r}"
            )
        if definition.kind == "formula":
            try:
                formulas[name] = Formula(definition["logic"])
            except (LogicError, ValueError) as exc:
                raise RuleError(f"{where}: {exc}") from exc
            unknown = formulas[name].reads - definitions.keys()
            if unknown:
                raise RuleError(f"{where}: reads unknown definition(s) {sorted(unknown)}")
    _check_cycles(definitions, formulas, origin)
    return formulas


def _check_cycles(
    definitions: dict[str, Definition], formulas: dict[str, Formula], origin: dict[str, Path]
) -> None:
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            raise RuleError(
                f"{origin[name].name}: definition {name!r} depends on itself: "
                f"{' → '.join((*trail, name))}"
            )
        if name in done:
            return
        for other in _dependencies(definitions, formulas, name):
            visit(other, (*trail, name))
        done.add(name)

    for name in definitions:
        visit(name, ())


def _compile_trial(
    path: Path, document: dict[str, Any], definitions: dict[str, Definition]
) -> Trial:
    criteria = []
    seen: set[str] = set()
    for item in document["criteria"]:
        where = f"{path.name}: criterion {item['id']}"
        if item["id"] in seen:
            raise RuleError(f"{where}: id used twice")
        seen.add(item["id"])
        if item["id"].startswith("inc") != (item["kind"] == "inclusion"):
            raise RuleError(f"{where}: id prefix does not match kind {item['kind']!r}")
        formula = (
            _checked_formula(item["logic"], definitions, where, "") if "logic" in item else None
        )
        unless = (
            _checked_formula(item["reviewUnless"], definitions, where, "reviewUnless")
            if "reviewUnless" in item
            else None
        )
        criteria.append(
            Criterion(
                item["id"],
                item["kind"],
                item["source"],
                item["text"],
                formula,
                item.get("review"),
                item.get("note"),
                item.get("reviewWhen"),
                item.get("reviewReason"),
                unless,
            )
        )
    target = tuple(document.get("targetDisease", ()))
    unknown_targets = sorted(set(target) - definitions.keys())
    if unknown_targets:
        raise RuleError(f"{path.name}: targetDisease names unknown definition(s) {unknown_targets}")
    return Trial(
        document["id"],
        document["title"],
        document["phase"],
        document["version"],
        document["source"],
        document.get("url"),
        tuple(criteria),
        target,
    )


def _checked_formula(logic: Any, definitions: dict[str, Any], where: str, part: str) -> Formula:
    """Compile a criterion's logic (or its reviewUnless) and check it reads only known
    definitions.
    """
    label = f"{part}: " if part else ""
    try:
        formula = Formula(logic)
    except (LogicError, ValueError) as exc:
        raise RuleError(f"{where}: {label}{exc}") from exc
    unknown = formula.reads - definitions.keys()
    if unknown:
        raise RuleError(
            f"{where}: {part + ' ' if part else ''}reads unknown definition(s) {sorted(unknown)}"
        )
    return formula
