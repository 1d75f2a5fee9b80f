"""Tests for service.rulebook.valuesets: building value sets and matching FHIR codings against
them.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.rulebook.valuesets import ValueSet, build_value_sets, canonical_code, canonical_system

ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CPT = "http://www.ama-assn.org/go/cpt"
PCS = "http://www.cms.gov/Medicare/Coding/ICD10"

DOCUMENTS: dict[str, dict[str, Any]] = {
    "liver_mets": {
        "title": "Liver metastases",
        "codes": [{"system": SNOMED, "code": "94381002"}],
        "prefixes": [{"system": ICD10, "prefix": "C78.7"}],
    },
    "anlotinib": {"title": "Anlotinib", "names": ["Anlotinib", "catequentinib", "安罗替尼"]},
    "malignancy": {"title": "Malignancy", "prefixes": [{"system": ICD10, "prefix": "C"}]},
    "sarcoma": {"title": "Sarcoma", "prefixes": [{"system": ICD10, "prefix": "C49"}]},
    "other_malignancy": {
        "title": "Other malignancy",
        "include": ["malignancy"],
        "exclude": ["sarcoma"],
    },
    "wrapper": {"title": "Wrapper", "include": ["other_malignancy", "anlotinib"]},
}


@pytest.fixture(scope="module")
def sets() -> dict[str, ValueSet]:
    """The value sets built from DOCUMENTS."""
    return build_value_sets(DOCUMENTS)


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        # The R4 ICD-10 URI folds to ICD-10-CM.
        pytest.param("http://hl7.org/fhir/sid/icd-10", ICD10, id="icd-10"),
        # The ICD-10-CM OID.
        pytest.param("urn:oid:2.16.840.1.113883.6.90", ICD10, id="icd-10-cm-oid"),
        # The SNOMED CT OID.
        pytest.param("urn:oid:2.16.840.1.113883.6.96", SNOMED, id="snomed-oid"),
        # The ATC URI with a trailing slash.
        pytest.param("http://www.whocc.no/atc/", "http://www.whocc.no/atc", id="atc-slash"),
        # A trailing slash, https, or stray spaces (as some EHR exports write them).
        pytest.param("http://loinc.org/", "http://loinc.org", id="loinc-slash"),
        pytest.param("https://loinc.org", "http://loinc.org", id="loinc-https"),
        pytest.param(" http://snomed.info/sct/ ", SNOMED, id="snomed-spaces-slash"),
        pytest.param("http://hl7.org/fhir/sid/icd-10/", ICD10, id="icd-10-slash"),
        # A canonical URI is unchanged.
        pytest.param(SNOMED, SNOMED, id="canonical"),
    ],
)
def test_canonical_system(system: str, expected: str) -> None:
    """Spellings of a code system fold to the URI value sets use."""
    assert canonical_system(system) == expected


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        # ICD-10-CM drops its dot.
        pytest.param(ICD10, "C78.7", "C787", id="icd-dot"),
        # ... and is upper-cased.
        pytest.param(ICD10, "c78.7 ", "C787", id="icd-case"),
        # Other systems keep their dots and case (ICD-O-3 morphology, LOINC).
        pytest.param("http://loinc.org", "751-8", "751-8", id="loinc"),
        # Other systems are only trimmed.
        pytest.param(SNOMED, " 94381002 ", "94381002", id="trim"),
    ],
)
def test_canonical_code(system: str, code: str, expected: str) -> None:
    """ICD-10-CM codes compare without dot and in upper case; other codes as written."""
    assert canonical_code(system, code) == expected


@pytest.mark.parametrize(
    ("concepts", "texts", "expected"),
    [
        # An exact code.
        pytest.param([(SNOMED, "94381002", "")], [], "code", id="snomed-code"),
        # An ICD-10-CM code under the prefix, with dot.
        pytest.param([(ICD10, "C78.7", "")], [], "code", id="icd-with-dot"),
        # ... without the dot.
        pytest.param([(ICD10, "C787", "")], [], "code", id="icd-without-dot"),
        # ... in lower case with an alias system.
        pytest.param(
            [("http://hl7.org/fhir/sid/icd-10", "c78.7", "")], [], "code", id="icd-alias-lower"
        ),
        # A sibling category outside the prefix.
        pytest.param([(ICD10, "C78.6", "")], [], None, id="icd-other-category"),
        # The right code in the wrong system.
        pytest.param([(ICD10, "94381002", "")], [], None, id="wrong-system"),
        # Any one of several codings may match.
        pytest.param([(SNOMED, "1", ""), (ICD10, "C78.70", "")], [], "code", id="second-coding"),
        # Nothing at all.
        pytest.param([], [], None, id="empty"),
    ],
)
def test_match_codes(
    sets: dict[str, ValueSet],
    concepts: list[tuple[str, str, str]],
    texts: list[str],
    expected: str | None,
) -> None:
    """Codes match exactly or by ICD-10-CM prefix, in their own system only."""
    assert sets["liver_mets"].match(concepts, texts) == expected


@pytest.mark.parametrize(
    ("concepts", "texts", "expected"),
    [
        # The name in free text, any case.
        pytest.param([], ["ANLOTINIB hydrochloride capsules"], "name", id="text"),
        # The name in a coding's display.
        pytest.param(
            [("http://example.org/drugs", "x1", "Anlotinib 12 mg")], [], "name", id="display"
        ),
        # A synonym.
        pytest.param([], ["catequentinib"], "name", id="synonym"),
        # The name must start a word.
        pytest.param([], ["xanlotinib"], None, id="inside-a-word"),
        # Another drug.
        pytest.param([], ["apatinib"], None, id="other-drug"),
        # A Chinese name has no word boundary before it: found after other characters.
        pytest.param([], ["口服盐酸安罗替尼胶囊"], "name", id="chinese-inside-text"),
        pytest.param([], ["对安罗替尼过敏"], "name", id="chinese-after-a-character"),
        # And it is not found where it is not.
        pytest.param([], ["口服阿帕替尼"], None, id="chinese-other-drug"),
    ],
)
def test_match_names(
    sets: dict[str, ValueSet],
    concepts: list[tuple[str, str, str]],
    texts: list[str],
    expected: str | None,
) -> None:
    """A drug known only by name matches on a word in text or display, and says so."""
    assert sets["anlotinib"].match(concepts, texts) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # A malignancy outside the exclusion.
        pytest.param("C34.1", "code", id="lung"),
        # A soft tissue sarcoma is excluded.
        pytest.param("C49.2", None, id="excluded-sarcoma"),
    ],
)
def test_exclusion_vetoes(sets: dict[str, ValueSet], code: str, expected: str | None) -> None:
    """A code in an excluded value set vetoes the match of the including set."""
    assert sets["other_malignancy"].match([(ICD10, code, "")]) == expected


def test_exclusion_vetoes_when_any_coding_is_excluded(sets: dict[str, ValueSet]) -> None:
    """An excluded coding vetoes the match even beside a coding that would match."""
    assert sets["other_malignancy"].match([(ICD10, "C34.1", ""), (ICD10, "C49.2", "")]) is None


@pytest.mark.parametrize(
    ("names_veto_codes", "concepts", "expected"),
    [
        # A coded primary whose text says where it spread stays a match.
        pytest.param(
            False, [(ICD10, "C18.7", "Colon cancer metastatic to liver")], "code", id="code"
        ),
        # The same set's names still veto a match by name.
        pytest.param(False, [(ICD10, "X1", "Cancer metastatic to liver")], None, id="name"),
        # A set whose names refine the lesion vetoes the code (a sarcoma named in a C55 text).
        pytest.param(True, [(ICD10, "C18.7", "Colon cancer metastatic to liver")], None, id="veto"),
    ],
)
def test_an_excluded_name_vetoes_a_code_only_when_the_set_says_so(
    names_veto_codes: bool, concepts: list[tuple[str, str, str]], expected: str | None
) -> None:
    """An exclusion whose names describe another lesion (namesVetoCodes false) vetoes a coded
    match only by a code (probe P: C18.7 'metastatic to liver' read as no other malignancy).
    """
    sets = build_value_sets(
        {
            "malignancy": {"prefixes": [{"system": ICD10, "prefix": "C"}], "names": ["cancer"]},
            "secondary": {"names": ["metastatic to"], "namesVetoCodes": names_veto_codes},
            "other": {"include": ["malignancy"], "exclude": ["secondary"]},
        }
    )
    assert sets["other"].match(concepts) == expected


def test_include_carries_codes_names_and_exclusions(sets: dict[str, ValueSet]) -> None:
    """An included set brings its codes, names and exclusions along."""
    wrapper = sets["wrapper"]
    assert (
        wrapper.match([(ICD10, "C34.1", "")]),
        wrapper.match([], ["anlotinib"]),
        wrapper.match([(ICD10, "C49.2", "")]),
    ) == ("code", "name", None)


def test_title_defaults_to_name() -> None:
    """A value set without a title is titled by its name."""
    assert build_value_sets({"x": {"codes": []}})["x"].title == "x"


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        # Including a set that does not exist.
        pytest.param(
            {"a": {"include": ["missing"]}}, "unknown value set 'missing'", id="unknown-include"
        ),
        # Excluding a set that does not exist.
        pytest.param(
            {"a": {"exclude": ["missing"]}}, "unknown value set 'missing'", id="unknown-exclude"
        ),
        # A set including itself through another.
        pytest.param(
            {"a": {"include": ["b"]}, "b": {"include": ["a"]}}, "includes itself", id="cycle"
        ),
        # A review range whose bounds differ in length, or come in the wrong order, matches nothing.
        pytest.param(
            {"a": {"reviewRanges": [{"system": CPT, "low": "1000", "high": "69990"}]}},
            "review range 1000-69990",
            id="range-lengths",
        ),
        pytest.param(
            {"a": {"reviewRanges": [{"system": CPT, "low": "69990", "high": "10004"}]}},
            "review range 69990-10004",
            id="range-order",
        ),
    ],
)
def test_build_rejects(documents: dict[str, dict[str, Any]], message: str) -> None:
    """Unknown and circular includes raise KeyError naming the problem."""
    with pytest.raises(KeyError) as info:
        build_value_sets(documents)
    assert message in str(info.value.args[0])


def test_real_value_sets_match_rxnorm_doxorubicin(book: Any) -> None:
    """The real anthracycline set matches RxNorm doxorubicin."""
    assert book.value_sets["anthracyclines"].match([(RXNORM, "3639", "doxorubicin")]) == "code"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # Lung cancer is another malignancy.
        pytest.param("C34.1", "code", id="lung"),
        # A soft tissue sarcoma (in 'malignancy') is the trial's own tumour: excluded.
        pytest.param("C49.2", None, id="sarcoma"),
    ],
)
def test_real_exclusion_keeps_the_trial_tumour_out(
    book: Any, code: str, expected: str | None
) -> None:
    """The real 'other malignancy' set of NCT06761417 leaves the trial's own tumours out."""
    assert book.value_sets["other_malignancy_nct06761417"].match([(ICD10, code, "")]) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Exact codes only.
        pytest.param("plain", True, id="codes"),
        # A prefix needs the slow match.
        pytest.param("liver_mets", False, id="prefixes"),
        # So do names.
        pytest.param("anlotinib", False, id="names"),
        # And exclusions.
        pytest.param("other_malignancy", False, id="exclusions"),
    ],
)
def test_is_plain_codes(name: str, expected: bool) -> None:
    """is_plain_codes() says whether exact codes alone decide membership (the index fast path)."""
    sets = build_value_sets({**DOCUMENTS, "plain": {"codes": [{"system": SNOMED, "code": "1"}]}})
    assert sets[name].is_plain_codes() is expected


