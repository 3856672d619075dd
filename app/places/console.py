"""Service points in the staff console: a place as form inputs and back, validation in words staff read, the list.

Kept beside the service form (app.console.service) and built from its parts: the same error wording (`explained`),
the same rows of source inputs (ROW_FIELDS["sources"] without the seed file, which no place uses), the same phone
reading (`canonical_phone`). Drafts, publishing and history are app.knowledge.service's, with `kind=PLACES`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pydantic import ValidationError
from sqlmodel import Session, select

from app.console.service import LANGUAGE_LABELS, ROW_FIELDS, FormErrors, _in_previous_order, explained, local
from app.conversation import messages
from app.knowledge.models import PlaceDraft, ServiceDraft
from app.knowledge.schemas import TRANSLATION_LANGS, Status, canonical_phone
from app.knowledge.service import PLACES, SERVICES, latest_versions
from app.places.schemas import District, Place, PlaceKind
from app.places.service import place_problems

KIND_LABELS = {
    PlaceKind.bureau_office: "勞工局辦公處所",
    PlaceKind.mediation_point: "勞資爭議調解地點",
    PlaceKind.employment_station: "就業服務站",
    PlaceKind.employment_desk: "就業服務台",
    PlaceKind.migrant_centre: "移工服務中心",
    PlaceKind.lawyer_desk: "勞工法律諮詢",
    PlaceKind.injury_window: "職災服務窗口",
    PlaceKind.inspection_office: "勞動檢查機構",
    PlaceKind.bli_office: "勞保局辦事處",
    PlaceKind.mol_office: "勞動部辦公處所",
}
LABELS = {
    "id": "代碼", "name": "名稱", "names": "各語言名稱", "kind": "種類", "address": "地址", "district": "行政區",
    "location": "位置", "lat": "緯度", "lon": "經度", "approximate": "位置為約略", "phone": "電話", "hours": "服務時間",
    "hours_translations": "各語言服務時間", "services": "提供的服務", "languages": "使用語言", "note": "備註",
    "sources": "資料來源", "last_verified": "最後確認日期", "status": "狀態",
}
SOURCE_FIELDS = tuple(f for f in ROW_FIELDS["sources"] if f.name != "seed")
TEXT_INPUTS = ("id", "name", "kind", "address", "district", "lat", "lon", "phone", "hours", "note", "last_verified")
_SOURCE_INPUT_RE = re.compile(rf"^sources-(\d+)-({'|'.join(f.name for f in SOURCE_FIELDS)})$")
# Where an error's location points: the input it concerns (the form's names) and its label.
_LOCATION_INPUTS = ("lat", "lon", "approximate")


def blank_source() -> dict[str, str]:
    return {f.name: "" for f in SOURCE_FIELDS}


def blank_values() -> dict:
    """The form of a place not yet written."""
    values: dict = dict.fromkeys(TEXT_INPUTS, "")
    values.update(approximate=False, names=dict.fromkeys(TRANSLATION_LANGS, ""),
                  hours_translations=dict.fromkeys(TRANSLATION_LANGS, ""), services=[], languages=["zh-TW"],
                  sources=[])
    return values


def _text(value) -> str:
    return "" if value is None else str(value)


def form_values(data: dict) -> dict:
    """A place's fields as the strings (lists for checkboxes, rows for sources) the edit form shows."""
    place = Place.model_validate(data)
    values = blank_values()
    values.update({key: _text(getattr(place, key)) for key in ("id", "name", "address", "district", "hours", "note")})
    values["kind"] = place.kind.value
    values["lat"], values["lon"] = _text(place.location.lat), _text(place.location.lon)
    values["approximate"] = place.location.approximate
    values["phone"] = messages.display_phone(place.phone) if place.phone else ""  # saved back as dialled
    values["names"].update(place.names)
    values["hours_translations"].update(place.hours_translations)
    values["services"], values["languages"] = list(place.services), list(place.languages)
    dumped = place.model_dump(mode="json", exclude_none=True)
    values["sources"] = [{**blank_source(), **{k: _text(v) for k, v in s.items() if k in blank_source()}}
                         for s in dumped["sources"]]
    values["last_verified"] = place.last_verified.isoformat()
    return values


def submitted_values(form) -> dict:
    """The form as submitted, kept as typed so a refused save loses nothing; source rows left empty dropped."""
    values = blank_values()
    values.update({key: str(form.get(key, "")) for key in TEXT_INPUTS})
    values["approximate"] = form.get("approximate") == "true"
    for key in ("names", "hours_translations"):
        prefix = "names" if key == "names" else "hours"
        values[key] = {lang: str(form.get(f"{prefix}-{lang}", "")) for lang in TRANSLATION_LANGS}
    values["services"] = [str(v) for v in form.getlist("services")]
    values["languages"] = [str(v) for v in form.getlist("languages")]
    rows: dict[int, dict[str, str]] = {}
    for key in form.keys():
        if match := _SOURCE_INPUT_RE.match(key):
            rows.setdefault(int(match.group(1)), blank_source())[match.group(2)] = str(form.get(key))
    values["sources"] = [rows[i] for i in sorted(rows) if any(v.strip() for v in rows[i].values())]
    return values


