"""French formats (amounts, dates) and plain-French labels shared by pages, PDF and exports."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, format_percent
from babel.units import format_unit

from core.models import STATUS_LABELS_FR, AttachmentRef, Effect, EssStatus, Status, StructureType

LOCALE = "fr_FR"
# Applicants and reviewers read metropolitan time; naive datetimes are taken as such.
PARIS = ZoneInfo("Europe/Paris")
NOT_ANSWERED = "Non renseigné"

STRUCTURE_TYPE_LABELS_FR: dict[StructureType, str] = {
    StructureType.COMMUNE: "Commune",
    StructureType.DEPARTEMENT: "Département",
    StructureType.REGION: "Région",
    StructureType.COLLECTIVITE_STATUT_PARTICULIER: (
        "Collectivité à statut particulier (Corse, Guyane, Martinique…)"
    ),
    StructureType.COLLECTIVITE_OUTRE_MER: "Collectivité ou territoire d'outre-mer",
    StructureType.METROPOLE_DE_LYON: "Métropole de Lyon",
    StructureType.METROPOLE_DU_GRAND_PARIS: "Métropole du Grand Paris",
    StructureType.EPT: "Établissement public territorial (EPT) du Grand Paris",
    StructureType.METROPOLE: "Métropole",
    StructureType.COMMUNAUTE_URBAINE: "Communauté urbaine",
    StructureType.COMMUNAUTE_AGGLOMERATION: "Communauté d'agglomération",
    StructureType.COMMUNAUTE_DE_COMMUNES: "Communauté de communes",
    StructureType.SYNDICAT_DE_COMMUNES: "Syndicat de communes (SIVU, SIVOM)",
    StructureType.SYNDICAT_MIXTE_FERME: "Syndicat mixte fermé",
    StructureType.SYNDICAT_MIXTE_OUVERT: "Syndicat mixte ouvert",
    StructureType.POLE_METROPOLITAIN: "Pôle métropolitain",
    StructureType.PETR: "Pôle d'équilibre territorial et rural (PETR)",
    StructureType.AGENCE_DEPARTEMENTALE: "Agence départementale",
    StructureType.INSTITUTION_INTERDEPARTEMENTALE: ("Institution ou organisme interdépartemental"),
    StructureType.ENTENTE_INTERREGIONALE: "Entente interrégionale",
    StructureType.CCAS: "Centre communal d'action sociale (CCAS)",
    StructureType.CIAS: "Centre intercommunal d'action sociale (CIAS)",
    StructureType.AUTRE_ETABLISSEMENT_PUBLIC_RATTACHE: (
        "Autre établissement public rattaché à une collectivité ou à un groupement"
    ),
    StructureType.ASSOCIATION: "Association",
    StructureType.FONDATION: "Fondation",
    StructureType.STRUCTURE_ESS: (
        "Structure de l'économie sociale et solidaire (coopérative, mutuelle…)"
    ),
    StructureType.COMPANY: "Entreprise",
    StructureType.OTHER: "Autre structure",
}

ESS_STATUS_LABELS_FR: dict[EssStatus, str] = {
    EssStatus.BY_STATUS: "Oui, par son statut (association, fondation, coopérative, mutuelle)",
    EssStatus.ESUS_AGREMENT: "Oui, agrément « entreprise solidaire d'utilité sociale » (ESUS)",
    EssStatus.COMMERCIAL_ESS: "Oui, société commerciale de l'ESS",
    EssStatus.NONE: "Non",
}

EFFECT_LABELS_FR: dict[Effect, str] = {
    Effect.INELIGIBLE: "Motif d'inéligibilité",
    Effect.INCOMPLETE: "À compléter",
    Effect.TO_EXAMINE: "Examen particulier",
    Effect.INFO: "Pour information",
}


def format_eur(amount: int | None) -> str:
    """Whole euros the French way ("50 000 €"), "—" when there is no figure."""
    if amount is None:
        return "—"
    return format_currency(
        amount, "EUR", format="#,##0\u00a0¤", locale=LOCALE, currency_digits=False
    )


def format_int(value: int) -> str:
    """An integer with French digit grouping ("4 000 000")."""
    return format_decimal(value, locale=LOCALE)


MEDIA_TYPE_LABELS_FR = {
    "application/pdf": "PDF",
    "image/jpeg": "image JPEG",
    "image/png": "image PNG",
}


def format_size_fr(size: int) -> str:
    """A file size the French way ("1,2 Mo"); 1 Mo = 1 024 ko, as the 10 Mo limit counts."""
    for unit, factor in (("digital-megabyte", 2**20), ("digital-kilobyte", 2**10)):
        if size >= factor:
            return format_unit(size / factor, unit, length="short", format="#,##0.#", locale=LOCALE)
    return format_unit(size, "digital-byte", length="short", locale=LOCALE)


def describe_attachment(ref: AttachmentRef) -> str:
    """« lettre.pdf (1,2 Mo, PDF) », as every screen and the PDF show a joined file."""
    kind = MEDIA_TYPE_LABELS_FR.get(ref.media_type, ref.media_type)
    return f"{ref.filename} ({format_size_fr(ref.size)}, {kind})"


def format_percent_fr(ratio: float) -> str:
    """A ratio as a French percentage ("14 %")."""
    return format_percent(ratio, locale=LOCALE)


def count_fr(value: int, singular: str, plural: str | None = None) -> str:
    """A count with its noun agreed in French: "1 poste", "0 poste", "3 postes"."""
    words = singular if abs(value) < 2 else (plural or f"{singular}s")
    return f"{format_int(value)} {words}"


def format_date_fr(d: dt.date) -> str:
    """A date in words ("15 janvier 2021", "1er février 2021")."""
    text = format_date(d, "d MMMM y", locale=LOCALE)
    # French writes the first day of the month as an ordinal.
    return "1er" + text[1:] if d.day == 1 else text


def to_paris(moment: dt.datetime) -> dt.datetime:
    """The same instant in Paris time; a naive datetime is taken as Paris time already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=PARIS)
    return moment.astimezone(PARIS)


