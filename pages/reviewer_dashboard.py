"""Placeholder: the reviewers' dashboard is written in another issue."""

import streamlit as st

from core.storage import Role
from pages import components

components.require_user(Role.REVIEWER, Role.ADMIN)
st.title("Tableau de bord")
st.write("Le tableau de bord des candidatures apparaîtra ici.")
