"""pages.components.browser_sent_value reads Streamlit's widget states by key: it must keep
working on the Streamlit version installed (a tab reconnected to a restarted server relies on
it: tests/e2e/test_restart.py)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from pages import components

    st.session_state.setdefault("seen", []).append(
        (
            components.browser_sent_value("f:1:structure.commune"),
            components.browser_sent_value("f:1"),
        )
    )
    st.text_input("Commune", key="f:1:structure.commune")


def test_a_value_the_browser_sent_is_seen_under_its_key():
    at = AppTest.from_function(_script).run()
    assert at.session_state["seen"] == [(False, False)]  # a new tab: nothing sent yet
    at.text_input[0].input("Bondy").run()
    # Sent by the browser for this key only (not for a key it merely starts with).
    assert at.session_state["seen"][-1] == (True, False)
