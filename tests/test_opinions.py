"""Prefecture accounts see only their departments; opinions are checked in core and every change
is kept (who, when, from where, old -> new)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import (
    accounts,
    opinions,
    prefecture,
    review_dashboard,
    review_dossier,
    review_listing,
    storage,
)
from core.db import OpinionChangeRow
from core.exports import export_listing, prefect_sheet
from core.opinions import Opinion, OpinionInput
from core.review_listing import ReviewFilters
from core.storage import Forbidden, NotFound, Role
from tests.conftest import TEST_PASSWORD
from tests.review_data import TODAY, populate


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def apps(session, applicant):
    return populate(session, applicant)


def _prefecture(session, email: str, departments: str):
    user = accounts.create_user(
        session=session,
        email=email,
        name="Préfecture",
        password=TEST_PASSWORD,
        role=Role.PREFECTURE,
        departments=departments,
    )
    session.commit()
    return user


@pytest.fixture
def pref93(session):
    return _prefecture(session, "pref93@seine-saint-denis.gouv.fr", "93")


@pytest.fixture
def pref42(session):
    return _prefecture(session, "pref42@loire.gouv.fr", "42,95")


NEGATIVE = OpinionInput(
    opinion=Opinion.NEGATIVE, supported_count=0, comment="Projet redondant avec la médiathèque."
)


def _give(session, user, application_id, value=NEGATIVE, version=0, **kw):
    result = opinions.record_opinion(
        session=session, user=user, application_id=application_id, value=value,
        expected_version=version, **kw,
    )  # fmt: skip
    session.commit()
    return result


# --- accounts --------------------------------------------------------------------------------


def test_prefecture_account_keeps_its_departments(session, pref42):
    again = accounts.get_user(session=session, user_id=pref42.id)
    assert again.role == Role.PREFECTURE
    assert again.departments == ("42", "95")


@pytest.mark.parametrize(
    ("role", "departments", "message"),
    [
        (Role.PREFECTURE, None, "au moins un département"),
        (Role.PREFECTURE, "93,999", "Département inconnu : « 999 »"),
        (Role.REVIEWER, "93", "Seuls les comptes préfecture"),
    ],
)
def test_departments_are_checked(session, role, departments, message):
    with pytest.raises(accounts.AccountError, match=message):
        accounts.create_user(
            session=session, email="x@pref.gouv.fr", name="X", password=TEST_PASSWORD,
            role=role, departments=departments,
        )  # fmt: skip


# --- scope: the same « introuvable » outside the departments, and for drafts -----------------


def test_prefecture_lists_only_submitted_applications_of_its_departments(
    session, pref93, pref42, apps
):
    mine = [r.id for r in storage.list_applications(session=session, user=pref93)]
    assert mine == [apps.montreuil, apps.association_93, apps.ccas_93]  # no draft, no 42
    theirs = [r.id for r in storage.list_applications(session=session, user=pref42)]
    assert theirs == [apps.saint_etienne]
    frame = prefecture.list_applications(session=session, user=pref93, filters=ReviewFilters())
    assert sorted(frame["id"]) == sorted(mine)
    assert set(frame["department"]) == {"93"}
    # Filters cannot widen the scope.
    wide = ReviewFilters(departments=("42",), statuses=("draft", "submitted"))
    assert prefecture.count_applications(session=session, user=pref93, filters=wide) == 0


READS = {
    "get": lambda s, u, i: storage.get_application(session=s, user=u, application_id=i),
    "submission": lambda s, u, i: storage.get_submission(session=s, user=u, application_id=i),
    "opinion": lambda s, u, i: opinions.get_opinion(session=s, user=u, application_id=i),
    "history": lambda s, u, i: opinions.list_changes(session=s, user=u, application_id=i),
    "record": lambda s, u, i: opinions.record_opinion(
        session=s, user=u, application_id=i, value=NEGATIVE, expected_version=0
    ),
}


@pytest.mark.parametrize("operation", READS)
@pytest.mark.parametrize("target", ["saint_etienne", "draft_93"])
def test_outside_scope_or_draft_looks_exactly_like_a_missing_id(
    session, pref93, apps, operation, target
):
    application_id = getattr(apps, target)
    with pytest.raises(NotFound) as hidden:
        READS[operation](session, pref93, application_id)
    with pytest.raises(NotFound) as absent:
        READS[operation](session, pref93, 999_999)
    assert str(hidden.value).replace(str(application_id), "N") == str(absent.value).replace(
        "999999", "N"
    )


@pytest.mark.parametrize("operation", ["get", "submission", "opinion", "history"])
def test_in_scope_reads_work(session, pref93, apps, operation):
    READS[operation](session, pref93, apps.montreuil)


def test_prefecture_cannot_write_applications(session, pref93, apps):
    record = storage.get_application(session=session, user=pref93, application_id=apps.montreuil)
    with pytest.raises(Forbidden):
        storage.save_draft(
            session=session, user=pref93, application_id=record.id, data=record.data,
            expected_version=record.version,
        )  # fmt: skip


def test_sheet_of_another_department_is_not_found(session, pref93, apps):
    prefect_sheet(session=session, user=pref93, department_code="93")
    for code in ("42", "00"):  # someone else's, and one that does not exist
        with pytest.raises(prefecture.SheetNotFound, match="Fiche introuvable"):
            prefect_sheet(session=session, user=pref93, department_code=code)


def test_prefecture_is_kept_out_of_the_anct_queries(session, pref93, apps):
    for query in (
        lambda: review_dashboard.dashboard(session=session, user=pref93),
        lambda: review_dossier.get_dossier(
            session=session, user=pref93, application_id=apps.montreuil
        ),
        lambda: export_listing(session=session, user=pref93, filters=ReviewFilters(), fmt="csv"),
    ):
        with pytest.raises(Forbidden):
            query()


# --- opinions --------------------------------------------------------------------------------


def test_every_change_is_kept_with_old_and_new_values(session, pref93, apps):
    first = _give(session, pref93, apps.ccas_93)
    assert first.opinion == Opinion.NEGATIVE and first.version == 1
    positive = OpinionInput(opinion=Opinion.POSITIVE, supported_count=3)
    second = _give(session, pref93, apps.ccas_93, positive, version=1)
    assert (second.opinion, second.supported_count, second.version) == (Opinion.POSITIVE, 3, 2)
    history = opinions.list_changes(session=session, user=pref93, application_id=apps.ccas_93)
    assert [(h.old_opinion, h.new_opinion) for h in history] == [
        (None, Opinion.NEGATIVE),
        (Opinion.NEGATIVE, Opinion.POSITIVE),
    ]
    assert history[1].old_comment == NEGATIVE.comment and history[1].new_count == 3
    assert {h.source for h in history} == {"screen"}
    assert {h.actor_email for h in history} == {pref93.email}
    assert history[0].file_sha256 is None


def test_the_same_opinion_again_adds_no_history(session, pref93, apps):
    _give(session, pref93, apps.ccas_93)
    _give(session, pref93, apps.ccas_93, version=1)
    count = session.execute(select(func.count()).select_from(OpinionChangeRow)).scalar_one()
    assert count == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (OpinionInput(opinion=Opinion.NEGATIVE, supported_count=0), "commentaire est obligatoire"),
        (
            OpinionInput(opinion=Opinion.FURTHER_EXAMINATION, supported_count=1, comment="court"),
            "trop court",
        ),
        (
            OpinionInput(opinion=Opinion.POSITIVE, supported_count=1, comment="x" * 1001),
            "trop long",
        ),
        (OpinionInput(opinion=Opinion.POSITIVE, supported_count=5), "entre 0 et 4"),
        (OpinionInput(opinion=Opinion.POSITIVE, supported_count=-1), "entre 0 et 4"),
        (
            OpinionInput(opinion=Opinion.NEGATIVE, supported_count=2, comment="Pas prioritaire."),
            "aucun poste",
        ),
    ],
)
def test_bad_opinions_are_refused_in_french(session, pref93, apps, value, message):
    with pytest.raises(opinions.OpinionError, match=message):
        _give(session, pref93, apps.ccas_93, value)  # CCAS de Bobigny: 4 posts


def test_positive_opinion_needs_no_comment(session, pref93, apps):
    value = OpinionInput(opinion=Opinion.POSITIVE, supported_count=4, comment="   ")
    assert _give(session, pref93, apps.ccas_93, value).comment == ""


def test_no_change_after_the_list_deadline(session, pref93, apps):
    # Submitted on 10 February 2021: second list, opinions due by 26 March 2021.
    _give(session, pref93, apps.ccas_93, today=dt.date(2021, 3, 26))
    with pytest.raises(opinions.OpinionClosed, match="26/03/2021"):
        _give(
            session, pref93, apps.ccas_93,
            OpinionInput(opinion=Opinion.POSITIVE, supported_count=1),
            version=1, today=dt.date(2021, 3, 27),
        )  # fmt: skip


def test_stale_version_is_refused(session, pref93, apps):
    _give(session, pref93, apps.ccas_93)
    with pytest.raises(opinions.OpinionConflict):
        _give(
            session, pref93, apps.ccas_93,
            OpinionInput(opinion=Opinion.POSITIVE, supported_count=1), version=0,
        )  # fmt: skip


@pytest.mark.parametrize("actor", ["reviewer", "admin", "applicant"])
def test_only_the_prefecture_gives_an_opinion_on_screen(request, session, apps, actor):
    with pytest.raises(Forbidden):
        _give(session, request.getfixturevalue(actor), apps.ccas_93)


def test_another_prefecture_cannot_give_an_opinion_in_the_93(session, pref42, apps):
    with pytest.raises(NotFound):
        _give(session, pref42, apps.ccas_93)


# --- what the ANCT sees -------------------------------------------------------------------


def test_listing_and_exports_carry_the_opinion_and_filter_on_it(session, pref93, reviewer, apps):
    _give(session, pref93, apps.ccas_93)
    frame = review_listing.list_applications(
        session=session, user=reviewer, filters=ReviewFilters()
    )
    row = frame.set_index("id").loc[apps.ccas_93]
    assert row["opinion"] == "Avis négatif" and row["supported_count"] == 0
    assert row["opinion_at"].date() == TODAY
    assert frame.set_index("id").loc[apps.montreuil, "opinion"] == "Sans avis"

    def ids(*wanted):
        filters = ReviewFilters(opinions=wanted, statuses=("submitted",))
        return set(
            review_listing.list_applications(session=session, user=reviewer, filters=filters)["id"]
        )

    assert ids("negative") == {apps.ccas_93}
    assert ids("") == {apps.saint_etienne, apps.montreuil, apps.association_93}
    assert ids("", "negative") == ids()
    # Drafts never wait for an opinion: « sans avis » leaves them out even unfiltered by state.
    every_state = ReviewFilters(opinions=("",))
    listed = review_listing.list_applications(session=session, user=reviewer, filters=every_state)
    assert apps.draft_93 not in set(listed["id"])
    content, _ = export_listing(
        session=session, user=reviewer, filters=ReviewFilters(opinions=("negative",)), fmt="csv"
    )
    text = content.decode("utf-8-sig")
    assert "Avis du préfet;Conseillers soutenus;Date de l'avis" in text
    assert "Avis négatif;0;10/02/2021" in text


def test_progress_per_department_and_late_departments(session, pref93, reviewer, apps):
    _give(session, pref93, apps.ccas_93)
    board = prefecture.progress(session=session, user=reviewer, today=dt.date(2021, 3, 1))
    by_department = board.by_department.set_index("Département")
    assert by_department.loc["93 — Seine-Saint-Denis", "Avec avis"] == 1
    assert by_department.loc["93 — Seine-Saint-Denis", "Sans avis"] == 2
    assert by_department.loc["42 — Loire", "Sans avis"] == 1
    assert board.late_departments == []  # deadlines not passed on 1 March
    late = prefecture.progress(session=session, user=reviewer, today=dt.date(2021, 3, 27))
    assert late.late_departments == ["42 — Loire", "93 — Seine-Saint-Denis"]
    # The prefecture sees its own departments only.
    own = prefecture.progress(session=session, user=pref93, today=dt.date(2021, 3, 1))
    assert list(own.by_department["Département"]) == ["93 — Seine-Saint-Denis"]
    assert (own.answered, own.to_answer) == (1, 2)
    assert set(own.by_list["Avis attendus le"]) == {dt.date(2021, 3, 26)}


def test_xlsx_listing_carries_the_opinion_as_text_number_and_date(session, pref93, reviewer, apps):
    import io

    import openpyxl

    _give(session, pref93, apps.ccas_93)
    content, _ = export_listing(
        session=session, user=reviewer, filters=ReviewFilters(opinions=("negative",)), fmt="xlsx"
    )
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert ws.max_row == 2
    assert row["Avis du préfet"] == "Avis négatif" and row["Conseillers soutenus"] == 0
    assert isinstance(row["Date de l'avis"], dt.datetime) and row["Date de l'avis"].date() == TODAY
