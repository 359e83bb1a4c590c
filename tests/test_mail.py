"""Mail for real: a real SMTP server (aiosmtpd) receives what the portal sends, on both DBs."""

from __future__ import annotations

import datetime as dt
import io
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core import (
    account_links,
    accounts,
    auth,
    journey,
    mail,
    mail_events,
    notifications,
    outbox,
    pdf,
    rules,
    storage,
)
from core.calls import get_call
from core.db import OutboxRow, session_scope
from core.formatting import format_date_fr
from core.settings import SettingsError, get_settings
from core.storage import EmailNotConfirmed, Role, get_submission
from tests.builders import SIGNED
from tests.conftest import TEST_PASSWORD
from tests.mailbox import Mailbox

TODAY = dt.date(2021, 1, 14)
BASE_URL = "https://candidature.exemple.gouv.fr"


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def settings_env(monkeypatch, database_url, engine, mailbox):
    """Production settings sending to the test's SMTP server."""
    env = {
        "CNFS_DATABASE_URL": database_url,
        "CNFS_DEMO": "0",
        "CNFS_BASE_URL": BASE_URL,
        **mailbox.env(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return get_settings(require_cookie_key=False)


def _unconfirmed(session, email="secretariat@mairie-pantin.fr"):
    user = accounts.create_user(
        session=session, email=email, name="Secrétariat de Pantin", password=TEST_PASSWORD
    )
    session.commit()
    return user


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["jeton"][0]


def test_the_sender_delivers_french_text_and_a_pdf(mailbox, settings_env):
    content = b"%PDF-1.4 pas vraiment un PDF"
    mail.send(
        mail.Mail(
            recipients=["maire@exemple.fr"],
            subject="Accusé de réception — dossier CNFS-2021-000001",
            body="Votre candidature a bien été déposée : numéro CNFS-2021-000001.",
            attachment_name="CNFS-2021-000001.pdf",
            attachment=content,
        ),
        settings_env.mail,
    )
    [received] = mailbox.received
    assert received.envelope_to == ["maire@exemple.fr"]
    assert received.subject == "Accusé de réception — dossier CNFS-2021-000001"
    assert "a bien été déposée" in received.body
    assert received.attachments() == [("CNFS-2021-000001.pdf", content)]
    assert received.message["From"] == "Portail CNFS <ne-pas-repondre@cnfs.exemple.fr>"


def test_a_confirmation_link_confirms_the_address_once(engine, session, mailbox, settings_env):
    user = _unconfirmed(session)
    mail_events.request_email_confirmation(session=session, user=user)
    session.commit()
    assert outbox.deliver(engine, settings_env.mail).sent == 1

    received = mailbox.wait_for(user.email, "Confirmez votre adresse")
    assert "Bonjour Secrétariat de Pantin" in received.body
    link = received.link(mail_events.CONFIRM_PATH)
    assert link.startswith(f"{BASE_URL}/confirmer-adresse?jeton=")  # from settings only
    assert not account_links.is_confirmed(session=session, user_id=user.id)

    assert account_links.confirm_email(session=session, token=_token(link)).id == user.id
    session.commit()
    assert account_links.is_confirmed(session=session, user_id=user.id)
    assert account_links.confirm_email(session=session, token=_token(link)) is None
    # Once sent, the outbox keeps no live link: a copy of the database opens nothing.
    row = session.execute(select(OutboxRow)).scalar_one()
    assert (row.status, row.body, row.action_url) == ("sent", None, None)


@pytest.mark.parametrize("token", [None, "", "court", "x" * 43, "é" * 43, "a" * 5000])
def test_a_forged_or_odd_token_confirms_nothing(session, applicant, token):
    assert account_links.confirm_email(session=session, token=token) is None


def test_an_unconfirmed_applicant_prepares_but_cannot_submit(
    engine, session, mailbox, settings_env, make_application
):
    user = _unconfirmed(session)
    record = storage.create_application(
        session=session, user=user, call_id="cnfs-2020-collectivites", data=make_application()
    )
    session.commit()
    with pytest.raises(EmailNotConfirmed, match="Confirmez d'abord votre adresse"):
        journey.submit(
            session=session,
            user=user,
            application_id=record.id,
            expected_version=record.version,
            today=TODAY,
            declaration=SIGNED,
        )
    session.rollback()

    mail_events.request_email_confirmation(session=session, user=user)
    session.commit()
    outbox.deliver(engine, settings_env.mail)
    link = mailbox.wait_for(user.email, "Confirmez").link(mail_events.CONFIRM_PATH)
    account_links.confirm_email(session=session, token=_token(link))
    session.commit()
    submission, _ = journey.submit(
        session=session,
        user=user,
        application_id=record.id,
        expected_version=record.version,
        today=TODAY,
        declaration=SIGNED,
    )
    assert submission.dossier_number.startswith("CNFS-")


def _submit(session, applicant, make_application, **changes):
    record = storage.create_application(
        session=session,
        user=applicant,
        call_id="cnfs-2020-collectivites",
        data=make_application(**changes),
    )
    submission, content = journey.submit(
        session=session,
        user=applicant,
        application_id=record.id,
        expected_version=record.version,
        today=TODAY,
        declaration=SIGNED,
    )
    session.commit()
    return submission, content


def test_the_deposit_acknowledgement_reaches_account_and_contact_with_the_pdf(
    engine, session, applicant, mailbox, settings_env, make_application
):
    submission, content = _submit(
        session, applicant, make_application, contact__email="Camille.Martin@Mairie-Saint-Denis.fr"
    )
    assert outbox.deliver(engine, settings_env.mail).sent == 1

    [received] = mailbox.received
    assert sorted(received.envelope_to) == sorted(
        [applicant.email, "camille.martin@mairie-saint-denis.fr"]
    )
    assert received.subject == f"Accusé de réception — dossier {submission.dossier_number}"
    assert f"Numéro de dossier : {submission.dossier_number}" in received.body
    review = submission.verdict.review_date
    assert review is not None
    assert f"Date d'examen prévue : {format_date_fr(review)}" in received.body
    assert "« Commune de Saint-Denis »" in received.body
    [(name, attached)] = received.attachments()
    assert name == f"{submission.dossier_number}.pdf"
    # The very PDF whose hash the submission recorded, and it reads as the dossier.
    assert (
        pdf.pdf_sha256(attached)
        == get_submission(
            session=session, user=applicant, application_id=submission.application_id
        ).pdf_sha256
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(attached)).pages)
    assert submission.dossier_number in text
    assert content == attached


def test_the_contact_is_not_mailed_twice_when_it_is_the_account(
    engine, session, applicant, mailbox, settings_env, make_application
):
    _submit(session, applicant, make_application, contact__email=applicant.email.upper())
    outbox.deliver(engine, settings_env.mail)
    assert [r.envelope_to for r in mailbox.received] == [[applicant.email]]


def test_a_mail_server_down_loses_no_deposit_and_the_mail_follows(
    engine, session, applicant, settings_env, make_application, monkeypatch
):
    down = Mailbox()  # its port is free: nobody answers there yet
    monkeypatch.setenv("CNFS_SMTP_PORT", str(down.port))
    mail_settings = get_settings(require_cookie_key=False).mail
    submission, _ = _submit(session, applicant, make_application)

    report = outbox.deliver(engine, mail_settings)
    assert (report.sent, report.failed) == (0, 1)
    # The deposit stands, and its acknowledgement waits with a retry date.
    assert get_submission(
        session=session, user=applicant, application_id=submission.application_id
    ).dossier_number
    status = outbox.latest(
        session=session,
        kind=mail_events.DEPOSIT_ACKNOWLEDGEMENT,
        application_id=submission.application_id,
    )
    assert (status.status, status.attempts) == ("pending", 1)
    assert status.next_attempt_at > status.created_at
    # Not due yet: nothing is attempted.
    assert outbox.deliver(engine, mail_settings).failed == 0

    down.start()
    try:
        later = status.next_attempt_at + dt.timedelta(seconds=1)
        assert outbox.deliver(engine, mail_settings, now=later).sent == 1
        received = down.wait_for(applicant.email, submission.dossier_number)
        assert received.attachments()[0][0] == f"{submission.dossier_number}.pdf"
    finally:
        down.stop()
    session.expire_all()
    status = outbox.latest(
        session=session,
        kind=mail_events.DEPOSIT_ACKNOWLEDGEMENT,
        application_id=submission.application_id,
    )
    assert (status.status, status.attempts) == ("sent", 2)


def test_retry_delays_grow_then_stay_at_six_hours():
    delays = [outbox.retry_delay(n) for n in range(1, 10)]
    assert delays == sorted(delays)
    assert delays[0] == dt.timedelta(minutes=1) and delays[-1] == dt.timedelta(hours=6)


def test_two_senders_at_once_send_a_mail_once(engine, session, applicant, mailbox, settings_env):
    notifications.account_locked(applicant, session=session)
    for _ in range(mail_events.CONFIRMATIONS_PER_HOUR):
        mail_events.request_email_confirmation(session=session, user=applicant)
    session.commit()
    barrier = threading.Barrier(4)
    reports = []

    def sender():
        barrier.wait()
        reports.append(outbox.deliver(engine, settings_env.mail))

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 6
    assert len(mailbox.received) == 6
    assert len({r.message["Message-ID"] for r in mailbox.received}) == 6


def test_password_reset_by_link(engine, session, applicant, mailbox, settings_env):
    version = auth.session_version(session=session, user_id=applicant.id)
    mail_events.password_reset_requested(
        session=session, email="  SECRETARIAT@mairie-saint-denis.fr"
    )
    session.commit()
    outbox.deliver(engine, settings_env.mail)
    received = mailbox.wait_for(applicant.email, "nouveau mot de passe")
    assert "ne sert qu'une fois" in received.body
    token = _token(received.link(mail_events.RESET_PATH))

    with pytest.raises(accounts.AccountError):  # a refused password keeps the link usable
        account_links.reset_password(session=session, token=token, new_password="court")
    assert (
        account_links.peek(
            session=session, token=token, purpose=account_links.Purpose.RESET_PASSWORD
        ).id
        == applicant.id
    )
    account_links.reset_password(session=session, token=token, new_password="nouveau-secret-2021")
    session.commit()
    # Every login of the account ends; the new password works, the old one no longer.
    assert auth.check_session(session=session, user_id=applicant.id, version=version) is None
    assert auth.attempt_login(
        session=session, email=applicant.email, password="nouveau-secret-2021"
    ).ok
    assert not auth.attempt_login(session=session, email=applicant.email, password=TEST_PASSWORD).ok
    with pytest.raises(accounts.AccountError, match="plus valable"):
        account_links.reset_password(session=session, token=token, new_password="autre-secret-2021")


def test_a_reset_link_expires_within_an_hour(session, applicant):
    now = dt.datetime(2021, 1, 14, 9, 0, tzinfo=dt.UTC)
    token, expires = account_links.issue(
        session=session, user_id=applicant.id, purpose=account_links.Purpose.RESET_PASSWORD, now=now
    )
    assert expires - now <= dt.timedelta(hours=1)
    with pytest.raises(accounts.AccountError):
        account_links.reset_password(
            session=session,
            token=token,
            new_password="nouveau-2021-x",
            now=expires + dt.timedelta(seconds=1),
        )
    account_links.reset_password(
        session=session,
        token=token,
        new_password="nouveau-2021-x",
        now=expires - dt.timedelta(minutes=1),
    )


def test_using_a_reset_link_revokes_the_other_ones(session, applicant):
    purpose = account_links.Purpose.RESET_PASSWORD
    first, _ = account_links.issue(session=session, user_id=applicant.id, purpose=purpose)
    second, _ = account_links.issue(session=session, user_id=applicant.id, purpose=purpose)
    account_links.reset_password(session=session, token=second, new_password="nouveau-2021-x")
    assert account_links.peek(session=session, token=first, purpose=purpose) is None


def test_a_reset_for_an_unknown_address_records_nothing(session, applicant):
    mail_events.password_reset_requested(session=session, email="personne@exemple.fr")
    assert session.execute(select(OutboxRow)).first() is None


def test_reset_requests_are_limited_per_hour(session, applicant):
    for _ in range(mail_events.RESET_REQUESTS_PER_HOUR + 3):
        mail_events.password_reset_requested(session=session, email=applicant.email)
    rows = session.execute(select(OutboxRow)).scalars().all()
    assert len(rows) == mail_events.RESET_REQUESTS_PER_HOUR


def test_one_reset_link_used_from_many_tabs_at_once_works_once(engine, session, applicant):
    token, _ = account_links.issue(
        session=session, user_id=applicant.id, purpose=account_links.Purpose.RESET_PASSWORD
    )
    session.commit()
    tabs = 8
    barrier = threading.Barrier(tabs)
    outcomes: list[str] = []

    def use(n: int) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as s:
                account_links.reset_password(
                    session=s, token=token, new_password=f"onglet-{n}-secret-2021"
                )
            outcomes.append(f"onglet-{n}-secret-2021")
        except accounts.AccountError:
            outcomes.append("refusé")

    threads = [threading.Thread(target=use, args=(n,)) for n in range(tabs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o != "refusé"]
    assert len(winners) == 1 and len(outcomes) == tabs
    session.expire_all()
    assert auth.attempt_login(session=session, email=applicant.email, password=winners[0]).ok


def test_the_owner_is_told_when_the_account_gets_locked(
    engine, session, reviewer, mailbox, settings_env
):
    for _ in range(auth.MAX_FAILED_LOGINS):
        outcome = auth.attempt_login(session=session, email=reviewer.email, password="mauvais")
    session.commit()
    assert outcome.locked_until is not None
    outbox.deliver(engine, settings_env.mail)
    received = mailbox.wait_for(reviewer.email, "suspendues depuis une adresse")
    assert "Mot de passe oublié ?" in received.body
    assert "depuis l'adresse réseau inconnue" in received.body  # no source in this test
    assert "Depuis votre appareil habituel, vous pouvez toujours vous connecter." in received.body
    assert "heure de Paris" in received.body
    assert BASE_URL in received.body
    # Locked again within the hour: no second notice (an attacker cannot flood the owner).
    for _ in range(auth.MAX_FAILED_LOGINS):
        auth.attempt_login(
            session=session,
            email=reviewer.email,
            password="mauvais",
            now=outcome.locked_until + dt.timedelta(seconds=1),
        )
    session.commit()
    outbox.deliver(engine, settings_env.mail)
    assert len(mailbox.to(reviewer.email)) == 1


def test_the_lockout_hook_works_without_a_session(engine, session, reviewer, settings_env):
    assert notifications.account_locked(reviewer) is not None
    assert (
        outbox.latest(session=session, kind=mail_events.ACCOUNT_LOCKED, user_id=reviewer.id).status
        == "pending"
    )


def test_outbox_only_mode_records_and_never_sends(
    engine, session, applicant, mailbox, monkeypatch, database_url
):
    monkeypatch.setenv("CNFS_DATABASE_URL", database_url)
    monkeypatch.setenv("CNFS_DEMO", "0")
    monkeypatch.delenv("CNFS_SMTP_HOST", raising=False)
    settings = get_settings(require_cookie_key=False)
    assert settings.mail.outbox_only
    mail_events.request_email_confirmation(session=session, user=applicant, settings=settings)
    session.commit()
    assert outbox.deliver(engine, settings.mail).sent == 0
    [entry] = outbox.recent(session=session)
    assert entry.status == "pending" and entry.action_url and entry.action_url in entry.body
    assert mailbox.received == []


PROD = {"CNFS_DATABASE_URL": "postgresql+psycopg://cnfs@db/cnfs", "CNFS_DEMO": "0"}


def test_demo_mode_keeps_mail_in_the_outbox_even_with_a_server(tmp_path):
    env = {"CNFS_DATA_DIR": str(tmp_path), "CNFS_SMTP_HOST": "smtp.exemple.fr"}
    assert get_settings(env=env).mail.outbox_only


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"CNFS_SMTP_HOST": "smtp.exemple.fr"}, "CNFS_BASE_URL"),
        ({"CNFS_SMTP_HOST": "smtp.exemple.fr", "CNFS_BASE_URL": "candidature.fr"}, "CNFS_BASE_URL"),
        ({"CNFS_SMTP_SECURITY": "tls13"}, "CNFS_SMTP_SECURITY"),
        ({"CNFS_SMTP_PORT": "８７"}, "CNFS_SMTP_PORT"),
        (
            {
                "CNFS_SMTP_HOST": "smtp.exemple.fr",
                "CNFS_SMTP_SECURITY": "none",
                "CNFS_SMTP_USER": "cnfs",
                "CNFS_BASE_URL": BASE_URL,
            },
            "sans chiffrement",
        ),
    ],
)
def test_mail_settings_refused(extra, message):
    with pytest.raises(SettingsError, match=message):
        get_settings(env=PROD | extra, require_cookie_key=False)


