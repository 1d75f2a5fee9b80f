"""Tests for service.rulebook.book: loading, checking and compiling the rules directory."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from service.errors import RuleError
from service.rulebook.book import DEFAULT_RULES_DIR, Criterion, Rulebook, load_rulebook
from service.rulebook.kinds import MEDICATION_TYPES
from service.rulebook.kleene import Formula

TRIAL = "NCT06761417"


def read(path: Path) -> Any:
    """Read a JSON file."""
    return orjson.loads(path.read_bytes())


def write(path: Path, document: Any) -> None:
    """Write a JSON file."""
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A private copy of the real rules directory, to corrupt."""
    return Path(shutil.copytree(DEFAULT_RULES_DIR, tmp_path / "rules"))


def trial_path(rules: Path) -> Path:
    """Return the path of the trial file the tests corrupt."""
    return rules / "trials" / f"{TRIAL}.json"


def first_computable(document: dict[str, Any]) -> dict[str, Any]:
    """Return the first criterion of a trial document that has logic."""
    return next(c for c in document["criteria"] if "logic" in c)


def edit(path: Path, change: Callable[[Any], None]) -> None:
    """Apply a change to a JSON file in place."""
    document = read(path)
    change(document)
    write(path, document)


def load_error(rules: Path) -> str:
    """Load a rules directory that must fail, and return the RuleError's message."""
    with pytest.raises(RuleError) as info:
        load_rulebook(rules)
    return info.value.message


# --- the real rules ---------------------------------------------------------------------------


def test_real_rules_load(book: Rulebook) -> None:
    """The real rules directory loads, with trials, definitions and value sets."""
    assert TRIAL in book.trials
    assert len(book.definitions) > 50
    assert len(book.value_sets) > 50


def test_every_trial_file_named_after_its_id(book: Rulebook) -> None:
    """Every loaded trial comes from the file named after its id."""
    assert sorted(book.trials) == sorted(
        p.stem for p in (DEFAULT_RULES_DIR / "trials").glob("*.json")
    )


def test_every_criterion_is_computable_or_review(book: Rulebook) -> None:
    """Each real criterion has either compiled logic or a review reason."""
    assert all(
        (c.formula is None) != (c.review is None) for t in book.trials.values() for c in t.criteria
    )


def test_version_hashes_content(book: Rulebook) -> None:
    """The rulebook's version is a short sha256 of the files' content, stable between loads."""
    assert book.version.startswith("sha256:")
    assert len(book.version) == len("sha256:") + 16
    assert load_rulebook().version == book.version


def test_version_changes_with_content(rules: Path, book: Rulebook) -> None:
    """Changing any rule file changes the version."""
    edit(trial_path(rules), lambda doc: doc.update(version=doc["version"] + "-edited"))
    assert load_rulebook(rules).version != load_rulebook(DEFAULT_RULES_DIR).version


def test_unknown_trial_is_none(book: Rulebook) -> None:
    """Asking for a trial not in the rulebook gives None."""
    assert book.trial("NCT00000000") is None


def test_trial_counts_add_up(book: Rulebook) -> None:
    """A trial's counts split its criteria both by kind and by computable / review."""
    trial = book.trials[TRIAL]
    counts = trial.counts()
    assert (counts["inclusion"] + counts["exclusion"], counts["computable"] + counts["review"]) == (
        len(trial.criteria),
        len(trial.criteria),
    )


def test_trial_summary(book: Rulebook) -> None:
    """A trial's summary names it and carries its counts."""
    trial = book.trials[TRIAL]
    summary = trial.summary()
    assert (summary["id"], summary["title"], summary["counts"]) == (
        TRIAL,
        trial.title,
        trial.counts(),
    )


def test_criterion_to_json(book: Rulebook) -> None:
    """A computable criterion renders its logic and the definitions it reads; a review one its
    reason.
    """
    trial = book.trials[TRIAL]
    computable = next(c for c in trial.criteria if c.formula is not None)
    review = next(c for c in trial.criteria if c.formula is None)
    assert computable.to_json()["definitions"] == sorted(computable.formula.reads)
    assert "logic" in computable.to_json()
    assert review.to_json()["review"] == review.review
    assert "logic" not in review.to_json()


