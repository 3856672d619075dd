"""`python -m app COMMAND`: the operator's and staff's command line.

    serve           run the bot: the web server and ANSWER_WORKERS answer workers (embedded defaults: SQLite,
                    builtin encoder; LINE credentials from the environment)
    worker          one answer worker: replies to the webhook events the web servers stored (run as many as needed,
                    on any machine sharing the database)
    ask TEXT        answer a question as the bot would (--json: the /api/ask JSON)
    import-seeds    read the seed plans into knowledge/plan_items.json
    build-index     build the retrieval index for the current content
    catalogue       every service and plan item as Markdown or HTML, for staff review
    eval            evaluate retrieval on the held-out set, with baselines (--seeds N: and the spread over N encoder seeds)
    migrate         bring the database schema to the newest revision
    create-user NAME --role admin|publisher|editor
                    add a staff console account; the password is read from standard input (--reset: new password)
    import-knowledge  knowledge/ and intents/ files into the database (published files are published, audited)
    export-knowledge  the database's content into knowledge/services/*.yaml and intents/*.yaml, for review in git
    translations-current ID [--lang L]
                    mark a service's translations as made from its Chinese text as it is now (after updating them)
    content-report  what staff should re-check: verification age, closed windows, old amounts, stale translations,
                    doubtful phone numbers (--all: every service, not only those with findings)
    rich-menu       draw the rich menu and install it as the LINE channel's default (--image-only PATH: just draw)
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from pathlib import Path

from app.config import get_settings


def _content():
    """Database prepared and content loaded exactly as the server does it."""
    from app.db import session_scope
    from app.knowledge.service import load_from_database
    from app.main import prepare_database
    from app.nlu.service import build_engine

    prepare_database()
    with session_scope() as session:
        kb = load_from_database(session, get_settings().knowledge_dir)
    return kb, build_engine(kb, get_settings())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.supervisor import AnswerWorkers

    settings = get_settings()
    # uvicorn imports the app into this process, whose logging `main` set up for one-off commands (warnings only):
    # the web process logs what it does as the worker does.
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)
    count = settings.answer_workers if args.answer_workers is None else args.answer_workers
    with AnswerWorkers(count):
        uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers, log_level="info")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from app.line.worker import serve
    from app.main import prepare_database

    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)
    prepare_database()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if args.parent:  # started by `serve`: end with it, even when it was killed without a chance to say so
            loop.create_task(_stop_when_orphaned(args.parent, stop))
        await serve(settings, stop)

    asyncio.run(run())
    return 0


async def _stop_when_orphaned(parent: int, stop) -> None:
    import asyncio
    import os

    while os.getppid() == parent:
        await asyncio.sleep(1)
    logging.getLogger(__name__).warning("the serving process is gone: this answer worker stops")
    stop.set()


def cmd_ask(args: argparse.Namespace) -> int:
    from app.conversation.service import reply_to_text
    from app.conversation.views import to_response
    from app.db import session_scope

    kb, engine = _content()
    with session_scope() as session:
        reply = reply_to_text(session, args.text, kb=kb, engine=engine, channel="cli", language=args.lang)
    if args.json:
        print(json.dumps(to_response(reply).model_dump(), ensure_ascii=False, indent=2))
        return 0
    for message in reply.messages:
        print(message.get("text") or reply.text_fallback or message.get("altText", ""))
        options = [item["action"].get("label") for item in message.get("quickReply", {}).get("items", [])]
        if options:
            print("\n[" + "] [".join(options) + "]")
    return 0


def cmd_import_seeds(args: argparse.Namespace) -> int:
    from app.knowledge.seeds import main

    return main(args.rest)


def cmd_build_index(_args: argparse.Namespace) -> int:
    kb, _engine = _content()
    print(f"index ready for {len(kb.published)} published services, {len(kb.plan_items)} plan items")
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    from app.knowledge import catalogue
    from app.knowledge.service import load_from_files

    settings = get_settings()
    kb = load_from_files(settings.knowledge_dir, settings.intents_dir)
    document = catalogue.html_page(kb) if args.format == "html" else catalogue.markdown(kb)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(document)
        print(f"wrote {args.out}")
    else:
        print(document)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Routing on the held-out set with baselines, then what citizens meet: every set through the conversation."""
    from app.conversation.evaluation import print_seed_spread, run_conversation_eval
    from app.nlu.evaluation import run_eval

    settings = get_settings()
    run_eval(settings, sys.stdout)
    reports = [run_conversation_eval(settings, sys.stdout)]
    for offset in range(1, args.seeds):  # the same content, encoders trained from other seeds, indexes of their own
        seed = settings.builtin_seed + offset
        # Beside the index directory, not inside it: old indexes are pruned there.
        index_dir = settings.index_dir.with_name(f"{settings.index_dir.name}-seed-{seed}")
        other = settings.model_copy(update={"builtin_seed": seed, "index_dir": index_dir})
        reports.append(run_conversation_eval(other, io.StringIO()))
    if len(reports) > 1:
        print_seed_spread(reports, sys.stdout)
    return 0