def test_mail_settings_defaults_by_security():
    env = PROD | {"CNFS_SMTP_HOST": "smtp.exemple.fr", "CNFS_BASE_URL": BASE_URL + "/"}
    settings = get_settings(env=env, require_cookie_key=False)
    assert (settings.mail.smtp_security, settings.mail.smtp_port) == ("starttls", 587)
    assert settings.base_url == BASE_URL and not settings.mail.outbox_only
    ssl = get_settings(env=env | {"CNFS_SMTP_SECURITY": "ssl"}, require_cookie_key=False)
    assert ssl.mail.smtp_port == 465


def test_staff_created_by_the_command_line_are_confirmed(session):
    user = accounts.create_user(
        session=session,
        email="i@anct.gouv.fr",
        name="I",
        password=TEST_PASSWORD,
        role=Role.REVIEWER,
        email_confirmed=True,
        calls="cnfs-2020-collectivites",
    )
    assert account_links.is_confirmed(session=session, user_id=user.id)


def test_the_command_line_counts_and_sends_what_waits(
    session, applicant, mailbox, settings_env, capsys
):
    from core.mail_cli import mail_main

    mail_events.request_email_confirmation(session=session, user=applicant)
    session.commit()
    assert mail_main(["status"]) == 0
    assert "Courriels en attente d'envoi : 1." in capsys.readouterr().out
    assert mail_main(["retry"]) == 0
    assert "Envoyés : 1." in capsys.readouterr().out
    mailbox.wait_for(applicant.email, "Confirmez votre adresse")
    assert mail_main(["status"]) == 0
    assert "Courriels en attente d'envoi : 0." in capsys.readouterr().out


