"""Loading the knowledge base: plan items, curated services and example phrasings, validated, as one snapshot."""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlmodel import Session, col, select

from app import yamlfile
from app.db import utcnow
from app.knowledge.models import (
    AuditLog,
    ContentRevision,
    Example,
    PlaceDraft,
    PlaceVersion,
    ServiceDraft,
    ServiceVersion,
)
from app.knowledge.schemas import IntentExamples, Kind, PlanItem, Service, Status
from app.knowledge.staleness import RetiredNumber, load_retired_numbers, retired_numbers_in
from app.places.schemas import Place
from app.places.service import PLACES_DIR, Geography, geography_of, load_districts, load_places

PLAN_ITEMS_FILE = "plan_items.json"
PLAN_ITEM_ANSWERS_FILE = "plan_item_answers.yaml"
SERVICES_DIR = "services"


class KnowledgeError(ValueError):
    """Content that does not validate; the message names the file."""


@dataclass(frozen=True)
class KnowledgeBase:
    """An immutable snapshot of what the bot knows. `version` changes whenever any content changes."""

    plan_items: tuple[PlanItem, ...]
    services: tuple[Service, ...]  # every service, drafts included; use `published` for answering
    service_examples: dict[str, tuple[str, ...]] = field(default_factory=dict)  # service id → phrasings
    intent_examples: dict[str, tuple[str, ...]] = field(default_factory=dict)  # greeting/thanks/… → phrasings
    geography: Geography = field(default_factory=Geography)  # districts and published service points (not in
    # `version`: they do not change what the index learns)
    places: tuple[Place, ...] = ()  # every service point, drafts included

    @property
    def published(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.status is Status.published)

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def plan_item(self, name: str) -> PlanItem | None:
        return next((p for p in self.plan_items if p.name == name), None)

    def plan_item_by_id(self, item_id: str | None) -> PlanItem | None:
        """By the id the index and postbacks carry (the name is what services cite)."""
        return next((p for p in self.plan_items if p.id == item_id), None)

    @property
    def version(self) -> str:
        payload = json.dumps(
            [
                [p.model_dump(mode="json") for p in self.plan_items],
                [s.model_dump(mode="json") for s in self.services],
                {k: list(v) for k, v in sorted(self.service_examples.items())},
                {k: list(v) for k, v in sorted(self.intent_examples.items())},
            ],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ContentKind:
    """What differs between the kinds of content kept as drafts and published versions (services, places): the
    tables, the schema, the id column, where the files go and the words staff read. Services and places keep tables
    of their own (same shape), so neither's rows, indexes and history change when the other is added to."""

    draft: type[ServiceDraft] | type[PlaceDraft]
    version: type[ServiceVersion] | type[PlaceVersion]
    schema: type[Service] | type[Place]
    key: str  # the id column of both tables
    folder: str  # under knowledge/
    noun: str  # in staff messages: 找不到服務據點「…」
    this: str  # 這個服務據點目前沒有上線
    audit_prefix: str  # audit targets: a service by its id, as always; a place as place:<id>
    layout: Callable[[object], dict]  # the item as its file holds it

    def key_of(self, table):
        return getattr(table, self.key)

    def target(self, item_id: str) -> str:
        return f"{self.audit_prefix}{item_id}"


# The layouts are defined with the YAML below; looked up when called.
SERVICES = ContentKind(ServiceDraft, ServiceVersion, Service, "service_id", SERVICES_DIR, "服務", "這項服務", "",
                       lambda item: file_layout(item))
PLACES = ContentKind(PlaceDraft, PlaceVersion, Place, "place_id", PLACES_DIR, "服務據點", "這個服務據點", "place:",
                     lambda item: place_layout(item))


def kind_of(item: Service | Place) -> ContentKind:
    return PLACES if isinstance(item, Place) else SERVICES


def read_yaml(path: Path) -> object:
    try:
        return yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc


def load_plan_items(knowledge_dir: Path) -> list[PlanItem]:
    path = knowledge_dir / PLAN_ITEMS_FILE
    items = [PlanItem.model_validate(raw) for raw in json.loads(path.read_text(encoding="utf-8"))]
    answers_path = knowledge_dir / PLAN_ITEM_ANSWERS_FILE
    answers = read_yaml(answers_path) if answers_path.exists() else {}
    answers = answers or {}
    unknown = set(answers) - {p.name for p in items}
    if unknown:
        raise KnowledgeError(f"{answers_path}: answers for unknown plan items {sorted(unknown)}")
    return [p.model_copy(update={"citizen_answer": answers.get(p.name)}) for p in items]


def load_service_file(path: Path, kind: ContentKind = SERVICES) -> Service | Place:
    try:
        return kind.schema.model_validate(read_yaml(path))
    except ValueError as exc:
        raise KnowledgeError(f"{path}: {exc}") from exc


def load_services(knowledge_dir: Path) -> list[Service]:
    paths = sorted((knowledge_dir / SERVICES_DIR).glob("*.yaml"))
    services = [load_service_file(p) for p in paths]
    for path, service in zip(paths, services, strict=True):
        if path.stem != service.id:
            raise KnowledgeError(f"{path}: file name must be the service id {service.id!r}")
    return services


def load_examples(intents_dir: Path) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    by_service: dict[str, list[str]] = {}
    by_intent: dict[str, list[str]] = {}
    for path in sorted(intents_dir.glob("*.yaml")):
        try:
            entry = IntentExamples.model_validate(read_yaml(path))
        except ValueError as exc:
            raise KnowledgeError(f"{path}: {exc}") from exc
        bucket = by_service.setdefault(entry.service_id, []) if entry.service_id else by_intent.setdefault(entry.intent, [])
        bucket.extend(entry.examples)
    return (
        {k: tuple(dict.fromkeys(v)) for k, v in by_service.items()},
        {k: tuple(dict.fromkeys(v)) for k, v in by_intent.items()},
    )


def check_references(kb: KnowledgeBase) -> None:
    """Cross-file rules the per-file schema cannot see."""
    names = {p.name for p in kb.plan_items}
    ids = [s.id for s in kb.services]
    if len(ids) != len(set(ids)):
        raise KnowledgeError(f"duplicate service ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    for service in kb.services:
        unknown = [n for n in service.plan_items if n not in names]
        if unknown:
            raise KnowledgeError(f"service {service.id}: plan_items not in the seeds: {unknown}")
    orphans = set(kb.service_examples) - set(ids)
    if orphans:
        raise KnowledgeError(f"intents for unknown services: {sorted(orphans)}")


def check_numbers(kb: KnowledgeBase, retired: list[RetiredNumber]) -> None:
    """No published service sends people to a number that must no longer be given (knowledge/retired_numbers.yaml)."""
    for service in kb.services:
        if service.status is Status.published and (gone := retired_numbers_in(service, retired)):
            raise KnowledgeError(f"service {service.id} lists {', '.join(r.phone for r in gone)}, which must no longer "
                                 f"be given for {gone[0].was}: {gone[0].instead}")


def load_from_files(knowledge_dir: Path, intents_dir: Path) -> KnowledgeBase:
    service_examples, intent_examples = load_examples(intents_dir)
    services = tuple(load_services(knowledge_dir))
    districts = load_districts(knowledge_dir)
    places = load_places(knowledge_dir, districts, {s.id for s in services}) if districts else ()
    kb = KnowledgeBase(
        plan_items=tuple(load_plan_items(knowledge_dir)),
        services=services,
        service_examples=service_examples,
        intent_examples=intent_examples,
        geography=geography_of(districts, places),
        places=places,
    )
    check_references(kb)
    check_numbers(kb, load_retired_numbers(knowledge_dir))
    return kb


# --- The database copy: drafts staff edit, published versions citizens are answered from -----------------------


def current_revision(session: Session) -> int:
    row = session.get(ContentRevision, 1)
    return row.revision if row else 0


def bump_revision(session: Session) -> int:
    """Tell every server process that content changed (they poll this and reload)."""
    row = session.get(ContentRevision, 1) or ContentRevision(id=1, revision=0)
    row.revision += 1
    row.changed_at = utcnow()
    session.add(row)
    return row.revision


def database_is_empty(session: Session, kind: ContentKind = SERVICES) -> bool:
    return session.exec(select(kind.draft).limit(1)).first() is None


def _seed(session: Session, kind: ContentKind, items: tuple, actor: str) -> None:
    """Every item as a draft, published ones also as version 1."""
    for item in items:
        data = item.model_dump(mode="json")
        session.add(kind.draft(**{kind.key: item.id}, data=data, updated_by=actor))
        if item.status is Status.published:
            session.add(kind.version(**{kind.key: item.id}, version=1, data=data, published_by=actor, note="import"))


def seed_places(session: Session, kb: KnowledgeBase, actor: str = "import") -> int:
    """The service points of the files into a database that has none (one made before places were kept in it)."""
    _seed(session, PLACES, kb.places, actor)
    session.add(AuditLog(actor=actor, action="import", target="knowledge", detail=f"{len(kb.places)} 個服務據點"))
    bump_revision(session)
    return len(kb.places)


def seed_database(session: Session, kb: KnowledgeBase, actor: str = "import") -> int:
    """Load file content into an empty database: every service and place as a draft, published ones also as
    version 1."""
    _seed(session, SERVICES, kb.services, actor)
    _seed(session, PLACES, kb.places, actor)
    for service_id, texts in kb.service_examples.items():
        session.add_all(Example(service_id=service_id, text=t) for t in texts)
    for intent, texts in kb.intent_examples.items():
        session.add_all(Example(intent=intent, text=t) for t in texts)
    session.add(AuditLog(actor=actor, action="import", target="knowledge",
                         detail=f"{len(kb.services)} services, {len(kb.places)} places"))
    bump_revision(session)
    return len(kb.services)


def latest_versions(session: Session, kind: ContentKind = SERVICES) -> dict[str, ServiceVersion | PlaceVersion]:
    latest: dict[str, ServiceVersion | PlaceVersion] = {}
    for version in session.exec(select(kind.version).order_by(kind.key_of(kind.version), kind.version.version)):
        latest[kind.key_of(version)] = version
    return latest


def load_from_database(session: Session, knowledge_dir: Path) -> KnowledgeBase:
    """What citizens are answered from: the latest published version of each service and place, and the stored
    examples. A service or place whose latest version is marked draft (unpublished by staff) is kept but not
    answered with. The districts stay files."""
    services = [Service.model_validate(v.data) for v in latest_versions(session).values()]
    by_service: dict[str, list[str]] = {}
    by_intent: dict[str, list[str]] = {}
    for example in session.exec(select(Example).order_by(Example.id)):
        if example.service_id:
            by_service.setdefault(example.service_id, []).append(example.text)
        elif example.intent:
            by_intent.setdefault(example.intent, []).append(example.text)
    known = {s.id for s in services}
    places = tuple(Place.model_validate(v.data) for v in latest_versions(session, PLACES).values())
    return KnowledgeBase(
        plan_items=tuple(load_plan_items(knowledge_dir)),
        services=tuple(sorted(services, key=lambda s: s.id)),
        service_examples={k: tuple(v) for k, v in by_service.items() if k in known},
        intent_examples={k: tuple(v) for k, v in by_intent.items()},
        geography=geography_of(load_districts(knowledge_dir), places),
        places=places,
    )


# --- Editing: drafts, publishing, rollback, examples (used by the staff console and the import command) -----------
#
# Every change that reaches citizens is a new ServiceVersion, PlaceVersion or Example row, followed by `bump_revision`
# so every server process reloads, and an AuditLog row saying who did it. Callers commit (one transaction per staff action).
# Messages of ContentError are shown to staff as they are, hence in Traditional Chinese.


class ContentError(ValueError):
    """A content change that cannot be made; the message tells staff why."""


def _audit(session: Session, actor: str, action: str, target: str, detail: str | None = None) -> None:
    session.add(AuditLog(actor=actor, action=action, target=target, detail=detail))


def latest_version(session: Session, item_id: str, kind: ContentKind = SERVICES) -> ServiceVersion | PlaceVersion | None:
    return session.exec(
        select(kind.version).where(kind.key_of(kind.version) == item_id).order_by(col(kind.version.version).desc())
    ).first()


def changed_fields(old: dict | None, new: dict, kind: ContentKind = SERVICES) -> list[str]:
    old = old or {}
    return [key for key in kind.schema.model_fields if old.get(key) != new.get(key)]


def save_draft(session: Session, item: Service | Place, actor: str, *, create: bool = False) -> ServiceDraft | PlaceDraft:
    """Store a validated service or place as the working copy; citizens see nothing of it until it is published."""
    kind = kind_of(item)
    draft = session.get(kind.draft, item.id)
    if create and draft is not None:
        raise ContentError(f"代碼「{item.id}」已經有{kind.noun}使用，請換一個。")
    if not create and draft is None:
        raise ContentError(f"找不到{kind.noun}「{item.id}」。")
    data = item.model_dump(mode="json")
    fields = changed_fields(draft.data if draft else None, data, kind)
    if draft is None:
        draft = kind.draft(**{kind.key: item.id}, data=data, updated_by=actor)
    elif not fields:
        return draft
    draft.data, draft.updated_by, draft.updated_at = data, actor, utcnow()
    session.add(draft)
    _audit(session, actor, "create_draft" if create else "save_draft", kind.target(item.id), ", ".join(fields))
    return draft


def _add_version(session: Session, kind: ContentKind, item_id: str, data: dict, actor: str,
                 note: str) -> ServiceVersion | PlaceVersion:
    # Validated again here: one invalid latest version would stop every process from loading new content.
    kind.schema.model_validate(data)
    latest = latest_version(session, item_id, kind)
    version = kind.version(
        **{kind.key: item_id},
        version=latest.version + 1 if latest else 1,
        data=data,
        published_by=actor,
        note=note,
    )
    session.add(version)
    bump_revision(session)
    return version


def publish_draft(session: Session, item_id: str, actor: str, note: str | None = None, *,
                  kind: ContentKind = SERVICES) -> ServiceVersion | PlaceVersion:
    """The draft becomes what citizens are answered with, as a new version. Raises pydantic's ValidationError when
    the draft lacks what a published service needs (eligibility, ≥ 2 steps, a contact, a source)."""
    draft = session.get(kind.draft, item_id)
    if draft is None:
        raise ContentError(f"找不到{kind.noun}「{item_id}」。")
    data = kind.schema.model_validate({**draft.data, "status": Status.published.value}).model_dump(mode="json")
    latest = latest_version(session, item_id, kind)
    if latest is not None and latest.data == data:
        raise ContentError("草稿和目前上線的內容相同，沒有需要發布的修改。")
    version = _add_version(session, kind, item_id, data, actor, note or "發布")
    if draft.data != data:
        draft.data = data
        session.add(draft)
    what = ", ".join(changed_fields(latest.data, data, kind)) if latest else "第一次發布"
    _audit(session, actor, "publish", kind.target(item_id), f"第 {version.version} 版：{what}")
    return version


def rollback_service(session: Session, item_id: str, version_number: int, actor: str, *,
                     kind: ContentKind = SERVICES) -> ServiceVersion | PlaceVersion:
    """Publish an earlier version's content again, as a new version (history is never rewritten).

    The draft follows when it held no unpublished edits; otherwise it is kept, so nobody's work is lost.
    """
    old = session.exec(
        select(kind.version).where(kind.key_of(kind.version) == item_id, kind.version.version == version_number)
    ).first()
    latest = latest_version(session, item_id, kind)
    if old is None or latest is None:
        raise ContentError(f"找不到{kind.noun}「{item_id}」的第 {version_number} 版。")
    if old.data == latest.data:
        raise ContentError(f"第 {version_number} 版和目前上線的內容相同，不需要回復。")
    draft = session.get(kind.draft, item_id)
    version = _add_version(session, kind, item_id, old.data, actor, f"回復到第 {version_number} 版")
    if draft is not None and draft.data == latest.data:
        draft.data, draft.updated_by, draft.updated_at = old.data, actor, utcnow()
        session.add(draft)
    _audit(session, actor, "rollback", kind.target(item_id), f"第 {version.version} 版＝第 {version_number} 版的內容")
    return version


def unpublish_service(session: Session, item_id: str, actor: str, *,
                      kind: ContentKind = SERVICES) -> ServiceVersion | PlaceVersion:
    """Stop answering with a service or place (a new version marked draft); publishing the draft again brings it
    back."""
    latest = latest_version(session, item_id, kind)
    if latest is None or latest.data.get("status") != Status.published.value:
        raise ContentError(f"{kind.this}目前沒有上線，不需要下架。")
    version = _add_version(session, kind, item_id, {**latest.data, "status": Status.draft.value}, actor, "下架")
    _audit(session, actor, "unpublish", kind.target(item_id), f"第 {version.version} 版（下架）")
    return version


def _insert_examples(
    session: Session, texts: list[str], *, service_id: str | None, intent: str | None, origin: str
) -> list[Example]:
    cleaned = list(dict.fromkeys(t.strip() for t in texts if t.strip()))
    if not cleaned:
        return []
    IntentExamples(service_id=service_id, intent=intent, examples=cleaned)  # one valid target, as in a file
    existing = set(
        session.exec(select(Example.text).where(Example.service_id == service_id, Example.intent == intent)).all()
    )
    added = [Example(service_id=service_id, intent=intent, text=t, origin=origin) for t in cleaned if t not in existing]
    session.add_all(added)
    return added


def add_examples(
    session: Session,
    texts: list[str],
    actor: str,
    *,
    service_id: str | None = None,
    intent: str | None = None,
    origin: str = "console",
) -> list[Example]:
    """New phrasings of a service or a conversational intent; blanks and ones already there are skipped."""
    if service_id is not None and session.get(ServiceDraft, service_id) is None:
        raise ContentError(f"找不到服務「{service_id}」。")
    added = _insert_examples(session, texts, service_id=service_id, intent=intent, origin=origin)
    if added:
        bump_revision(session)
        shown = "、".join(e.text for e in added[:5]) + ("…" if len(added) > 5 else "")
        _audit(session, actor, "add_examples", service_id or f"intent:{intent}", f"{len(added)} 句：{shown}")
    return added


def remove_example(session: Session, example_id: int, actor: str) -> Example:
    example = session.get(Example, example_id)
    if example is None:
        raise ContentError("找不到這個例句，可能已經被刪除。")
    session.delete(example)
    bump_revision(session)
    _audit(session, actor, "remove_example", example.service_id or f"intent:{example.intent}", example.text)
    return example


# --- YAML as people read it: stable formatting, so an export shows in git as a small readable diff ---------------


class _Flow(list):
    """A short list written on one line, as the hand-written files do for `audience` and `keywords`."""


class _Quoted(str):
    """A string always written in double quotes (phone numbers: "1955" must not become the integer 1955)."""


class _ContentDumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)  # list items indented under their key, like the files

    def choose_scalar_style(self):
        style = super().choose_scalar_style()
        return '"' if style == "'" else style  # the files quote with double quotes


_ContentDumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_ContentDumper.add_representer(_Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style='"'))
FLOW_LISTS = ("audience", "keywords")


