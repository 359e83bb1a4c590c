"""The files joined to an application, each with its download (summary step, reviewer dossier).

Each download's producer reads the file through core.attachments.read with the user checked at
click time, so the dossier's access rules apply to every file.
"""

from __future__ import annotations

import streamlit as st

from core import attachments
from core.calls import Call
from core.downloads import Producer
from core.formatting import describe_attachment
from core.models import Application
from pages import components
from pages.components import escape_md


def _producer(application_id: int, attachment: str) -> Producer:
    def content(session, checked_user) -> bytes:
        return attachments.read(
            session=session, user=checked_user, application_id=application_id, attachment=attachment
        )[1]

    return content


def attachment_downloads(application_id: int, data: Application, call: Call) -> None:
    """One line and one download per joined file; a sentence when there is none."""
    joined = attachments.listed(data, call)
    if not joined:
        st.caption("Aucune pièce jointe.")
        return
    for item in joined:
        with st.container(border=True):
            st.markdown(
                f"**{escape_md(item.label)}**  \n{escape_md(describe_attachment(item.ref))}"
            )
            st.caption(f"Empreinte SHA-256 : {item.ref.sha256}")
            components.download_button(
                # Named after the piece (call data): several buttons never share one name.
                f"Télécharger « {item.label} »",
                _producer(application_id, item.attachment_id),
                file_name=item.ref.filename,
                mime=item.ref.media_type,
                icon=":material/download:",
                key=f"attachment:{application_id}:{item.attachment_id}",
                help=escape_md(f"Télécharger « {item.ref.filename} »"),
            )