def _locate(location: tuple) -> tuple[str, str]:
    """A validation error's location as (the input it concerns, where staff find it: 「資料來源第 2 列／網址」)."""
    if not location:
        return "", ""
    head, rest = str(location[0]), location[1:]
    if head == "location":  # the position as a whole (both or neither coordinate) is said beside the latitude
        part = str(rest[0]) if rest else ""
        return part if part in _LOCATION_INPUTS else "lat", LABELS.get(part, LABELS["location"])
    if head in ("names", "hours_translations") and rest:
        lang = str(rest[0])
        label = LABELS["name" if head == "names" else "hours"]
        return f"{'names' if head == 'names' else 'hours'}-{lang}", f"{LANGUAGE_LABELS.get(lang, lang)}{label}"
    if head == "sources" and rest and isinstance(rest[0], int):
        row = f"{LABELS['sources']}第 {rest[0] + 1} 列"
        if len(rest) < 2:
            return f"sources-{rest[0]}", row
        name = str(rest[1])
        label = next((f.label for f in SOURCE_FIELDS if f.name == name), name)
        return f"sources-{rest[0]}-{name}", f"{row}／{label}"
    return head, LABELS.get(head, head)


def _number(typed: str, name: str, problems: dict[str, list[tuple[str, str]]]) -> float | None:
    typed = typed.strip()
    if not typed:
        return None
    try:
        return float(typed)
    except ValueError:
        problems.setdefault(name, []).append((LABELS[name], "請填數字，例如緯度 24.1395、經度 120.6839。"))
        return None


def place_from_values(values: dict, *, status: str, districts: dict[str, District], service_ids: set[str],
                      previous: dict | None = None) -> Place:
    """Validate the edit form into a Place, its district, services and position included; FormErrors lists every
    problem (nothing is saved then)."""
    previous = previous or {}
    found: dict[str, list[tuple[str, str]]] = {}  # input name → (where, what to do)
    lat, lon = _number(values["lat"], "lat", found), _number(values["lon"], "lon", found)
    data: dict = {key: values[key].strip() for key in ("id", "name", "kind", "address", "district", "last_verified")}
    data.update(
        names={lang: text.strip() for lang, text in values["names"].items() if text.strip()},
        location={"lat": lat, "lon": lon, "approximate": values["approximate"]},
        phone=canonical_phone(values["phone"].strip()) or None,
        hours=values["hours"].strip() or None,
        hours_translations={lang: t.strip() for lang, t in values["hours_translations"].items() if t.strip()},
        services=_in_previous_order(values["services"], previous.get("services", [])),
        languages=_in_previous_order(values["languages"], previous.get("languages", [])),
        note=values["note"].strip() or None,
        sources=[{k: v.strip() for k, v in row.items() if v.strip()} for row in values["sources"]],
        status=status,
    )
    place = None
    if not found:  # a coordinate that is not a number is said once, not again by the schema
        try:
            place = Place.model_validate(data)
        except ValidationError as exc:
            for name, where, problem in explained(exc, locate=_locate):
                found.setdefault(name, []).append((where, problem))
    if place is not None:
        for name, problem in place_problems(place, districts, service_ids):
            found.setdefault(name, []).append((LABELS["location" if name == "lat" else name], problem))
    if found:
        errors = [f"{where}：{problem}" if where else problem for problems in found.values() for where, problem in problems]
        raise FormErrors(errors, {name: [problem for _, problem in problems] for name, problems in found.items()})
    return place


# --- The list ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceRow:
    place_id: str
    name: str
    kind: str
    district: str
    state: str  # live | offline | never
    draft_pending: bool  # the draft differs from what citizens get
    approximate: bool  # at its district's centre: no published coordinates
    last_verified: dt.date
    version: int | None
    updated_at: dt.datetime
    updated_by: str


def live_state(version) -> str:
    return "never" if version is None else "live" if version.data.get("status") == Status.published.value else "offline"


def place_rows(session: Session) -> list[PlaceRow]:
    latest = latest_versions(session, PLACES)
    rows = []
    for draft in session.exec(select(PlaceDraft).order_by(PlaceDraft.place_id)):
        place, version = Place.model_validate(draft.data), latest.get(draft.place_id)
        live = version.data if version else None
        rows.append(PlaceRow(
            place_id=place.id, name=place.name, kind=KIND_LABELS.get(place.kind, place.kind.value),
            district=place.district, state=live_state(version),
            draft_pending=live is None or {**draft.data, "status": "published"} != {**live, "status": "published"},
            approximate=place.location.approximate, last_verified=place.last_verified,
            version=version.version if version else None, updated_at=local(draft.updated_at), updated_by=draft.updated_by,
        ))
    return sorted(rows, key=lambda r: (r.district, r.name))


def service_choices(session: Session, chosen: list[str]) -> list[tuple[str, str, bool]]:
    """The services a place can offer, as (id, title, published): the published ones, and any it already offers
    (so an edit never drops one that was taken offline)."""
    published = {sid: v.data["title"] for sid, v in latest_versions(session, SERVICES).items()
                 if v.data.get("status") == Status.published.value}
    offered = {d.service_id: d.data["title"] for d in session.exec(select(ServiceDraft)) if d.service_id in chosen}
    titles = {**offered, **published}
    return sorted(((sid, title, sid in published) for sid, title in titles.items()), key=lambda c: c[1])


def service_ids(session: Session) -> set[str]:
    return set(session.exec(select(ServiceDraft.service_id)).all())