class _FlowMap(dict):
    """A short mapping on one line, as the place files write `location: {lat: …, lon: …, approximate: false}`."""


_ContentDumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_ContentDumper, allow_unicode=True, sort_keys=False, width=10_000)


def _without_empty(value):
    """Unset optional fields (None, [], {}) left out at every level, as people write the files."""
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def service_yaml(data: dict, kind: ContentKind = SERVICES) -> str:
    """A service (or a place, with PLACES) as its knowledge/<folder>/<id>.yaml file: schema field order, empty
    optional fields left out."""
    return _dump(kind.layout(kind.schema.model_validate(data)))


def file_layout(service: Service) -> dict:
    """The service as its file holds it: schema field order; unset fields and the defaults people never write
    (`kind: service`, `confirmed: true`) left out."""
    dumped = _without_empty(service.model_dump(mode="json"))
    for benefit in dumped.get("benefits", []):
        if benefit.get("confirmed") is True:
            del benefit["confirmed"]
    out: dict = {}
    for key in Service.model_fields:
        value = dumped.get(key, {} if key == "translations" else None)  # `translations: {}` marks "not yet"
        if value is None or (key == "kind" and value == Kind.service):
            continue
        if key in FLOW_LISTS:
            value = _Flow(value)
        elif key == "contacts":
            value = [{**c, "phone": _Quoted(c["phone"])} if "phone" in c else c for c in value]
        elif key == "last_verified":
            value = service.last_verified
        out[key] = value
    return out