# --- terms: the real value sets, expanded ---

CANCER_ICD = "http://hl7.org/fhir/sid/icd-10"
ATC = "http://www.whocc.no/atc"


@pytest.fixture(scope="module")
def real() -> dict[str, ValueSet]:
    """The project's value sets with their committed expansions."""
    from service.rulebook.book import load_rulebook

    return load_rulebook().value_sets


@pytest.mark.parametrize(
    ("value_set", "concept", "expected"),
    [
        # GIST (C49.A) is an excluded ALTER subtype though the C49 soft-tissue prefix reaches it.
        pytest.param(
            "alter_excluded_sarcoma_subtypes",
            (ICD10, "C49.A0", ""),
            "code",
            id="gist-excluded-subtype",
        ),
        # GIST is still a malignancy.
        pytest.param("malignancy", (ICD10, "C49.A0", ""), "code", id="gist-malignancy"),
        # Transient global amnesia is not a TIA.
        pytest.param("thrombotic_event", (ICD10, "G45.4", ""), None, id="tga-not-tia"),
        pytest.param("thrombotic_event", (ICD10, "G45.9", ""), "code", id="tia"),
        # WHO ICD-10 codes DVT as I80.2.
        pytest.param("thrombotic_event", (CANCER_ICD, "I80.2", ""), "code", id="who-dvt"),
        # WHO unspecified diabetes E14, antiphospholipid D68.6, pregnancy Z33.
        pytest.param("diabetes", (CANCER_ICD, "E14.9", ""), "code", id="who-e14"),
        pytest.param(
            "antiphospholipid_syndrome", (CANCER_ICD, "D68.6", ""), "code", id="who-d68.6"
        ),
        pytest.param("pregnancy", (CANCER_ICD, "Z33", ""), "code", id="who-z33"),
        # A lost toe is not a limb amputation; a lost leg is.
        pytest.param("amputation_status", (ICD10, "Z89.421", ""), None, id="toe"),
        pytest.param("amputation_status", (ICD10, "Z89.611", ""), "code", id="leg"),
        # First-degree AV block and premature beats are not arrhythmias; atrial fibrillation is.
        pytest.param("arrhythmia", (ICD10, "I44.0", ""), None, id="first-degree-block"),
        pytest.param("arrhythmia", (ICD10, "I49.3", ""), None, id="pvc"),
        pytest.param("arrhythmia", (ICD10, "I48.91", ""), "code", id="af"),
        # Sites the sarcoma sets missed: MPNST (C47), liver sarcomas (C22.3/C22.4).
        pytest.param("soft_tissue_sarcoma", (ICD10, "C47.9", ""), "code", id="c47"),
        pytest.param("soft_tissue_sarcoma", (ICD10, "C22.4", ""), "code", id="c22.4"),
        # Hypertensive heart disease with heart failure.
        pytest.param("heart_failure", (ICD10, "I11.0", ""), "code", id="i11.0"),
        pytest.param("significant_bleeding", (ICD10, "K25.6", ""), "code", id="ulcer-haemorrhage"),
        pytest.param("pregnancy", (ICD10, "O14.13", ""), "code", id="o-chapter"),
        # E53.8 also holds folate and other B-vitamin deficiencies: not a B12 deficiency by itself
        # (NMO exc-2f reviews it).
        pytest.param("vitamin_b12_deficiency", (ICD10, "E53.8", ""), None, id="e53.8"),
        # ICD-O-3 morphologies the sarcoma sets missed.
        pytest.param(
            "ewing_sarcoma",
            ("http://terminology.hl7.org/CodeSystem/icd-o-3", "9260/3", ""),
            "code",
            id="ewing-9260",
        ),
        pytest.param(
            "soft_tissue_sarcoma",
            ("http://terminology.hl7.org/CodeSystem/icd-o-3", "8811/3", ""),
            "code",
            id="myxofibrosarcoma",
        ),
        pytest.param(
            "soft_tissue_sarcoma",
            ("http://terminology.hl7.org/CodeSystem/icd-o-3", "9581/3", ""),
            "code",
            id="asps",
        ),
        # SNOMED CT from published value sets: Synthea's prostate cancer, eclampsia, bleeding from
        # anus.
        pytest.param(
            "other_malignancy_nct03890068",
            (SNOMED, "126906006", ""),
            "code",
            id="neoplasm-of-prostate",
        ),
        pytest.param(
            "other_malignancy_nct03890068", (SNOMED, "92691004", ""), "code", id="cis-prostate"
        ),
        pytest.param("pregnancy", (SNOMED, "198992004", ""), "code", id="eclampsia"),
        pytest.param("pregnancy", (SNOMED, "398254007", ""), "code", id="pre-eclampsia"),
        pytest.param(
            "significant_bleeding", (SNOMED, "6072007", ""), "code", id="bleeding-from-anus"
        ),
        pytest.param("surgery", (SNOMED, "90470006", ""), "code", id="prostatectomy"),
        pytest.param("surgery", (SNOMED, "11466000", ""), "code", id="caesarean"),
        # A soft-tissue sarcoma coded in SNOMED CT is not an 'other' malignancy in a sarcoma trial.
        pytest.param(
            "other_malignancy_nct03890068",
            (SNOMED, "443719001", ""),
            None,
            id="leiomyosarcoma-not-other",
        ),
        # RxNorm products (SCD) of the ingredients.
        pytest.param("antineoplastic", (RXNORM, "583214", ""), "code", id="paclitaxel-scd"),
        pytest.param(
            "anticoagulant_antiplatelet", (RXNORM, "855332", ""), "code", id="warfarin-scd"
        ),
        # LOINC alternates.
        pytest.param(
            "body_temperature", ("http://loinc.org", "8331-1", ""), "code", id="oral-temperature"
        ),
        pytest.param("albumin", ("http://loinc.org", "61151-7", ""), "code", id="albumin-bcg"),
    ],
)
def test_real_value_sets(
    real: dict[str, ValueSet], value_set: str, concept: tuple[str, str, str], expected: str | None
) -> None:
    """The expanded value sets reach what the trials mean, and no further."""
    assert real[value_set].match([concept]) == expected


