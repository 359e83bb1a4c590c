"""Shared page helpers: settings, database sessions, the logged-in user, the auth cookie."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st
from sqlalchemy.orm import Session

from core import auth, clock, downloads
from core.db import get_engine, session_scope
from core.settings import Settings, get_settings
from core.storage import ROLE_LABELS_FR, Role, User

if TYPE_CHECKING:  # imported when used: a new visitor's login form needs neither (~2.5 s cold)
    import pandas as pd
    from streamlit_authenticator.controllers import CookieController

_AUTH = "_cnfs_auth"  # the auth.SessionTicket of the logged-in user of this browser tab
_USER = "_cnfs_user"  # the User checked against the database on this run
_COOKIE_OP = "_cnfs_cookie_op"  # ("set", token) or ("delete", None), applied on the next run
_LOGGED_OUT = "_cnfs_logged_out"  # ignore the cookie the browser sent when this tab opened
_FLASH = "_cnfs_flash"  # a message to show once on the next page
_HOME_PAGE = "_cnfs_home_page"  # the first page of the logged-in user's menu


def load_settings() -> Settings:
    """Settings, with the cookie key and SMTP password from st.secrets when set there."""
    try:
        key = st.secrets.get("cookie_key")
        smtp_password = st.secrets.get("smtp_password")
    except Exception:  # no secrets.toml at all: the environment decides
        key = smtp_password = None
    return get_settings(cookie_key=key, smtp_password=smtp_password)


@st.cache_resource(show_spinner=False)
def start_preparation(url: str, demo_mode: bool) -> Future[bool]:
    """Once per process, in the background: migrations, demo data, warm caches (core.warmup).

    Started before the server serves (streamlit_app.warm_up_at_start), or else by the first
    run; the login form does not wait for it; the first page that opens the database does
    (db). Here, not in streamlit_app.py: Streamlit keys its cache by module, and that file is
    both imported at start and run as "__main__" by every session.
    """
    from core import warmup

    return warmup.start(url, demo_mode, then=warm_streamlit)


_preparation: tuple[Callable[[], Future[bool]], Callable[[], None]] | None = None
_PREPARATION_WAIT_S = 300.0


def prepare_with(start: Callable[[], Future[bool]], forget: Callable[[], None]) -> None:
    """streamlit_app.py says how to start (once) the preparation that db() waits for, and how
    to forget a failed one so that the next page tries again (a database back up)."""
    global _preparation
    _preparation = (start, forget)


def warm_streamlit() -> None:
    """What Streamlit loads on first use, loaded by the warm-up thread instead of the first
    reviewer after a start: altair for st.bar_chart (about 0.9 s to import here) and the emoji
    table behind an alert's icon (0.1 s)."""
    import altair  # noqa: F401
    from streamlit import string_util

    string_util.validate_emoji("ℹ️")


@contextmanager
def db() -> Iterator[Session]:
    """A database session for a page: committed at the end, rolled back on error."""
    if _preparation is not None:
        start, forget = _preparation
        ready = start()
        if not ready.done():
            with st.spinner("Préparation de la base de données…", show_time=True):
                ready.exception(timeout=_PREPARATION_WAIT_S)
        failure = ready.exception()
        if failure is not None:
            forget()
            raise failure
    # Only the URL is needed: st.secrets (the cookie key) is not parsed again, under its lock,
    # for each of the few sessions a rerun opens.
    with session_scope(get_engine(get_settings(require_cookie_key=False).database_url)) as session:
        yield session


@st.cache_resource
def _script(name: str) -> str:
    return (Path(__file__).parent / "assets" / name).read_text(encoding="utf-8")


def french_ui() -> None:
    """Put Streamlit's own English interface strings into French in the browser (every run)."""
    st.html(f"<script>{_script('french_ui.js')}</script>", unsafe_allow_javascript=True)


def autosave_typing() -> None:
    """On this page, text being typed is applied (and so saved) a second after the last key,
    and the page reloads when its connection opens again (pages/assets/reconnect.js)."""
    st.html(
        "<span data-cnfs-autosave hidden></span>"
        f"<script>{_script('autosave.js')}</script><script>{_script('reconnect.js')}</script>",
        unsafe_allow_javascript=True,
    )


def current_user() -> User | None:
    """The logged-in user of this tab, as checked at the start of this run."""
    return st.session_state.get(_USER)