def place_layout(place: Place) -> dict:
    """The place as its file holds it: schema field order, unset fields left out, the position and the languages on
    one line, the phone quoted."""
    dumped = _without_empty(place.model_dump(mode="json"))
    flows = {"location": _FlowMap, "languages": _Flow, "phone": _Quoted}
    out: dict = {}
    for key in Place.model_fields:
        if key in dumped:
            out[key] = place.last_verified if key == "last_verified" else flows.get(key, lambda v: v)(dumped[key])
    return out


def write_service_file(path: Path, service: Service) -> None:
    path.write_text(_dump(file_layout(service)), encoding="utf-8")


def mark_translations_current(path: Path, langs: list[str] | None = None) -> list[str]:
    """Record that the service's translations (all, or `langs`) were made from its Chinese text as it is now, after
    a translator brought them up to date. Returns the languages marked."""
    service = load_service_file(path)
    fingerprint = service.fingerprint()
    marked = [lang for lang in service.translations if langs is None or lang in langs]
    for lang in marked:
        service.translations[lang].source_hash = fingerprint
    write_service_file(path, service)
    return marked


def examples_yaml(texts: list[str], *, service_id: str | None = None, intent: str | None = None) -> str:
    head = {"service_id": service_id} if service_id else {"intent": intent}
    return _dump({**head, "examples": list(texts)})


