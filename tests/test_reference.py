"""Reference data: legal categories, departments and EPT."""

import re

import pytest
import yaml
from pydantic import ValidationError

from core import reference
from core.models import StructureType
from core.reference import (
    categories_for_structure_type,
    department,
    departments,
    epts,
    is_compatible,
    legal_categories,
    legal_category,
    normalize_department,
    regions,
)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (reference.LEGAL_CATEGORIES_FILE, "categories"),
        (reference.DEPARTMENTS_FILE, "departments"),
        (reference.EPT_FILE, "epts"),
    ],
)
def test_yaml_files_parse_and_name_their_source(path, key):
    text = path.read_text(encoding="utf-8")
    assert yaml.safe_load(text)[key]
    assert "Source:" in text


def test_every_legal_category_code_has_four_digits():
    rows = yaml.safe_load(reference.LEGAL_CATEGORIES_FILE.read_text(encoding="utf-8"))
    codes = [row["code"] for row in rows["categories"]]
    assert all(isinstance(code, str) and re.fullmatch(r"\d{4}", code) for code in codes)
    assert len(codes) == len(set(codes))


def test_public_flag_follows_insee_family():
    # Families 4 (EPIC) and 7 (droit administratif) are public bodies, Liste A of the prefects.
    for code, category in legal_categories().items():
        assert category.public == (code[0] in "47"), code


@pytest.mark.parametrize("structure_type", [t for t in StructureType if t != StructureType.OTHER])
def test_every_structure_type_has_a_legal_category(structure_type):
    assert categories_for_structure_type(structure_type)


def test_categories_for_structure_type_are_sorted_by_code():
    codes = [c.code for c in categories_for_structure_type(StructureType.ASSOCIATION)]
    assert codes == sorted(codes)
    assert {"9210", "9220", "9221", "9222", "9230", "9260"} <= set(codes)


@pytest.mark.parametrize(
    ("code", "structure_type"),
    [
        ("7210", StructureType.COMMUNE),
        ("7220", StructureType.DEPARTEMENT),
        ("7230", StructureType.REGION),
        ("7225", StructureType.COLLECTIVITE_OUTRE_MER),
        ("7229", StructureType.COLLECTIVITE_STATUT_PARTICULIER),
        ("7229", StructureType.METROPOLE_DE_LYON),
        ("7344", StructureType.METROPOLE),
        ("7344", StructureType.METROPOLE_DU_GRAND_PARIS),
        ("7349", StructureType.EPT),
        ("7343", StructureType.COMMUNAUTE_URBAINE),
        ("7348", StructureType.COMMUNAUTE_AGGLOMERATION),
        ("7346", StructureType.COMMUNAUTE_DE_COMMUNES),
        ("7353", StructureType.SYNDICAT_DE_COMMUNES),
        ("7345", StructureType.SYNDICAT_DE_COMMUNES),
        ("7354", StructureType.SYNDICAT_MIXTE_FERME),
        ("7355", StructureType.SYNDICAT_MIXTE_OUVERT),
        ("7340", StructureType.POLE_METROPOLITAIN),
        ("7357", StructureType.PETR),
        ("7351", StructureType.INSTITUTION_INTERDEPARTEMENTALE),
        ("7352", StructureType.ENTENTE_INTERREGIONALE),
        ("7361", StructureType.CCAS),
        ("7367", StructureType.CIAS),
        ("7366", StructureType.AUTRE_ETABLISSEMENT_PUBLIC_RATTACHE),
        ("9220", StructureType.ASSOCIATION),
        ("9300", StructureType.FONDATION),
        ("5458", StructureType.STRUCTURE_ESS),
        ("8210", StructureType.STRUCTURE_ESS),
        ("5499", StructureType.COMPANY),
        ("5710", StructureType.COMPANY),
    ],
)
def test_known_code_denotes_type(code, structure_type):
    assert is_compatible(structure_type, code) is True


@pytest.mark.parametrize(
    ("code", "structure_type"),
    [
        ("9220", StructureType.COMMUNE),  # an association is not a commune
        ("7210", StructureType.ASSOCIATION),
        ("5710", StructureType.CCAS),
        ("7346", StructureType.COMMUNAUTE_AGGLOMERATION),
        ("7361", StructureType.CIAS),
    ],
)
def test_contradicting_code_is_flagged(code, structure_type):
    assert is_compatible(structure_type, code) is False