_app_has_run = False
_ROUTED_PAGE = "_cnfs_routed_page"  # the page file streamlit_app.py chose for this run
_AFTER_LOGIN = "_cnfs_after_login"
_FLASH_SHOWN = "_cnfs_flash_shown"  # (page file, query parameters) to reopen after login
LOGIN_PAGE = "pages/login.py"


def go_after_login() -> None:
    """Reopen the page a visitor asked for before logging in, if any; else rerun."""
    target = st.session_state.pop(_AFTER_LOGIN, None)
    if target is None:
        st.rerun()
    page, params = target
    st.switch_page(page, query_params=params)


def mark_app_run(page_path: str, home_page: str) -> None:
    """Called by streamlit_app.py once it has set up navigation and chosen the page."""
    global _app_has_run
    _app_has_run = True
    st.session_state[_ROUTED_PAGE] = page_path
    st.session_state[_HOME_PAGE] = home_page


def ensure_routed() -> None:
    """Send a page run that bypassed streamlit_app.py through it (and its login gate).

    Until some session has called st.navigation, a fresh Streamlit server treats pages/ as a
    legacy multipage folder and runs pages/<name>.py straight from the URL: so does the first
    run of a tab that reconnects to a restarted server. Leaving that mode the way st.navigation
    does and rerunning keeps the page, its query parameters and the values the browser sent
    (st.switch_page would drop all three: the first edit after a restart was lost).
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory and not _app_has_run:
        PagesManager.uses_pages_directory = False  # every run now starts at streamlit_app.py
        st.rerun()


def browser_sent_value(key: str) -> bool:
    """Whether the browser sent a value for the widget `key` that this session has not yet
    drawn: a tab reconnected to a restarted server reports what it shows, and until the widget
    is drawn `key in st.session_state` is False. Setting the key then would overwrite it."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.state.common import is_keyed_element_id, user_key_from_element_id

    ctx = get_script_run_ctx()
    try:
        ids = ctx.session_state._state._new_widget_state.states.keys()  # type: ignore[union-attr]
    except AttributeError:  # no run context (bare mode) or another Streamlit version
        return False
    return any(is_keyed_element_id(i) and user_key_from_element_id(i) == key for i in ids)


def fragments_this_run() -> list[str]:
    """The fragments this run redraws alone (a widget inside one changed; several when the
    browser's requests were merged); empty for a run of the page, in which a callback must
    not name fragments to redraw (they would replace the page asked for)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return list(ctx.fragment_ids_this_run or []) if ctx is not None else []


def page_requested() -> str:
    """The script hash of the page this run draws (another than a callback's form's own when
    a page link was clicked with an answer pending)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx is not None else ""


def recheck_user(session: Session | None = None) -> User | None:
    """This tab's login checked again now, for a run the login gate did not see (a fragment's);
    None when it has ended (logout elsewhere, password changed, expiry). In `session` when
    given: the check and the write that follows it share one transaction."""
    ticket = st.session_state.get(_AUTH)
    if ticket is None:
        return None
    with contextlib.nullcontext(session) if session is not None else db() as open_session:
        user = auth.check_ticket(session=open_session, ticket=ticket, now=clock.now())
    if user is not None:
        st.session_state[_USER] = user
    return user


def checked_fragment(body: Callable[[User], None], user: User, *roles: Role) -> None:
    """Run body(user) as a fragment: a widget inside it reruns only body (issue 15: the menu,
    the title and the login gate are neither run nor sent again). Each of those reruns checks
    the login again first; ended, or no longer of these roles, the whole page runs, and the
    login gate or require_user says why."""
    first_run = True

    @st.fragment
    def run() -> None:
        nonlocal first_run, user
        if not first_run:
            checked = recheck_user()
            if checked is None or (roles and checked.role not in roles):
                st.rerun()  # does not return
            user = checked
        first_run = False
        body(user)

    run()