def version_diff(old: dict | None, new: dict, old_label: str = "", new_label: str = "", *,
                 kind: ContentKind = SERVICES) -> list[str]:
    """Line diff of two versions of a service or place as YAML (what staff read in the history page)."""
    before = service_yaml(old, kind).splitlines() if old else []
    after = service_yaml(new, kind).splitlines()
    return list(difflib.unified_diff(before, after, old_label, new_label, lineterm="", n=2))


# --- Between the database and the files in git ----------------------------------------------------------------------


@dataclass
class SyncReport:
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    unchanged: int = 0
    versions: list[str] = field(default_factory=list)  # "<service id> v<n>" (place:<id> v<n>) published by an import
    drafts: int = 0
    examples_added: int = 0


def _exported_service(draft: ServiceDraft | PlaceDraft, latest: ServiceVersion | PlaceVersion | None) -> dict:
    """What the files hold for a service or place: what citizens get; a never-published one as its draft."""
    if latest is not None:
        return latest.data
    return {**draft.data, "status": Status.draft.value}


def export_to_files(session: Session, knowledge_dir: Path, intents_dir: Path) -> SyncReport:
    """Write the database's content as files; a file whose content is already the same is left untouched."""
    report = SyncReport()
    intents_dir.mkdir(parents=True, exist_ok=True)
    for kind in (SERVICES, PLACES):
        folder = knowledge_dir / kind.folder
        folder.mkdir(parents=True, exist_ok=True)
        latest = latest_versions(session, kind)
        for draft in session.exec(select(kind.draft).order_by(kind.key_of(kind.draft))):
            data = _exported_service(draft, latest.get(kind.key_of(draft)))
            path = folder / f"{kind.key_of(draft)}.yaml"
            if path.exists() and load_service_file(path, kind).model_dump(mode="json") == data:
                report.unchanged += 1
            else:
                path.write_text(service_yaml(data, kind), encoding="utf-8")
                report.written.append(path)
    grouped: dict[tuple[str | None, str | None], list[str]] = {}
    for example in session.exec(select(Example).order_by(Example.id)):
        grouped.setdefault((example.service_id, example.intent), []).append(example.text)
    for (service_id, intent), texts in sorted(grouped.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
        path = intents_dir / (f"{service_id}.yaml" if service_id else f"_{intent}.yaml")
        if path.exists() and IntentExamples.model_validate(read_yaml(path)).examples == texts:
            report.unchanged += 1
        else:
            path.write_text(examples_yaml(texts, service_id=service_id, intent=intent), encoding="utf-8")
            report.written.append(path)
    # A service whose phrasings were all removed in the console: its file would otherwise bring them back.
    for draft_id in session.exec(select(ServiceDraft.service_id)).all():
        path = intents_dir / f"{draft_id}.yaml"
        if (draft_id, None) not in grouped and path.exists():
            path.unlink()
            report.removed.append(path)
    return report


def import_from_files(session: Session, kb: KnowledgeBase, actor: str) -> SyncReport:
    """Make the database hold what the files hold: drafts updated, file-published services and places published
    as new versions, ones marked draft in the files taken offline, missing example phrasings added.

    Nothing is deleted: services, places and phrasings only in the database stay (remove them in the console).
    """
    report = SyncReport()
    for kind, items in ((SERVICES, kb.services), (PLACES, kb.places)):
        for item in items:
            data = item.model_dump(mode="json")
            draft = session.get(kind.draft, item.id)
            if draft is None or draft.data != data:
                draft = draft or kind.draft(**{kind.key: item.id}, data=data, updated_by=actor)
                draft.data, draft.updated_by, draft.updated_at = data, actor, utcnow()
                session.add(draft)
                report.drafts += 1
            latest = latest_version(session, item.id, kind)
            live = latest is not None and latest.data.get("status") == Status.published.value
            if (item.status is Status.published and (latest is None or latest.data != data)) or (
                item.status is Status.draft and live
            ):
                version = _add_version(session, kind, item.id, data, actor, "由檔案匯入")
                report.versions.append(f"{kind.target(item.id)} v{version.version}")
    targets = [(sid, None, texts) for sid, texts in kb.service_examples.items()]
    targets += [(None, intent, texts) for intent, texts in kb.intent_examples.items()]
    session.flush()
    for service_id, intent, texts in targets:
        report.examples_added += len(
            _insert_examples(session, list(texts), service_id=service_id, intent=intent, origin="file")
        )
    if report.examples_added:  # new versions bumped already; drafts do not reach citizens
        bump_revision(session)
    if report.drafts or report.versions or report.examples_added:
        _audit(
            session, actor, "import", "knowledge",
            f"{report.drafts} 個草稿更新、{len(report.versions)} 個新版本、{report.examples_added} 句例句",
        )
    return report