def format_datetime_fr(moment: dt.datetime) -> str:
    """A date and time in Paris time ("15 janvier 2021 à 14 h 05")."""
    local = to_paris(moment)
    hours = format_time(local, "H' h 'mm", locale=LOCALE)
    return f"{format_date_fr(local.date())} à {hours}"


def format_siret(value: str) -> str:
    """A SIRET as INSEE prints it (« 219 300 662 00018 »); anything else unchanged."""
    from stdnum.fr import siret

    return siret.format(value) if re.fullmatch(r"[0-9]{14}", value) else value


def format_phone(value: str) -> str:
    """A phone number as written in France (« 05 55 83 08 00 », « +262 262 12 34 56 »);
    what cannot be read as a number is left as typed."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    french = phonenumbers.region_code_for_number(number) == "FR"
    style = phonenumbers.PhoneNumberFormat.NATIONAL if french else None
    return phonenumbers.format_number(number, style or phonenumbers.PhoneNumberFormat.INTERNATIONAL)


DISPLAY_FORMATS = {"siret": format_siret, "phone": format_phone}


def format_bool_fr(value: bool | None) -> str:
    """Oui / Non / Non renseigné."""
    if value is None:
        return NOT_ANSWERED
    return "Oui" if value else "Non"


_STATUS_SUFFIX = re.compile(r"^(?P<number>.*) \((?P<status>[a-z_]+)\)$")


def event_detail_fr(action: str, detail: str | None, call_titles: dict[str, str]) -> str:
    """An audit event's detail in the reviewer's words (call titles, French statuses)."""
    if not detail:
        return ""
    if action == "created":
        return call_titles.get(detail, detail)
    if action == "moved" and " -> " in detail:
        source, target = detail.split(" -> ", 1)
        return (
            f"de « {call_titles.get(source, source)} » vers « {call_titles.get(target, target)} »"
        )
    match = _STATUS_SUFFIX.match(detail)
    if action == "submitted" and match:
        try:
            status = STATUS_LABELS_FR[Status(match["status"])]
        except ValueError:
            return detail
        return f"{match['number']} ({status})"
    return detail