def require_user(*roles: Role) -> User:
    """The logged-in user if they have one of these roles; otherwise stop the page.

    A visitor who is not logged in is sent to the login page, and back here afterwards.
    """
    ensure_routed()
    user = current_user()
    routed_page = st.session_state.get(_ROUTED_PAGE)
    if user is None and routed_page is not None and routed_page != LOGIN_PAGE:
        if not st.session_state.get(_LOGGED_OUT):  # after a logout, start from Accueil
            st.session_state[_AFTER_LOGIN] = (routed_page, st.query_params.to_dict())
        shown = st.session_state.pop(_FLASH_SHOWN, None)
        if shown:
            flash(shown)  # say it again on the login page
        st.switch_page(LOGIN_PAGE)
    if user is None:
        st.error("Cette page n'est pas accessible avec votre compte.")
        st.stop()
    if roles and user.role not in roles:
        st.error(not_for_role_message(user.role, roles))
        home = st.session_state.get(_HOME_PAGE)
        if home is not None:  # set by the router (absent when a page runs alone, in AppTest)
            st.page_link(home, label="Retour à l'accueil", icon=":material/home:")
        st.stop()
    return user


def not_for_role_message(role: Role, allowed: tuple[Role, ...]) -> str:
    """Why a page opened by its address is not shown to this account."""

    def quoted(r: Role) -> str:  # non-breaking spaces keep « and » with their words
        return f"«\u00a0{ROLE_LABELS_FR[r]}\u00a0»"

    whom = " ou ".join(quoted(r) for r in allowed)
    return (
        f"Cette page est réservée aux comptes {whom}\u00a0: vous êtes connecté avec un compte "
        f"{quoted(role)}. Utilisez le menu pour ouvrir les pages de votre compte."
    )


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")
# Streamlit's markdown links « https://… », « www.… » and « nom@domaine.fr » in its text nodes,
# escaped or not. An invisible word joiner (U+2060) inside each trigger breaks the pattern.
_WORD_JOINER = "\u2060"
_AUTOLINK_TRIGGERS = re.compile(r"(?<=\\:)(?=//)|(?i:(?<=www))(?=\\\.)|(?=@)")


def escape_md(text: str) -> str:
    """Text shown literally by Streamlit's markdown (user answers may hold * _ [ ] < …).

    Never a link either: an applicant's URL or e-mail address is shown as plain text.
    """
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return _AUTOLINK_TRIGGERS.sub(_WORD_JOINER, escaped)


def blank_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells instead of Streamlit's English « None » in text columns."""
    import pandas as pd

    text_columns = [
        column
        for column in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[column])
        and not pd.api.types.is_datetime64_any_dtype(frame[column])
    ]
    return frame.fillna(dict.fromkeys(text_columns, ""))


MAX_ID = 2**31 - 1  # larger numbers cannot be row ids and overflow the databases