# --- what a trial needs -----------------------------------------------------------------------


@pytest.fixture
def small_trial(rules: Path) -> Path:
    """The rules copy with one extra trial reading a derived and a formula definition."""
    write(
        rules / "trials" / "NCT99999999.json",
        {
            "id": "NCT99999999",
            "title": "A test trial",
            "phase": "Phase 1",
            "version": "0.0.1",
            "source": {"document": "test"},
            "criteria": [
                {
                    "id": "inc-1",
                    "kind": "inclusion",
                    "source": "1",
                    "text": "CrCl ≥ 60 mL/min",
                    "logic": {">=": [{"var": "crcl_ml_min"}, 60]},
                },
                {
                    "id": "exc-1",
                    "kind": "exclusion",
                    "source": "1",
                    "text": "Active hepatitis B",
                    "logic": {"var": "active_hepatitis_b"},
                },
                {
                    "id": "exc-2",
                    "kind": "exclusion",
                    "source": "2",
                    "text": "Prior anthracycline",
                    "logic": {"var": "prior_anthracycline"},
                },
            ],
        },
    )
    return rules


def test_definitions_for_follows_dependencies(small_trial: Path) -> None:
    """A trial needs the definitions its criteria read and, transitively, what those are built
    from.
    """
    book = load_rulebook(small_trial)
    assert book.definitions_for(book.trials["NCT99999999"]) == {
        "crcl_ml_min",
        "crcl_measured_ml_min",
        "age_years",
        "sex",
        "body_weight_kg",
        "creatinine_mg_dl",
        "egfr_schwartz",
        "body_height_cm",
        "active_hepatitis_b",
        "hbsag_positive",
        "hbv_dna_iu_ml",
        "prior_anthracycline",
    }


def test_resource_types_for(small_trial: Path) -> None:
    """A trial asks only for the FHIR resource types its definitions read."""
    book = load_rulebook(small_trial)
    assert book.resource_types_for(book.trials["NCT99999999"]) == {
        "Patient",
        "Observation",
        "MedicationAdministration",
        "MedicationStatement",
        "MedicationRequest",
        "MedicationDispense",
    }


# --- bad rule directories ---------------------------------------------------------------------


def test_unknown_definition_in_criterion(rules: Path) -> None:
    """A criterion reading an unknown definition names the file, the criterion and the
    definition.
    """
    criterion_id = first_computable(read(trial_path(rules)))["id"]
    edit(
        trial_path(rules),
        lambda doc: first_computable(doc).update(logic={">": [{"var": "no_such_definition"}, 1]}),
    )
    assert (
        load_error(rules) == f"{TRIAL}.json: criterion {criterion_id}: reads unknown definition(s) "
        "['no_such_definition']"
    )


def test_unknown_definition_in_review_unless(rules: Path) -> None:
    """A reviewUnless reading an unknown definition names the file, the criterion and the
    definition.
    """
    criterion_id = first_computable(read(trial_path(rules)))["id"]
    edit(
        trial_path(rules),
        lambda doc: first_computable(doc).update(
            reviewWhen="met", reviewReason="confirm", reviewUnless={"var": "no_such_definition"}
        ),
    )
    assert (
        load_error(rules)
        == f"{TRIAL}.json: criterion {criterion_id}: reviewUnless reads unknown definition(s) "
        "['no_such_definition']"
    )


def test_review_unless_needs_review_when(rules: Path) -> None:
    """reviewUnless without reviewWhen is rejected by the schema."""
    edit(
        trial_path(rules),
        lambda doc: first_computable(doc).update(reviewUnless={"var": "age_years"}),
    )
    assert "'reviewWhen' is a dependency of 'reviewUnless'" in load_error(rules)


