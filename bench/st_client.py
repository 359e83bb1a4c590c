"""A minimal Streamlit client speaking the browser's protocol: WebSocket + protobuf messages.

It sends BackMsg.rerun_script with widget states, as the frontend does, and reads the
ForwardMsgs of the run (deltas, new_session, script_finished) to learn widget ids by key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

RUN_TIMEOUT_S = 30.0
FINISHED = ForwardMsg.ScriptFinishedStatus


class RunError(Exception):
    """A rerun that did not finish normally (exception shown, timeout, socket closed)."""


@dataclass
class Widget:
    kind: str  # the Element oneof: text_input, button, selectbox…
    id: str
    label: str
    form_id: str = ""
    fragment_id: str = ""  # set when a fragment drew it: a change reruns that fragment alone


@dataclass
class StreamlitClient:
    url: str  # ws://127.0.0.1:port/_stcore/stream
    cookies: dict[str, str] = field(default_factory=dict)
    ws: websockets.ClientConnection | None = None
    page_script_hash: str = ""
    query_string: str = ""
    widgets: list[Widget] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # markdown/alert bodies of the last run
    links: list[tuple[str, str]] = field(default_factory=list)  # its page links: (label, icon)
    exceptions: list[str] = field(default_factory=list)
    set_cookie: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # url pathname -> page script hash
    messages: int = 0  # ForwardMsgs received during the last rerun() call
    kinds: list[str] = field(default_factory=list)  # their types (delta, navigation…), in order
    fragments_run: list[str] = field(default_factory=list)  # ids, when only fragments ran
    drawn: list[str] = field(default_factory=list)  # ids of the widgets the last rerun drew

    async def connect(self) -> None:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = await websockets.connect(
            self.url,
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            open_timeout=RUN_TIMEOUT_S,
            ping_interval=None,
        )
        response = self.ws.response
        if response is not None:
            self.set_cookie = response.headers.get("Set-Cookie", "")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    def widget(self, *, key: str | None = None, label: str | None = None) -> Widget:
        """A widget of the last run, by its user key (end of its id) or its label."""
        for w in self.widgets:
            if (key is not None and w.id.endswith("-" + key)) or (
                label is not None and w.label == label
            ):
                return w
        raise RunError(f"widget introuvable : key={key!r} label={label!r}")

    async def rerun(
        self,
        states: list[WidgetState] | None = None,
        *,
        page_name: str | None = None,
        query_string: str | None = None,
    ) -> float:
        """Send one rerun and wait until the last run it causes has finished; seconds taken."""
        started = time.perf_counter()
        await self.send(states, page_name=page_name, query_string=query_string)
        await self._read_until_finished()
        return time.perf_counter() - started

    async def send(
        self,
        states: list[WidgetState] | None = None,
        *,
        page_name: str | None = None,
        query_string: str | None = None,
    ) -> None:
        """Send one rerun, as the browser does, without waiting for it (see read_runs)."""
        assert self.ws is not None
        msg = BackMsg()
        client_state = msg.rerun_script
        if query_string is not None:
            self.query_string = query_string
        client_state.query_string = self.query_string
        if page_name is not None and page_name in self.pages:
            client_state.page_script_hash = self.pages[page_name]  # as st.page_link does
        elif page_name is not None:
            client_state.page_name = page_name
        else:
            client_state.page_script_hash = self.page_script_hash
        for state in states or []:
            client_state.widget_states.widgets.append(state)
        # As the browser does: a change to a widget a fragment drew reruns that fragment only.
        changed = {s.id for s in states or []}
        fragments = {w.fragment_id for w in self.widgets if w.id in changed}
        fragment_id = fragments.pop() if len(fragments) == 1 and page_name is None else ""
        client_state.fragment_id = fragment_id
        await self.ws.send(msg.SerializeToString())

    async def read_runs(self, until: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Read the runs that follow requests sent with send() until `until()` holds; False
        when it still does not after `timeout` seconds without a run finishing."""
        while not until():
            try:
                await asyncio.wait_for(self._read_until_finished(), timeout)
            except TimeoutError:
                return False
        return True

    async def _read_until_finished(self) -> None:
        assert self.ws is not None
        deadline = time.monotonic() + RUN_TIMEOUT_S
        # A fragment's run draws its own widgets again; the page's others stay where they are.
        self.texts, self.exceptions, self.links = [], [], []
        self.messages, self.kinds, self.fragments_run, self.drawn = 0, [], [], []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunError("rerun non terminé après 30 s")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=remaining)
            except (TimeoutError, websockets.ConnectionClosed) as exc:
                raise RunError(f"rerun interrompu : {exc!r}") from exc
            fmsg = ForwardMsg()
            fmsg.ParseFromString(raw)
            self.messages += 1
            kind = fmsg.WhichOneof("type")
            self.kinds.append(kind)
            if kind == "new_session" and fmsg.metadata.run.fragment_ids:
                # Fragments' run (the one asked for, or those a callback named): the page's
                # other widgets stay; theirs are drawn again.
                self.fragments_run = list(fmsg.metadata.run.fragment_ids)
            elif kind == "new_session":
                # A new run starts (switch_page, st.rerun): forget the previous run's elements.
                self.page_script_hash = fmsg.new_session.page_script_hash
                self.widgets, self.texts, self.exceptions, self.links = [], [], [], []
                self.fragments_run = []
            elif kind == "navigation":
                # st.navigation: the page shown is this one, not the main script.
                self.page_script_hash = fmsg.navigation.page_script_hash
                self.pages = {p.url_pathname: p.page_script_hash for p in fmsg.navigation.app_pages}
            elif kind == "page_info_changed":
                self.query_string = fmsg.page_info_changed.query_string
            elif kind == "delta":
                self._read_delta(fmsg)
            elif kind == "script_finished":
                status = fmsg.script_finished
                if status == FINISHED.FINISHED_EARLY_FOR_RERUN:
                    continue  # a new run follows at once
                if status == FINISHED.FINISHED_WITH_COMPILE_ERROR:
                    raise RunError("erreur de compilation du script")
                if self.exceptions:
                    raise RunError("exception : " + self.exceptions[0][:300])
                return
            elif kind == "page_not_found":
                raise RunError("page introuvable")

    def _read_delta(self, fmsg: ForwardMsg) -> None:
        delta = fmsg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind is None:
            return
        body = getattr(element, kind)
        if kind == "exception":
            self.exceptions.append(f"{body.type}: {body.message}")
            return
        if kind in ("markdown", "alert"):
            self.texts.append(body.body)
        if kind == "page_link":
            self.links.append((body.label, body.icon))
        widget_id = getattr(body, "id", "")
        if widget_id and hasattr(body, "label"):
            self.widgets = [w for w in self.widgets if w.id != widget_id]
            self.drawn.append(widget_id)
            self.widgets.append(
                Widget(kind, widget_id, body.label, getattr(body, "form_id", ""), delta.fragment_id)
            )


def text_state(widget_id: str, value: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=value)


def trigger_state(widget_id: str) -> WidgetState:
    return WidgetState(id=widget_id, trigger_value=True)


def int_state(widget_id: str, value: int) -> WidgetState:
    """An integer number_input's value (a radio sends its option's label, as text_state)."""
    return WidgetState(id=widget_id, int_value=value)