def cmd_migrate(_args: argparse.Namespace) -> int:
    from app.db import migrate

    migrate()
    print("database schema is up to date")
    return 0


def _read_password() -> str:
    """From the terminal without echo (asked twice), or the first line of piped standard input."""
    import getpass

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise SystemExit("create-user: the two passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


def cmd_create_user(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from app.console.auth import AccountError, create_user, reset_password, set_role
    from app.console.models import StaffRole, StaffUser
    from app.db import migrate, session_scope

    password = _read_password()
    migrate()
    try:
        with session_scope() as session:
            existing = session.exec(select(StaffUser).where(StaffUser.username == args.name.strip().lower())).first()
            if existing and existing.id is not None and args.reset:  # a stored row has its id
                reset_password(session, existing.id, password, "cli")
                set_role(session, existing.id, StaffRole(args.role), "cli")
            elif existing:
                raise AccountError(f"user {existing.username!r} exists; add --reset to give it a new password")
            else:
                create_user(session, args.name, password, StaffRole(args.role), "cli")
    except AccountError as exc:
        print(f"create-user: {exc}", file=sys.stderr)
        return 1
    print(f"{args.role} {args.name.strip().lower()!r} can sign in at /console")
    return 0


def cmd_import_knowledge(args: argparse.Namespace) -> int:
    from app.db import migrate, session_scope
    from app.knowledge.service import KnowledgeError, import_from_files, load_from_files

    try:
        kb = load_from_files(args.knowledge_dir, args.intents_dir)
    except KnowledgeError as exc:
        print(f"import-knowledge: {exc}", file=sys.stderr)
        return 1
    migrate()
    with session_scope() as session:
        report = import_from_files(session, kb, "import")
    print(f"{len(kb.services)} services and {len(kb.places)} places read: {report.drafts} drafts updated, {len(report.versions)} published as "
          f"new versions, {report.examples_added} example phrasings added")
    for version in report.versions:
        print(f"  published {version}")
    return 0


def cmd_export_knowledge(args: argparse.Namespace) -> int:
    from app.db import migrate, session_scope
    from app.knowledge.service import export_to_files

    migrate()
    with session_scope() as session:
        report = export_to_files(session, args.knowledge_dir, args.intents_dir)
    for path in report.written:
        print(f"  wrote {path}")
    for path in report.removed:
        print(f"  removed {path}")
    print(f"{len(report.written)} files written, {len(report.removed)} removed, {report.unchanged} already up to date")
    return 0


def cmd_translations_current(args: argparse.Namespace) -> int:
    from app.knowledge.service import SERVICES_DIR, mark_translations_current

    path = get_settings().knowledge_dir / SERVICES_DIR / f"{args.service_id}.yaml"
    if not path.exists():
        print(f"no service file {path}", file=sys.stderr)
        return 1
    marked = mark_translations_current(path, args.lang)
    print(f"{args.service_id}: {', '.join(marked) or 'no'} translations marked current")
    return 0


def cmd_content_report(args: argparse.Namespace) -> int:
    from app.db import taipei_today
    from app.knowledge import staleness
    from app.knowledge.service import load_from_files

    settings = get_settings()
    kb = load_from_files(settings.knowledge_dir, settings.intents_dir)
    retired = staleness.load_retired_numbers(settings.knowledge_dir)
    report = staleness.review(kb.services, taipei_today(), retired)
    print(staleness.as_text(report, everything=args.all))
    return 0


def cmd_rich_menu(args: argparse.Namespace) -> int:
    import asyncio

    from app.line.richmenu import RichMenuError, install_rich_menu, render_image

    settings = get_settings()
    try:
        image = render_image(settings)
        if args.image_only:
            args.image_only.write_bytes(image)
            print(f"rich menu image written to {args.image_only} ({len(image):,} bytes)")
            return 0
        rich_menu_id = asyncio.run(install_rich_menu(settings, image))
    except RichMenuError as exc:
        print(f"rich-menu: {exc}", file=sys.stderr)
        return 1
    print(f"rich menu {rich_menu_id} installed as the default for every user")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the bot")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="web server processes")
    serve.add_argument("--answer-workers", type=int, help="answer worker processes (default: ANSWER_WORKERS)")
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser("worker", help="run one answer worker")
    worker.add_argument("--parent", type=int, help=argparse.SUPPRESS)  # set by `serve`
    worker.set_defaults(func=cmd_worker)

    ask = commands.add_parser("ask", help="answer a question as the bot would")
    ask.add_argument("text")
    ask.add_argument("--json", action="store_true", help="print the /api/ask JSON")
    ask.add_argument("--lang", help="reply language (zh-TW, en, id, vi, th)")
    ask.set_defaults(func=cmd_ask)

    seeds = commands.add_parser("import-seeds", help="import the seed plans into knowledge/", add_help=False)
    seeds.add_argument("rest", nargs=argparse.REMAINDER)
    seeds.set_defaults(func=cmd_import_seeds)

    commands.add_parser("build-index", help="build the retrieval index").set_defaults(func=cmd_build_index)
    cat = commands.add_parser("catalogue", help="staff-readable catalogue of the knowledge base")
    cat.add_argument("--format", choices=("md", "html"), default="md")
    cat.add_argument("--out", help="write to this file instead of standard output")
    cat.set_defaults(func=cmd_catalogue)

    evaluate = commands.add_parser("eval", help="evaluate routing on the held-out set, and every set through the conversation")
    evaluate.add_argument("--seeds", type=int, default=1, help="also build with the next encoder seeds and report the "
                          "spread (one build's figures move with its seed: compare changes on the mean)")
    evaluate.set_defaults(func=cmd_eval)
    commands.add_parser("migrate", help="upgrade the database schema").set_defaults(func=cmd_migrate)

    create_user = commands.add_parser("create-user", help="add a staff console account (password from stdin)")
    create_user.add_argument("name")
    create_user.add_argument("--role", required=True, choices=("admin", "publisher", "editor"))
    create_user.add_argument("--reset", action="store_true", help="the user exists: set this password and role")
    create_user.set_defaults(func=cmd_create_user)

    settings = get_settings()
    for name, func, help_text in (
        ("import-knowledge", cmd_import_knowledge, "files → database (published files are published)"),
        ("export-knowledge", cmd_export_knowledge, "database → files, for review in git"),
    ):
        sync = commands.add_parser(name, help=help_text)
        sync.add_argument("--knowledge-dir", type=Path, default=settings.knowledge_dir)
        sync.add_argument("--intents-dir", type=Path, default=settings.intents_dir)
        sync.set_defaults(func=func)

    current = commands.add_parser("translations-current", help="mark a service's translations as up to date")
    current.add_argument("service_id")
    current.add_argument("--lang", action="append", help="only this language (repeatable)")
    current.set_defaults(func=cmd_translations_current)
    report = commands.add_parser("content-report", help="what staff should re-check in the content")
    report.add_argument("--all", action="store_true", help="list every service, not only those with findings")
    report.set_defaults(func=cmd_content_report)

    rich_menu = commands.add_parser("rich-menu", help="draw the rich menu and install it as the channel's default")
    rich_menu.add_argument("--image-only", type=Path, metavar="PATH", help="write the image to PATH; call no API")
    rich_menu.set_defaults(func=cmd_rich_menu)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args.func(args)