def test_review_unless_facts_are_read() -> None:
    """A criterion reads what its logic and its reviewUnless read (so both are fetched and
    cited).
    """
    criterion = Criterion(
        "exc-1",
        "exclusion",
        "1",
        "x",
        Formula({"var": "liver_metastases"}),
        None,
        review_when="met",
        review_reason="confirm",
        review_unless=Formula({">": [{"var": "ast_x_uln"}, 10]}),
    )
    assert criterion.reads == {"liver_metastases", "ast_x_uln"}


def test_unknown_definition_in_target_disease(rules: Path) -> None:
    """A targetDisease naming an unknown definition names the file and the definition."""
    edit(trial_path(rules), lambda doc: doc.update(targetDisease=["no_such_disease"]))
    assert (
        load_error(rules)
        == f"{TRIAL}.json: targetDisease names unknown definition(s) ['no_such_disease']"
    )


def test_target_disease_is_read_for_the_trial(book: Rulebook) -> None:
    """Each trial's targetDisease definitions are among those the trial reads, so the searches
    that decide them are planned.
    """
    gated = [trial for trial in book.trials.values() if trial.target_disease]
    assert gated
    assert all(set(trial.target_disease) <= book.definitions_for(trial) for trial in gated)


def test_unknown_operator_in_criterion(rules: Path) -> None:
    """A criterion using an unknown operator names the file, the criterion and the operator."""
    criterion_id = first_computable(read(trial_path(rules)))["id"]
    edit(
        trial_path(rules),
        lambda doc: first_computable(doc).update(logic={"betwixt": [6, {"var": "age_years"}, 24]}),
    )
    message = load_error(rules)
    assert message.startswith(
        f"{TRIAL}.json: criterion {criterion_id}: operator 'betwixt' is not supported"
    )


def test_wrong_arity_in_criterion(rules: Path) -> None:
    """A comparison with one operand names the file, the criterion and the arity."""
    criterion_id = first_computable(read(trial_path(rules)))["id"]
    edit(
        trial_path(rules),
        lambda doc: first_computable(doc).update(logic={"<": [{"var": "age_years"}]}),
    )
    assert (
        load_error(rules)
        == f"{TRIAL}.json: criterion {criterion_id}: '<' takes 2 or 3 arguments, got 1"
    )


def test_criterion_id_used_twice(rules: Path) -> None:
    """Two criteria with one id name the file, the criterion and the duplication."""
    first_id = read(trial_path(rules))["criteria"][0]["id"]
    edit(trial_path(rules), lambda doc: doc["criteria"].append(dict(doc["criteria"][0])))
    assert load_error(rules) == f"{TRIAL}.json: criterion {first_id}: id used twice"


def test_criterion_id_prefix_must_match_kind(rules: Path) -> None:
    """An 'inc-' criterion that says it is an exclusion is rejected."""

    def change(doc: dict[str, Any]) -> None:
        doc["criteria"][0].update(id="inc-99", kind="exclusion")

    edit(trial_path(rules), change)
    assert (
        load_error(rules)
        == f"{TRIAL}.json: criterion inc-99: id prefix does not match kind 'exclusion'"
    )


def test_file_not_named_after_trial(rules: Path) -> None:
    """A trial file not named after its trial id is rejected, naming both."""
    trial_path(rules).rename(rules / "trials" / "NCT00000001.json")
    assert (
        load_error(rules) == f"NCT00000001.json: the file must be named after its trial id {TRIAL}"
    )


def test_trial_defined_twice(rules: Path) -> None:
    """Two files holding the same trial are rejected."""
    shutil.copy(trial_path(rules), rules / "trials" / "NCT99999999.json")
    assert load_error(rules) == f"NCT99999999.json: trial {TRIAL} is defined twice"


def test_invalid_json(rules: Path) -> None:
    """A file that is not JSON is rejected, naming the file."""
    path = trial_path(rules)
    path.write_bytes(path.read_bytes()[:-20])
    assert load_error(rules).startswith(f"{TRIAL}.json: not valid JSON: ")


def test_schema_violation(rules: Path) -> None:
    """A criterion missing a required member is rejected, naming the file and where."""
    edit(trial_path(rules), lambda doc: doc["criteria"][0].pop("text"))
    assert load_error(rules) == f"{TRIAL}.json: at criteria/0: 'text' is a required property"