@pytest.mark.parametrize(
    ("value_set", "text", "expected"),
    [
        # Eye drops, creams and inhalers are not systemic therapy.
        pytest.param(
            "systemic_corticosteroids",
            "prednisoLONE acetate 10 MG/ML Ophthalmic Suspension",
            None,
            id="ophthalmic-prednisolone",
        ),
        pytest.param(
            "systemic_corticosteroids",
            "dexamethasone 1 MG/ML Ophthalmic Solution",
            None,
            id="ophthalmic-dexamethasone",
        ),
        pytest.param(
            "systemic_corticosteroids", "hydrocortisone 10 MG/ML Topical Cream", None, id="topical"
        ),
        pytest.param(
            "nmo_immunotherapy",
            "cycloSPORINE 0.5 MG/ML Ophthalmic Emulsion [Restasis]",
            None,
            id="restasis",
        ),
        pytest.param(
            "immunosuppressants",
            "tacrolimus 0.1 % Topical Ointment",
            None,
            id="tacrolimus-ointment",
        ),
        pytest.param(
            "systemic_corticosteroids", "prednisone 5 MG Oral Tablet", "name", id="oral-prednisone"
        ),
        # Brand names and ingredients the sets lacked.
        pytest.param("lenvatinib", "Lenvima 4 mg capsule", "name", id="lenvima"),
        pytest.param("anticoagulant_antiplatelet", "Eliquis 5 mg", "name", id="eliquis"),
        pytest.param(
            "anticoagulant_antiplatelet", "nadroparin 2850 IU injection", "name", id="nadroparin"
        ),
        pytest.param("immunosuppressants", "tacrolimus 1 MG Oral Capsule", "name", id="tacrolimus"),
        # Growth factors recorded by brand alone.
        pytest.param("growth_factors", "Nplate 250 mcg injection", "name", id="nplate"),
        pytest.param("growth_factors", "Promacta 50 mg tablet", "name", id="promacta"),
        pytest.param("growth_factors", "Doptelet 20 mg", "name", id="doptelet"),
        pytest.param("growth_factors", "Mircera 100 mcg/0.3 mL", "name", id="mircera"),
        # Chinese generic names inside a longer text.
        pytest.param("anthracyclines", "注射用盐酸多柔比星", "name", id="doxorubicin-chinese"),
        pytest.param("mitoxantrone", "盐酸米托蒽醌注射液", "name", id="mitoxantrone-chinese"),
        pytest.param("anlotinib", "福可维 12 mg", "name", id="anlotinib-brand-chinese"),
        # Mental disorders and surgery by name.
        pytest.param(
            "mental_disorder", "Major depression, recurrent", "name", id="depression-text"
        ),
        pytest.param("surgery", "Pulmonary metastasectomy", "name", id="metastasectomy"),
        pytest.param("radiotherapy", "Palliative irradiation of spine", "name", id="irradiation"),
        # A condition named only in text counts, by name.
        pytest.param("thrombotic_event", "Deep vein thrombosis of left leg", "name", id="dvt-text"),
        # ... but not when the text says it is someone else's or being screened for.
        pytest.param("malignancy", "Family history of cancer", None, id="family-history"),
        pytest.param(
            "malignancy", "Screening for malignant neoplasm of colon", None, id="screening"
        ),
    ],
)
def test_names_as_a_safety_net(
    real: dict[str, ValueSet], value_set: str, text: str, expected: str | None
) -> None:
    """Texts with no known code match by name, respecting dose form and negating words."""
    assert real[value_set].match([], [text]) == expected


