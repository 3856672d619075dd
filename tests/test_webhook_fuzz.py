"""Signed fuzzing of the webhook (the security audit's F5/F14 campaign as a test, fixed seed): LINE's own sample
events, mutated — fields deleted, retyped, made huge, deep, NUL-bearing or lone surrogates, new types — each body
carrying one valid "canary" text event (the menu command: answered without retrieval, so the test times the
webhook, not the NLU). No body may get a 5xx, and every canary must be answered exactly once."""

from __future__ import annotations

import copy
import json
import random
import time
import uuid

import httpx

from tests.conftest import sign, text_event
from tests.servers import ServerProcess, private_database
from tests.test_webhook import SAMPLE_EVENTS

SEED = 20261202
BODIES = 2000
PACE = 100  # bodies sent before waiting for their canaries' replies
ODD_VALUES = [None, 0, -1, 2**63, 1e30, float("inf"), float("nan"), True, "", "x" * 300, "\ud800", "a\x00b",
              [], {}, "🙂" * 20, "U" + "f" * 32, {"type": "brandNew"}, [[[[[]]]]], -(2**70), "9" * 40]


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def paths(value, prefix=()):
    """Every place in an event a mutation can touch."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def mutate(event: dict, rng: random.Random) -> dict:
    event = copy.deepcopy(event)
    event["webhookEventId"] = uuid.UUID(int=rng.getrandbits(128)).hex.upper()[:26]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice([p for p in paths(event) if p])
        parent = event
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = rng.random()
        if action < 0.15 and isinstance(parent, dict):
            del parent[last]
        elif action < 0.25 and isinstance(parent, dict):
            parent[f"new{rng.randint(0, 99)}"] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif action < 0.3:
            parent[last] = nested(rng.choice([10, 40, 200]))
        else:
            parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))
    return event


def test_mutated_sample_events_never_cost_a_5xx_or_a_valid_event(client, line, tmp_path):
    """Through a real server (`python -m app serve`, its own answer worker) on a database of its own."""
    with private_database(tmp_path) as url:
        server = ServerProcess({"DATABASE_URL": url, "DATA_DIR": str(tmp_path)}, tmp_path / "server.log")
        try:
            server.wait_ready()
            fuzz(server.url, line)
        finally:
            server.stop()


def fuzz(url: str, line) -> None:
    rng = random.Random(SEED)
    samples = json.loads(SAMPLE_EVENTS.read_text())["events"]
    canaries, statuses = [], []
    with httpx.Client(base_url=url, timeout=30) as http:
        for n in range(BODIES):
            if n and n % PACE == 0:  # within the worker's pace: a canary must not wait past its token's life
                answered_by(canaries, line, deadline=time.monotonic() + 60)
            canary = text_event("選單", user="U" + uuid.UUID(int=rng.getrandbits(128)).hex)
            events = [mutate(rng.choice(samples), rng) for _ in range(rng.randint(0, 4))]
            events.insert(rng.randint(0, len(events)), canary)
            body = json.dumps({"destination": "U" + "0" * 32, "events": events}).encode()
            headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body)}
            statuses.append(http.post("/callback", content=body, headers=headers).status_code)
            canaries.append(canary["replyToken"])
    assert [s for s in statuses if s >= 500] == []
    assert set(statuses) == {200}
    answered_by(canaries, line, deadline=time.monotonic() + 120)
    time.sleep(1.0)
    answered = [r.body["replyToken"] for r in line.replies() if r.body and r.body.get("replyToken") in canaries]
    assert len(set(answered)) == len(canaries), f"{len(canaries) - len(set(answered))} canaries never answered"
    assert len(answered) == len(canaries), "a canary was answered more than once"


def answered_by(canaries: list[str], line, *, deadline: float) -> None:
    wanted = set(canaries)
    while time.monotonic() < deadline:
        if wanted <= {r.body["replyToken"] for r in line.replies() if r.body and "replyToken" in r.body}:
            return
        time.sleep(0.2)
