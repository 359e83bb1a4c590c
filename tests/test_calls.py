"""Call files: every shipped file loads; a broken file names the file and the field."""

from __future__ import annotations

import shutil

import pytest
import yaml

from core.calls import CALLS_DIR, CallFileError, load_call_file, load_calls


def test_shipped_calls_load_with_their_parameters():
    calls = load_calls()
    wave1 = calls["cnfs-2020-collectivites"]
    assert wave1.amount_per_post.value == 50_000
    assert [t.percent for t in wave1.tranches] == [20, 30, 50]
    assert wave1.contract.months == [24, 36]
    assert wave1.review.day_of_month == 15
    assert calls["cnfs-2021-structures-privees"].opens_on.isoformat() == "2021-02-01"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("title"), "« title »"),
        (lambda d: d["tranches"][0].update(percent=25), "tranches"),
        (lambda d: d["amount_per_post"].update(value="cinquante mille"), "amount_per_post.value"),
        (lambda d: d["eligible_structure_types"].update(mairie={}), "eligible_structure_types"),
    ],
)
def test_a_broken_call_file_names_file_and_field(tmp_path, mutate, expected):
    source = CALLS_DIR / "cnfs-2020-collectivites.yaml"
    data = yaml.safe_load(source.read_text("utf-8"))
    mutate(data)
    broken = tmp_path / "cnfs-2020-collectivites.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CallFileError) as exc:
        load_call_file(broken)
    assert "cnfs-2020-collectivites.yaml" in str(exc.value)
    assert expected in str(exc.value)


def test_file_name_must_match_call_id(tmp_path):
    shutil.copy(CALLS_DIR / "cnfs-2020-collectivites.yaml", tmp_path / "autre.yaml")
    with pytest.raises(CallFileError, match="différent du nom du fichier"):
        load_call_file(tmp_path / "autre.yaml")


def _load_changed(tmp_path, mutate):
    source = CALLS_DIR / "cnfs-2020-collectivites.yaml"
    data = yaml.safe_load(source.read_text("utf-8"))
    mutate(data)
    changed = tmp_path / "cnfs-2020-collectivites.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_call_file(changed)


def test_messages_quote_the_figures_of_the_call_file(tmp_path):
    call = _load_changed(
        tmp_path,
        lambda d: (
            d["amount_per_post"].update(value=55_000),
            d["territorial_agreements"][0].update(max_posts=90, max_eur=4_500_000),
        ),
    )
    assert "plafonné à 55\u202f000\xa0€ par poste" in call.coordinator.message
    assert (
        "jusqu'à 90 conseillers, 4\u202f500\u202f000\xa0€" in call.territorial_agreements[0].message
    )


def test_a_message_quoting_an_unknown_figure_names_file_and_field(tmp_path):
    with pytest.raises(CallFileError) as exc:
        _load_changed(
            tmp_path,
            lambda d: d["coordinator"].update(message="Au plus {amount_per_post.plafond}."),
        )
    assert str(exc.value).startswith("cnfs-2020-collectivites.yaml : champ « coordinator.message »")