def test_other_is_compatible_with_any_known_code():
    assert all(is_compatible(StructureType.OTHER, code) for code in legal_categories())


@pytest.mark.parametrize("code", ["0000", "abcd", "", "72100"])
def test_unknown_code_gives_none(code):
    assert legal_category(code) is None
    assert is_compatible(StructureType.COMMUNE, code) is None


def test_labels_are_insee_labels():
    assert legal_category("7210").label == "Commune et commune nouvelle"
    assert legal_category("7367").label == "Centre Intercommunal d'action sociale (CIAS)"
    assert legal_category(" 7346 ").label == "Communauté de communes"
    assert legal_category("7210").public is True
    assert legal_category("9220").public is False


def test_departments_cover_metropole_drom_and_com():
    kinds = [d.overseas_kind for d in departments()]
    assert len(departments()) == 107
    assert kinds.count("none") == 96
    assert kinds.count("drom") == 5
    assert kinds.count("com") == 6
    assert department("20") is None


def test_departments_are_in_code_order():
    codes = [d.code for d in departments()]
    assert codes[:3] == ["01", "02", "03"]
    assert codes[18:22] == ["19", "2A", "2B", "21"]
    assert codes[95:101] == ["95", "971", "972", "973", "974", "975"]
    assert codes[-1] == "988"


@pytest.mark.parametrize(
    ("code", "name", "region", "overseas"),
    [
        ("93", "Seine-Saint-Denis", "Île-de-France", False),
        ("2A", "Corse-du-Sud", "Corse", False),
        ("976", "Mayotte", "Mayotte", True),
        ("974", "La Réunion", "La Réunion", True),
        ("975", "Saint-Pierre-et-Miquelon", "Collectivités d'outre-mer", True),
    ],
)
def test_department_lookup(code, name, region, overseas):
    found = department(code)
    assert (found.name, found.region, found.overseas) == (name, region, overseas)


def test_mayotte_is_a_drom():
    assert department("976").overseas_kind == "drom"
    assert {d.code for d in departments() if d.overseas_kind == "drom"} == {
        "971",
        "972",
        "973",
        "974",
        "976",
    }


@pytest.mark.parametrize(("raw", "expected"), [(" 2a ", "2A"), ("2b", "2B"), ("93 ", "93")])
def test_department_strips_and_uppercases(raw, expected):
    assert department(raw).code == expected


def test_department_takes_exact_codes_only():
    assert department("1") is None
    assert department("01").name == "Ain"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", "01"), (" 9 ", "09"), ("2a", "2A"), ("93", "93"), ("971", "971"), (" 75", "75")],
)
def test_normalize_department(raw, expected):
    assert normalize_department(raw) == expected


def test_regions_sorted_ignoring_accents():
    # 13 metropolitan regions, 5 DROM, and the grouping of the COM; Île-de-France sorts with the I.
    assert regions() == [
        "Auvergne-Rhône-Alpes",
        "Bourgogne-Franche-Comté",
        "Bretagne",
        "Centre-Val de Loire",
        "Collectivités d'outre-mer",
        "Corse",
        "Grand Est",
        "Guadeloupe",
        "Guyane",
        "Hauts-de-France",
        "Île-de-France",
        "La Réunion",
        "Martinique",
        "Mayotte",
        "Normandie",
        "Nouvelle-Aquitaine",
        "Occitanie",
        "Pays de la Loire",
        "Provence-Alpes-Côte d'Azur",
    ]


def test_eleven_ept_without_paris():
    codes = [e.code for e in epts()]
    assert codes == [f"T{n}" for n in range(2, 13)]
    assert all(e.departments for e in epts())
    assert all(department(code) for e in epts() for code in e.departments)


def test_four_ept_of_seine_saint_denis():
    in_93 = {e.code: e.name for e in epts() if "93" in e.departments}
    assert in_93 == {
        "T6": "Plaine Commune",
        "T7": "Paris Terres d'Envol",
        "T8": "Est Ensemble",
        "T9": "Grand Paris Grand Est",
    }


def test_models_are_frozen():
    with pytest.raises(ValidationError):
        department("93").name = "Autre"
    with pytest.raises(ValidationError):
        legal_category("7210").public = False
