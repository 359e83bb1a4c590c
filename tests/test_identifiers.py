"""Identifiers are compacted to ASCII digits at the edge; look-alike digits never slip past."""

from __future__ import annotations

import pytest

from core import identifiers, rules, storage
from core.calls import get_call
from core.models import Application, Contact, Structure
from core.storage import DuplicateApplication
from tests.builders import TODAY
from tests.conftest import SAINT_DENIS_SIRET, WAVE1

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("219 300 662 00018", SAINT_DENIS_SIRET),
        ("219.300.662.00018", SAINT_DENIS_SIRET),
        ("219\u00a0300\u202f662\u00a000018", SAINT_DENIS_SIRET),  # pasted with no-break spaces
        (SAINT_DENIS_SIRET.translate(FULL_WIDTH), SAINT_DENIS_SIRET),
        ("2193006620001７", SAINT_DENIS_SIRET[:-1] + "7"),  # the probe's mix
    ],
)
def test_a_siret_is_stored_in_ascii_digits(typed, stored):
    assert Structure(siret=typed).siret == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("９３", "93"), ("2a", "2A"), (" ２B ", "2B"), ("９７４", "974")],
)
def test_a_department_code_is_stored_in_ascii(typed, stored):
    assert Structure(department=typed).department == stored


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("01 48 50 53 00", "0148505300"),
        ("01.48.50.53.00", "0148505300"),
        ("０１ ４８ ５０ ５３ ００", "0148505300"),
        ("+33 1 48 50 53 00", "+33148505300"),
    ],
)
def test_a_phone_number_is_stored_in_ascii(typed, stored):
    assert Contact(phone=typed).phone == stored


def test_a_postcode_is_compacted_to_ascii():
    assert identifiers.compact_postcode("９３ ２００") == "93200"


def test_str_isdigit_is_not_the_test():
    assert "٣".isdigit() and not identifiers.is_ascii_digits("٣")


def test_other_digits_are_kept_as_typed_and_refused_in_french(make_application):
    typed = SAINT_DENIS_SIRET.translate(ARABIC_INDIC)
    application = make_application(siret=typed)
    assert application.structure.siret == typed  # nothing typed is lost
    verdict = rules.evaluate(application, get_call(WAVE1), TODAY)
    assert "structure.siret_format" in {r.code for r in verdict.reasons}
    message = next(r.message for r in verdict.reasons if r.code == "structure.siret_format")
    assert message.startswith("Le SIRET compte 14 chiffres")


def test_a_phone_in_other_digits_is_refused(make_application):
    application = make_application()
    application.contact.phone = "٠١٤٨٥٠٥٣٠٠"
    verdict = rules.evaluate(application, get_call(WAVE1), TODAY)
    assert "contact.phone_invalid" in {r.code for r in verdict.reasons}


def test_full_width_digits_cannot_make_a_second_application_for_one_siret(
    session, applicant, other_applicant, make_application
):
    storage.create_application(
        session=session, user=applicant, call_id=WAVE1, data=make_application()
    )
    session.commit()
    look_alike = SAINT_DENIS_SIRET[:-1] + SAINT_DENIS_SIRET[-1].translate(FULL_WIDTH)
    with pytest.raises(DuplicateApplication):
        storage.create_application(
            session=session,
            user=other_applicant,
            call_id=WAVE1,
            data=Application.model_validate(
                make_application(siret=look_alike).model_dump(mode="json")
            ),
        )


def test_a_look_alike_siret_in_raw_json_is_compacted_too(make_application):
    raw = make_application().model_dump(mode="json")
    raw["structure"]["siret"] = SAINT_DENIS_SIRET.translate(FULL_WIDTH)
    assert Application.model_validate(raw).structure.siret == SAINT_DENIS_SIRET