def test_value_sets_carry_the_expansion_version(real: dict[str, ValueSet]) -> None:
    """The built value sets know the version of the expansions they came from."""
    from service.rulebook.valuesets import value_sets_version

    assert value_sets_version(real).startswith("2026.12.1 (ICD-10-CM FY2026, WHO ICD-10 2019")


def test_prefix_exclusion_applies_to_its_own_prefix_only() -> None:
    """An excluded sub-prefix removes codes from its own prefix, not from a broader prefix a
    wider set includes.
    """
    sets = build_value_sets(
        {
            "sarcoma": {
                "title": "s",
                "prefixes": [{"system": ICD10, "prefix": "C49"}],
                "excludePrefixes": [
                    {"system": ICD10, "prefix": "C49.A", "display": "GIST", "reason": "r"}
                ],
            },
            "any": {
                "title": "a",
                "prefixes": [{"system": ICD10, "prefix": "C"}],
                "include": ["sarcoma"],
            },
        }
    )
    gist, other = [(ICD10, "C49.A0", "")], [(ICD10, "C49.9", "")]
    assert (sets["sarcoma"].match(gist), sets["sarcoma"].match(other), sets["any"].match(gist)) == (
        None,
        "code",
        "code",
    )


# --- speed: the match memo ---


def test_a_remembered_match_is_the_computed_one(sets: dict[str, ValueSet]) -> None:
    """Asking twice gives the same answer, the excluded set's veto included, whatever the
    iterable type.
    """
    vs = sets["other_malignancy"]
    first = [vs.match([(ICD10, "C34.1", "")]), vs.match([(ICD10, "C49.2", "")])]
    again = [vs.match(iter([(ICD10, "C34.1", "")])), vs.match(((ICD10, "C49.2", ""),))]
    assert first == again == ["code", None]