def test_unknown_value_set_in_definition(rules: Path) -> None:
    """A definition naming an unknown value set names the file, the definition and the value set."""
    edit(
        rules / "library" / "definitions.json",
        lambda doc: doc["definitions"]["anc"].update(valueSet="no_such_set"),
    )
    assert (
        load_error(rules) == "definitions.json: definition 'anc': unknown value set 'no_such_set'"
    )


@pytest.mark.parametrize(
    ("definition", "value_set", "message"),
    [
        # A therapy's procedures in a value set that does not exist.
        pytest.param(
            "systemic_therapy_4w",
            "no_such_set",
            "unknown procedure value set 'no_such_set'",
            id="unknown-set",
        ),
        # Only a medication reads procedures that gave it.
        pytest.param(
            "anc",
            "chemotherapy_procedures",
            "procedureValueSet is read by medication definitions only",
            id="not-a-medication",
        ),
    ],
)
def test_procedure_value_set_is_checked(
    rules: Path, definition: str, value_set: str, message: str
) -> None:
    """A procedureValueSet names an existing value set, on a medication definition."""
    edit(
        rules / "library" / "definitions.json",
        lambda doc: doc["definitions"][definition].update(procedureValueSet=value_set),
    )
    assert load_error(rules) == f"definitions.json: definition {definition!r}: {message}"


def test_absence_no_when_names_a_known_definition(rules: Path) -> None:
    """An absenceNoWhen naming an unknown definition names the file, the definition and the gate."""
    edit(
        rules / "library" / "definitions.json",
        lambda doc: doc["definitions"]["hcv_rna_detected"].update(absenceNoWhen="no_such_fact"),
    )
    assert load_error(rules) == (
        "definitions.json: definition 'hcv_rna_detected': absenceNoWhen names unknown definition "
        "'no_such_fact'"
    )


def test_a_therapy_read_as_a_procedure_reads_procedures() -> None:
    """A medication definition with a procedureValueSet also reads Procedure (the fetch and the
    prefetch ask for it).
    """
    book = load_rulebook()
    assert book.resource_types_of("systemic_therapy_4w") == (*MEDICATION_TYPES, "Procedure")
    assert book.resource_types_of("prior_anthracycline") == MEDICATION_TYPES


def test_unknown_input_definition(rules: Path) -> None:
    """A Cockcroft-Gault input naming an unknown definition names the file, the definition and
    the input.
    """
    edit(
        rules / "library" / "definitions.json",
        lambda doc: doc["definitions"]["crcl_ml_min"]["inputs"].update(weight="no_such_weight"),
    )
    assert (
        load_error(rules)
        == "definitions.json: definition 'crcl_ml_min': input 'weight' names unknown definition "
        "'no_such_weight'"
    )


def test_formula_definition_with_unknown_operator(rules: Path) -> None:
    """A formula definition with an unknown operator names the file, the definition and the
    operator.
    """
    edit(
        rules / "library" / "definitions.json",
        lambda doc: doc["definitions"]["active_hepatitis_b"].update(logic={"xor": [True, False]}),
    )
    assert load_error(rules).startswith(
        "definitions.json: definition 'active_hepatitis_b': operator 'xor' is not supported"
    )


def test_formula_definition_reading_unknown_definition(rules: Path) -> None:
    """A formula definition reading an unknown definition names the file, the definition and the
    unknown one.
    """
    edit(
        rules / "library" / "definitions.json",
        lambda doc: doc["definitions"]["active_hepatitis_b"].update(
            logic={"var": "hbeag_positive"}
        ),
    )
    assert (
        load_error(rules)
        == "definitions.json: definition 'active_hepatitis_b': reads unknown definition(s) "
        "['hbeag_positive']"
    )