def test_the_retry_loop_sends_when_kicked(engine, session, applicant, mailbox, settings_env):
    loop = outbox.RetryLoop(engine, settings_env.mail).start()
    try:
        mail_events.password_reset_requested(session=session, email=applicant.email)
        session.commit()
        loop.kick()  # what the « Mot de passe oublié ? » page does after its commit
        mailbox.wait_for(applicant.email, "nouveau mot de passe", timeout_s=20)
    finally:
        loop.stop()


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1, and an SSL context of clients that trust only it."""
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return server, cert_file


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_login_and_a_verified_certificate(tmp_path, monkeypatch, security):
    import ssl

    from aiosmtpd.smtp import AuthResult

    server_tls, cert_file = _self_signed(tmp_path)
    box = Mailbox()
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"secret-smtp-2021")

    box.start_tls(server_tls, authenticator, implicit=security == "ssl")
    try:
        settings = get_settings(
            env=PROD
            | box.env()
            | {
                "CNFS_SMTP_SECURITY": security,
                "CNFS_SMTP_USER": "cnfs",
                "CNFS_SMTP_PASSWORD": "secret-smtp-2021",
                "CNFS_BASE_URL": BASE_URL,
            },
            require_cookie_key=False,
        )
        message = mail.Mail(recipients=["maire@exemple.fr"], subject="Essai", body="Bonjour.")
        # Without the test certificate in the trust store, the server is refused.
        with pytest.raises(mail.MailError, match="CERTIFICATE_VERIFY_FAILED"):
            mail.send(message, settings.mail)
        assert box.received == []
        trusting = ssl.create_default_context(cafile=str(cert_file))
        monkeypatch.setattr(mail.ssl, "create_default_context", lambda: trusting)
        mail.send(message, settings.mail)
        assert logins[-1] == (b"cnfs", b"secret-smtp-2021")
        assert box.wait_for("maire@exemple.fr", "Essai").body.strip() == "Bonjour."
    finally:
        box.stop()


# --- someone registers an address that already has an account ----------------------------------


def test_registering_a_taken_address_mails_its_owner_a_reset_link(
    engine, session, applicant, mailbox, settings_env
):
    taken = accounts.register(
        session=session, email=applicant.email.upper(), name="Intrus", password="cheval-agrafe-7-x"
    )
    session.commit()
    assert taken is None  # the screen says the same as for a new address (test_accounts.py)
    assert outbox.deliver(engine, settings_env.mail).sent == 1

    received = mailbox.wait_for(applicant.email, "Tentative de création d'un compte")
    assert "Quelqu'un a essayé de créer un compte" in received.body
    assert "votre mot de passe n'a pas changé" in received.body
    assert "Intrus" not in received.body  # nothing the visitor typed is mailed back
    assert f"connectez-vous avec votre mot de passe habituel :\r\n{BASE_URL}" in received.body
    link = received.link(mail_events.RESET_PATH)
    assert link.startswith(f"{BASE_URL}/mot-de-passe-oublie?jeton=")
    # The link is a real reset link of the owner's account, single use.
    account_links.reset_password(
        session=session, token=_token(link), new_password="nouveau-secret-2021"
    )
    session.commit()
    assert auth.attempt_login(
        session=session, email=applicant.email, password="nouveau-secret-2021"
    ).ok
    with pytest.raises(accounts.AccountError, match="plus valable"):
        account_links.reset_password(
            session=session, token=_token(link), new_password="autre-secret-2021"
        )


def test_repeated_attempts_on_a_taken_address_mail_its_owner_once_an_hour(
    engine, session, applicant, mailbox, settings_env
):
    for _ in range(3):
        accounts.register(
            session=session, email=applicant.email, name="Intrus", password="cheval-agrafe-7-x"
        )
        session.commit()
    assert outbox.deliver(engine, settings_env.mail).sent == 1
    mailbox.wait_for(applicant.email, "Tentative de création")
    assert len(mailbox.to(applicant.email)) == 1


def test_a_new_address_gets_its_confirmation_not_the_attempt_notice(
    engine, session, mailbox, settings_env
):
    user = accounts.register(
        session=session, email="nouveau@mairie-bondy.fr", name="Lou", password="cheval-agrafe-7-x"
    )
    mail_events.request_email_confirmation(session=session, user=user)  # as pages/register.py
    session.commit()
    assert outbox.deliver(engine, settings_env.mail).sent == 1
    (received,) = [mailbox.wait_for(user.email, "Confirmez votre adresse")]
    assert len(mailbox.to(user.email)) == 1
    assert "Tentative" not in received.subject


def test_a_93_acknowledgement_announces_no_review_date(
    engine, session, applicant, mailbox, settings_env
):
    # The Département examines its AMI without a monthly review: no date, and no ANCT.
    from core.models import Application
    from tests.builders import CD93, CD93_TODAY, complete_project

    call = get_call(CD93)
    data = Application.model_validate(complete_project())
    record = storage.create_application(session=session, user=applicant, call_id=CD93, data=data)
    submission = storage.submit_application(
        session=session,
        user=applicant,
        application_id=record.id,
        expected_version=record.version,
        verdict=rules.evaluate(data, call, CD93_TODAY),
        call_version=call.version,
        commitments_version=call.commitments_version,
    )
    mail_events.deposit_acknowledged(
        session=session, user=applicant, submission=submission, call=call, pdf=b"%PDF-1.7"
    )
    session.commit()
    assert outbox.deliver(engine, settings_env.mail).sent == 1
    [received] = mailbox.received
    body = received.body.replace("\r\n", "\n")
    assert f"Numéro de dossier : {submission.dossier_number}\n\nLe dossier" in body
    assert "Date d'examen" not in body and "ANCT" not in body