def test_the_match_memo_is_bounded(
    sets: dict[str, ValueSet], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memo starts over past its limit, so distinct codes cannot grow it without bound."""
    import service.rulebook.valuesets

    monkeypatch.setattr(service.rulebook.valuesets, "MATCH_MEMO_LIMIT", 3)
    vs = sets["liver_mets"]
    answers = [vs.match([(ICD10, f"C78.{n}", "")]) for n in range(10)]
    assert len(vs._memo) <= 3
    assert answers[7] == "code"
    assert answers[6] is None


def test_a_names_stop_words_stop_only_that_sets_names() -> None:
    """'sarcoma' in a sarcoma set is not 'Kaposi sarcoma'; a set that also lists 'sarcoma' on its
    own, unguarded, still matches it.
    """
    built = build_value_sets(
        {
            "sarcoma": {"title": "s", "names": ["sarcoma"], "nameStops": ["kaposi"]},
            "sarcomas": {"title": "s2", "include": ["sarcoma"]},
            "cancer": {"title": "c", "names": ["sarcoma"], "include": ["sarcoma"]},
        }
    )
    kaposi, synovial = [("x", "1", "Kaposi sarcoma of skin")], [("x", "2", "Synovial sarcoma")]
    assert built["sarcoma"].match(kaposi) is None
    assert built["sarcomas"].match(kaposi) is None
    assert built["cancer"].match(kaposi) == "name"
    assert built["sarcomas"].match(synovial) == "name"


@pytest.mark.parametrize(
    ("concept", "expected"),
    [
        # A CPT Surgery-section code not listed: review, never a decided yes.
        pytest.param((CPT, "47562", "Laparoscopic cholecystectomy"), "range", id="cpt-surgery"),
        pytest.param((CPT, "10004", ""), "range", id="cpt-low-bound"),
        pytest.param((CPT, "69990", ""), "range", id="cpt-high-bound"),
        pytest.param((CPT, "70450", "CT head"), None, id="cpt-radiology"),
        pytest.param((CPT, "99213", "Office visit"), None, id="cpt-visit"),
        # A Category II tracking code sorts inside 10004-69990 but is not digits only.
        pytest.param((CPT, "3008F", ""), None, id="cpt-category-ii"),
        pytest.param((CPT, "1000", ""), None, id="cpt-short"),
        # ICD-10-PCS section 0 (Medical and Surgical), in either case; section B (imaging) is not.
        pytest.param((PCS, "0SRC0J9", ""), "range", id="pcs-surgical"),
        pytest.param((PCS, "0src0j9", ""), "range", id="pcs-lower-case"),
        pytest.param((PCS, "BW25ZZZ", ""), None, id="pcs-imaging"),
        # The same digits in another system are not CPT.
        pytest.param((SNOMED, "47562", ""), None, id="other-system"),
        # A listed code still decides.
        pytest.param((SNOMED, "387713003", ""), "code", id="listed-code"),
    ],
)
def test_review_ranges_put_a_section_to_review(
    concept: tuple[str, str, str], expected: str | None
) -> None:
    """A code in a classification's section (reviewRanges) matches as 'range', passed on to sets
    that include it.
    """
    built = build_value_sets(
        {
            "surgery": {
                "codes": [{"system": SNOMED, "code": "387713003"}],
                "reviewRanges": [
                    {"system": CPT, "low": "10004", "high": "69990"},
                    {"system": PCS, "low": "0000000", "high": "0ZZZZZZ"},
                ],
            },
            "wrapper": {"include": ["surgery"]},
        }
    )
    assert built["surgery"].match([concept]) == expected
    assert built["wrapper"].match([concept]) == expected
    assert not built["surgery"].is_plain_codes()


def test_the_real_surgery_and_radiotherapy_sets_review_cpt_and_pcs_sections(
    real: dict[str, ValueSet],
) -> None:
    """CPT's Surgery section and ICD-10-PCS section 0 put surgery to review; CPT Radiation Oncology
    and ICD-10-PCS section D, radiotherapy.
    """
    assert real["surgery"].match([(CPT, "44140", "")]) == "range"
    assert real["surgery"].match([(PCS, "0DTN0ZZ", "")]) == "range"
    assert real["surgery"].match([(CPT, "77412", "")]) is None
    assert real["radiotherapy"].match([(CPT, "77412", "")]) == "range"
    assert real["radiotherapy"].match([(PCS, "DW021ZZ", "")]) == "range"
    assert real["radiotherapy"].match([(CPT, "44140", "")]) is None