def test_definition_cycle(rules: Path) -> None:
    """Definitions that depend on each other are rejected, naming the file and the cycle."""

    def change(doc: dict[str, Any]) -> None:
        doc["definitions"]["loop_a"] = {
            "kind": "formula",
            "label": "A",
            "description": "A",
            "logic": {"!": {"var": "loop_b"}},
        }
        doc["definitions"]["loop_b"] = {
            "kind": "formula",
            "label": "B",
            "description": "B",
            "logic": {"var": "loop_a"},
        }

    edit(rules / "library" / "definitions.json", change)
    assert (
        load_error(rules)
        == "definitions.json: definition 'loop_a' depends on itself: loop_a → loop_b → loop_a"
    )


def test_definition_reading_itself(rules: Path) -> None:
    """A formula definition reading itself is a cycle."""
    edit(
        rules / "library" / "definitions.json",
        lambda doc: doc["definitions"]["active_hepatitis_b"].update(
            logic={"var": "active_hepatitis_b"}
        ),
    )
    assert (
        load_error(rules) == "definitions.json: definition 'active_hepatitis_b' depends on itself: "
        "active_hepatitis_b → active_hepatitis_b"
    )


def test_value_set_defined_twice(rules: Path) -> None:
    """A value set defined in two files is rejected, naming the second file and the value set."""
    anc = read(rules / "valuesets" / "observations.json")["valueSets"]["anc"]
    edit(rules / "valuesets" / "procedures.json", lambda doc: doc["valueSets"].update(anc=anc))
    assert load_error(rules) == "procedures.json: value set 'anc' is defined twice"


def test_definition_schema_violation(rules: Path) -> None:
    """A measurement without its unit is rejected by the schema, naming the file and the
    definition.
    """
    edit(rules / "library" / "definitions.json", lambda doc: doc["definitions"]["anc"].pop("unit"))
    message = load_error(rules)
    assert message.startswith("definitions.json: at definitions/anc: ")
    assert "'unit' is a required property" in message


def test_rule_error_is_an_eligibility_error() -> None:
    """RuleError has the invalid-rules code in its problem body."""
    body = RuleError("x.json: problem").to_json()
    assert (body["error"], body["detail"], body["message"], body["status"]) == (
        "invalid-rules",
        "x.json: problem",
        "x.json: problem",
        500,
    )


def test_an_unknown_included_value_set_names_the_file_and_the_including_set(tmp_path: Path) -> None:
    """A value set including an unknown one: the message names its file and the value set that
    includes it.
    """
    rules = shutil.copytree(DEFAULT_RULES_DIR, tmp_path / "rules")
    path = rules / "valuesets" / "conditions.json"
    document = orjson.loads(path.read_bytes())
    document["valueSets"]["bone_and_soft_tissue_sarcoma"]["include"].append("no_such_set")
    path.write_bytes(orjson.dumps(document))
    with pytest.raises(RuleError) as info:
        load_rulebook(rules)
    assert "conditions.json" in info.value.message
    assert "bone_and_soft_tissue_sarcoma" in info.value.message
    assert "no_such_set" in info.value.message


def test_a_kind_outside_the_registry_is_refused_naming_it(rules: Path) -> None:
    """A definition whose kind service.rulebook.kinds.KINDS does not register is refused at load,
    naming the file, definition and kind.
    """
    edit(
        rules / "library" / "definitions.json",
        lambda doc: doc["definitions"]["active_hepatitis_b"].update(kind="bloodPressure"),
    )
    error = load_error(rules)
    assert error.startswith("definitions.json")
    assert "bloodPressure" in error


def test_the_registry_is_the_one_list_of_kinds(book: Rulebook) -> None:
    """Every kind the rules use is registered, each registered kind but formula has its fact
    function, and the schema file lists none.
    """
    from service.facts import FACT_FUNCTIONS
    from service.rulebook.kinds import KINDS

    assert {d["kind"] for d in book.definitions.values()} <= set(KINDS)
    assert sorted(set(KINDS) - set(FACT_FUNCTIONS)) == ["formula"]
    schema = orjson.loads((DEFAULT_RULES_DIR / "schema" / "definitions.schema.json").read_bytes())
    assert "enum" not in schema["$defs"]["definition"]["properties"]["kind"]
