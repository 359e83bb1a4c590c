import datetime as dt

import pytest

from core.formatting import (
    EFFECT_LABELS_FR,
    ESS_STATUS_LABELS_FR,
    STRUCTURE_TYPE_LABELS_FR,
    event_detail_fr,
    format_bool_fr,
    format_date_fr,
    format_datetime_fr,
    format_eur,
    format_phone,
    format_siret,
)
from core.models import Effect, EssStatus, StructureType

NNBSP = "\u202f"  # babel groups thousands with a narrow no-break space
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (50_000, f"50{NNBSP}000{NBSP}€"),
        (4_000_000, f"4{NNBSP}000{NNBSP}000{NBSP}€"),
        (750, f"750{NBSP}€"),
        (0, f"0{NBSP}€"),
        (None, "—"),  # no figure is invented
    ],
)
def test_format_eur(amount, expected):
    assert format_eur(amount) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2021, 1, 15), "15 janvier 2021"),
        (dt.date(2021, 2, 1), "1er février 2021"),
        (dt.date(2022, 6, 30), "30 juin 2022"),
        (dt.date(2020, 12, 31), "31 décembre 2020"),
    ],
)
def test_format_date_fr(day, expected):
    assert format_date_fr(day) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Winter: Paris is UTC+1; summer: UTC+2.
        (dt.datetime(2021, 1, 15, 13, 5, tzinfo=dt.UTC), "15 janvier 2021 à 14 h 05"),
        (dt.datetime(2021, 6, 25, 21, 59, tzinfo=dt.UTC), "25 juin 2021 à 23 h 59"),
        (dt.datetime(2021, 6, 25, 22, 0, tzinfo=dt.UTC), "26 juin 2021 à 0 h 00"),
        # A naive datetime is already Paris time.
        (dt.datetime(2021, 1, 15, 9, 30), "15 janvier 2021 à 9 h 30"),
    ],
)
def test_format_datetime_fr_in_paris_time(moment, expected):
    assert format_datetime_fr(moment) == expected


def test_format_bool_fr():
    assert [format_bool_fr(v) for v in (True, False, None)] == ["Oui", "Non", "Non renseigné"]


@pytest.mark.parametrize(
    ("labels", "enum"),
    [
        (STRUCTURE_TYPE_LABELS_FR, StructureType),
        (ESS_STATUS_LABELS_FR, EssStatus),
        (EFFECT_LABELS_FR, Effect),
    ],
)
def test_every_value_has_a_french_label(labels, enum):
    assert set(labels) == set(enum)
    assert all(label and label[0].isupper() for label in labels.values())


def test_structure_type_labels_are_plain_french():
    assert STRUCTURE_TYPE_LABELS_FR[StructureType.COMMUNE] == "Commune"
    assert STRUCTURE_TYPE_LABELS_FR[StructureType.DEPARTEMENT] == "Département"
    assert (
        STRUCTURE_TYPE_LABELS_FR[StructureType.EPT]
        == "Établissement public territorial (EPT) du Grand Paris"
    )
    assert STRUCTURE_TYPE_LABELS_FR[StructureType.CCAS] == "Centre communal d'action sociale (CCAS)"


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (800, "800\u202fo"),
        (1_331, "1,3\u202fko"),
        (272_000, "265,6\u202fko"),
        (10 * 2**20, "10\u202fMo"),  # the attachment limit reads as it is counted
        (1_258_291, "1,2\u202fMo"),
    ],
)
def test_file_sizes_in_french(size, expected):
    from core.formatting import format_size_fr

    assert format_size_fr(size) == expected


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("21930066200018", "219 300 662 00018"),
        ("2193006620001", "2193006620001"),  # not a SIRET: left as typed
    ],
)
def test_siret_is_grouped_as_insee_prints_it(typed, shown):
    assert format_siret(typed) == shown


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("0555830800", "05 55 83 08 00"),
        ("+33555830800", "05 55 83 08 00"),
        ("+262262123456", "+262 262 12 34 56"),  # La Réunion, as dialled from elsewhere
        ("12", "12"),  # not a number: left as typed
    ],
)
def test_phone_is_written_the_french_way(typed, shown):
    assert format_phone(typed) == shown


def test_recap_shows_identifiers_grouped():
    from core import presentation
    from core.calls import get_call
    from tests.builders import WAVE1, rich_application

    app = rich_application(
        WAVE1, **{"structure.siret": "21930066200018", "contact.phone": "0555830800"}
    )
    texts = {a.path: a.text for a in presentation.recap(app, get_call(WAVE1))}
    assert texts["structure.siret"] == "219 300 662 00018"
    assert texts["contact.phone"] == "05 55 83 08 00"


def test_a_moved_draft_names_both_calls_in_the_history():
    titles = {"a": "Vague 1", "b": "Vague 2"}
    assert event_detail_fr("moved", "a -> b", titles) == "de « Vague 1 » vers « Vague 2 »"
