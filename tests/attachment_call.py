"""A test-only call with file questions, loaded through the shipped loaders (the shipped CNFS
calls ask for no file): the private-structures call under another id and kind, and the
cnfs_host questionnaire plus the file questions of tests/cases/attachments/pieces.yaml,
judged by the cnfs_host rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core import calls, questionnaire, rules
from core.storage import Role

PIECES_CALL = "test-pieces-jointes"
PIECES_KIND = "test_pieces"
_EXTRA = Path(__file__).parent / "cases" / "attachments" / "pieces.yaml"


def write_pieces_call(root: Path) -> tuple[Path, Path]:
    """Copies of the shipped calls and questionnaires, plus the test call, under root."""
    calls_dir, questionnaires_dir = root / "calls", root / "questionnaires"
    calls_dir.mkdir()
    questionnaires_dir.mkdir()
    for source in calls.CALLS_DIR.glob("*.yaml"):
        (calls_dir / source.name).write_text(source.read_text(encoding="utf-8"), "utf-8")
    for source in questionnaire.QUESTIONNAIRES_DIR.glob("*.yaml"):
        (questionnaires_dir / source.name).write_text(source.read_text(encoding="utf-8"), "utf-8")
    call = yaml.safe_load(
        (calls.CALLS_DIR / "cnfs-2021-structures-privees.yaml").read_text("utf-8")
    )
    call.update(id=PIECES_CALL, kind=PIECES_KIND, short_title="Appel de test (pièces jointes)")
    (calls_dir / f"{PIECES_CALL}.yaml").write_text(
        yaml.safe_dump(call, allow_unicode=True), "utf-8"
    )
    extra = yaml.safe_load(_EXTRA.read_text(encoding="utf-8"))
    host = yaml.safe_load((questionnaire.QUESTIONNAIRES_DIR / "cnfs_host.yaml").read_text("utf-8"))
    host["kind"] = PIECES_KIND
    host["questions"].extend(extra["questions"])
    host["document"].append(extra["document"])
    (questionnaires_dir / f"{PIECES_KIND}.yaml").write_text(
        yaml.safe_dump(host, allow_unicode=True, sort_keys=False), "utf-8"
    )
    return calls_dir, questionnaires_dir


@pytest.fixture
def pieces_call(tmp_path_factory, monkeypatch):
    """The test call's id, loaded in place of the shipped calls for this test."""
    calls_dir, questionnaires_dir = write_pieces_call(tmp_path_factory.mktemp("pieces"))
    monkeypatch.setattr(calls, "CALLS_DIR", calls_dir)
    monkeypatch.setattr(questionnaire, "QUESTIONNAIRES_DIR", questionnaires_dir)
    monkeypatch.setitem(rules.RULESETS, PIECES_KIND, rules.RULESETS["cnfs_host"])
    calls.clear_cache()
    questionnaire.clear_cache()
    yield PIECES_CALL
    monkeypatch.undo()
    calls.clear_cache()
    questionnaire.clear_cache()


@pytest.fixture
def pieces_reviewer(session, pieces_call):
    """A reviewer whose scope holds the test call (overrides conftest's CNFS-only reviewer)."""
    from tests.conftest import _user

    calls_ = f"cnfs-2020-collectivites,{pieces_call}"
    return _user(session, "instructeur@anct.gouv.fr", "Instructeur", Role.REVIEWER, calls_)


@pytest.fixture
def reviewer_of_another_call(session, pieces_call):
    """A reviewer of the CNFS calls only: the test call's files are not theirs to read."""
    from tests.conftest import _user

    calls_ = "cnfs-2020-collectivites,cnfs-2021-structures-privees"
    return _user(session, "autre@anct.gouv.fr", "Autre instructeur", Role.REVIEWER, calls_)