def parse_id(raw: str | None) -> int | None:
    """A positive row id from a URL parameter; None for anything else ("²", "-1", 10**30)."""
    if raw is None or not re.fullmatch(r"[0-9]{1,10}", raw):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def flash(message: str) -> None:
    """Show a message once, after the next rerun."""
    st.session_state[_FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(_FLASH, None)
    st.session_state[_FLASH_SHOWN] = message  # kept for a redirect within this run
    if message:
        st.info(message)
        if _COOKIE_OP in st.session_state:
            # The cookie component reruns the page once it has acted: say it again then.
            st.session_state[_FLASH] = message


def _cookie_controller(settings: Settings) -> CookieController:
    # The library's cookie component writes and deletes the cookie in the browser; the value
    # and its checks are ours (core.auth).
    from streamlit_authenticator.controllers import CookieController

    return CookieController(settings.cookie_name, settings.cookie_key, settings.cookie_expiry_days)


# The browser component that writes the cookie acts when it is mounted; a rerun that follows
# at once can unmount it first. Rendering it on a few consecutive runs makes the write certain.
COOKIE_OP_RUNS = 3


def _apply_cookie_op(settings: Settings) -> None:
    op = st.session_state.get(_COOKIE_OP)
    if op is None:
        return
    action, token, runs_left = op
    if runs_left <= 1:
        del st.session_state[_COOKIE_OP]
    else:
        st.session_state[_COOKIE_OP] = (action, token, runs_left - 1)
    controller = _cookie_controller(settings)
    if action == "set":
        controller.cookie_model.cookie_manager.set(
            settings.cookie_name,
            token,
            expires_at=dt.datetime.now() + dt.timedelta(days=settings.cookie_expiry_days),
            same_site="strict",
            secure=None if settings.demo_mode else True,
        )
    else:
        # KeyError: the component had not read the browser's cookies yet.
        with contextlib.suppress(KeyError):
            controller.cookie_model.cookie_manager.delete(settings.cookie_name)


def start_session(settings: Settings, session: Session, user: User) -> None:
    """Remember a freshly authenticated user in this tab, on the server, and in the browser
    cookie (a random id only: the login itself is the login_sessions row)."""
    token, ticket = auth.open_session(
        session=session, user=user, key=settings.cookie_key, expiry_days=settings.cookie_expiry_days
    )
    st.session_state[_AUTH] = ticket
    st.session_state[_USER] = user
    st.session_state[_COOKIE_OP] = ("set", token, COOKIE_OP_RUNS)
    st.session_state.pop(_LOGGED_OUT, None)


def end_session(settings: Settings, message: str | None = None) -> None:
    """Forget the user in this tab and delete the cookie (the database side is auth.logout)."""
    st.session_state.pop(_AUTH, None)
    st.session_state.pop(_USER, None)
    st.session_state[_COOKIE_OP] = ("delete", None, COOKIE_OP_RUNS)
    st.session_state[_LOGGED_OUT] = True
    if message:
        flash(message)


def resolve_user(settings: Settings) -> User | None:
    """The login gate, run on every rerun: session first, then the cookie; both re-checked.

    Version and expiry are checked on every run, so an open tab does not outlive its cookie.
    """
    _apply_cookie_op(settings)
    ticket = st.session_state.get(_AUTH)
    token = st.context.cookies.get(settings.cookie_name)
    token = token if isinstance(token, str) and token else None
    if ticket is None and (st.session_state.get(_LOGGED_OUT) or not token):
        return None  # a new visitor: the login form needs no database
    if ticket is not None:
        user = recheck_user()
        if user is None:
            end_session(settings, "Votre session a pris fin : reconnectez-vous.")
        return user
    with db() as session:
        ticket = auth.ticket_from_cookie(session=session, token=token, key=settings.cookie_key)
        user = (
            auth.check_ticket(session=session, ticket=ticket, now=clock.now())
            if ticket is not None
            else None
        )
    if user is None:
        return None
    st.session_state[_AUTH] = ticket
    st.session_state[_USER] = user
    return user


def download_button(label: str, producer: downloads.Producer, **kwargs: object) -> None:
    """A download whose file is produced at click time, after the login is checked again.

    A tab whose login ended (logout or password change elsewhere, expiry) gets no file, and
    its page is rerun so that the login gate shows the login page. A click on a valid login
    does not rerun: the rerun would draw the button again and drop the file id the browser is
    about to fetch (Streamlit's « Deferred file … not found », about one click in three on a
    loaded machine).
    """
    ticket = st.session_state.get(_AUTH)
    if ticket is None:
        return
    produce = downloads.deferred(
        database_url=load_settings().database_url, ticket=ticket, producer=producer
    )
    st.download_button(
        label, data=_rerun_when_ended(produce, _session_id()), on_click="ignore", **kwargs
    )


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _rerun_when_ended(produce: Callable[[], bytes], session_id: str | None) -> Callable[[], bytes]:
    """`produce`, which also reruns the tab's page when the login has ended."""

    def download() -> bytes:
        try:
            return produce()
        except downloads.SessionEnded:
            _request_rerun(session_id)
            raise

    return download


def _request_rerun(session_id: str | None) -> None:
    """Rerun a session's page from the download thread (on the server's event loop)."""
    from streamlit.runtime import Runtime

    if session_id is None or not Runtime.exists():
        return
    info = Runtime.instance()._session_mgr.get_active_session_info(session_id)
    if info is not None:
        app_session = info.session
        app_session._event_loop.call_soon_threadsafe(app_session.request_rerun, None)


def login_source(settings: Settings) -> str:
    """The client's address as the server (or the trusted proxy named in settings) saw it."""
    header = settings.client_ip_header
    forwarded = st.context.headers.get(header) if header else None
    return auth.login_source(remote_ip=st.context.ip_address, forwarded_for=forwarded)


def logout_button(settings: Settings) -> None:
    """Sidebar button that ends the user's logins everywhere (old cookies included)."""
    user = current_user()
    if user is None:
        return
    st.sidebar.caption(escape_md(f"Connecté : {user.name} ({user.email})"))
    if st.sidebar.button("Se déconnecter", key="logout", width="stretch"):
        with db() as session:
            auth.logout(session=session, user_id=user.id)
        end_session(settings, "Vous êtes déconnecté.")
        st.rerun()
