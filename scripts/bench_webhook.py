"""Load benchmark of the webhook, end to end, on this machine (load generator included), with the local fake LINE
API: LINE forbids load tests through its platform.

Three measurements, each against fresh server processes (`python -m app serve`):

  rate        signed text events offered at a set rate (open loop) for a set time: acknowledgement p50/p99, time
              until the reply reaches LINE p50/p99, and events lost (acknowledged, never replied to, not even
              recorded as missed).
  ack         acknowledgements per second with CONNECTIONS requests in flight (closed loop), side by side with a
              no-op FastAPI endpoint served the same way in the same run; answer workers off, so the web process
              alone is measured.
  throughput  replies per second with 1 and with 2 answer workers, offered more than they can answer (set
              BENCH_DATABASE_URL to a PostgreSQL database to measure scaling out on it).

    python scripts/bench_webhook.py [--rate 150] [--seconds 15] [--only rate ack throughput]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import CHANNEL_SECRET, FAKE_LINE, sign, text_event, webhook_body  # noqa: E402  (sets the env)
from tests.servers import ServerProcess, free_port  # noqa: E402

QUESTIONS = ["老闆欠薪三個月怎麼辦", "我想申請勞資爭議調解", "失業給付要準備什麼", "衝剪機械補助怎麼申請",
             "Bos saya belum bayar gaji", "青年就業獎勵怎麼領", "職災可以請什麼", "勞保沒保怎麼辦"]
TOKEN_LIFE_SECONDS = 60  # a reply not sent by then can never be sent


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Connections:
    """Keep-alive HTTP/1.1 connections written by hand: a client in Python fast enough not to be what is measured
    (httpx tops out far below a no-op endpoint on this machine)."""

    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        self._idle: asyncio.Queue = asyncio.Queue()

    async def open(self) -> Connections:
        for _ in range(self.count):
            self._idle.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))
        return self

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        reader, writer = await self._idle.get()
        try:
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode()
                         + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            return status
        finally:
            self._idle.put_nowait((reader, writer))

    async def close(self) -> None:
        while not self._idle.empty():
            _reader, writer = self._idle.get_nowait()
            writer.close()


def signed_event(n: int) -> tuple[str, bytes, dict[str, str]]:
    event = text_event(QUESTIONS[n % len(QUESTIONS)], user=f"U{uuid.uuid4().hex}")
    body = webhook_body(event)
    return event["replyToken"], body, {"Content-Type": "application/json", "X-Line-Signature": sign(body, CHANNEL_SECRET)}


async def offer(port: int, rate: float, seconds: float, connections: int) -> dict:
    """Open loop: one event every 1/rate seconds, whatever the server's pace."""
    pool = await Connections(port, connections).open()
    sent_at: dict[str, float] = {}
    ack_ms: list[float] = []
    refused = 0

    async def send(n: int) -> None:
        nonlocal refused
        token, body, headers = signed_event(n)
        start = time.monotonic()
        status = await pool.post("/callback", body, headers)
        if status != 200:
            refused += 1
            return
        ack_ms.append((time.monotonic() - start) * 1000)
        sent_at[token] = start

    total = int(rate * seconds)
    begin = time.monotonic()
    tasks = []
    for n in range(total):
        delay = begin + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n)))
    await asyncio.gather(*tasks)
    offered_for = time.monotonic() - begin
    await pool.close()

    deadline = time.monotonic() + TOKEN_LIFE_SECONDS
    while time.monotonic() < deadline:
        replied = {r.body["replyToken"]: r.at for r in FAKE_LINE.replies() if r.body}
        if all(token in replied for token in sent_at):
            break
        await asyncio.sleep(0.2)
    replies = FAKE_LINE.replies()
    first = {}
    for r in replies:
        first.setdefault(r.body["replyToken"], r.at)
    reply_ms = [(first[t] - at) * 1000 for t, at in sent_at.items() if t in first]
    return {"offered": total, "offered_per_s": total / offered_for, "acknowledged": len(ack_ms), "refused": refused,
            "ack_p50": statistics.median(ack_ms) if ack_ms else float("nan"), "ack_p99": percentile(ack_ms, 0.99),
            "replied": len(reply_ms), "reply_p50": statistics.median(reply_ms) if reply_ms else float("nan"),
            "reply_p99": percentile(reply_ms, 0.99), "not_replied": len(sent_at) - len(reply_ms),
            "extra_requests": len(replies) - len(first),
            "replies_per_s": len(first) / max(1e-9, max(first.values(), default=0) - min(sent_at.values(), default=0))}


async def closed_loop(port: int, path: str, seconds: float, connections: int, bodies: list) -> float:
    """Requests per second with `connections` always in flight."""
    pool = await Connections(port, connections).open()
    done = 0
    stop_at = time.monotonic() + seconds

    async def keep_sending(k: int) -> None:
        nonlocal done
        n = k
        while time.monotonic() < stop_at:
            _token, body, headers = bodies[n % len(bodies)]
            if await pool.post(path, body, headers) == 200:
                done += 1
            n += connections

    begin = time.monotonic()
    await asyncio.gather(*(keep_sending(k) for k in range(connections)))
    elapsed = time.monotonic() - begin
    await pool.close()
    return done / elapsed


def metrics(url: str) -> dict[str, float]:
    found = {}
    for row in httpx.get(url + "/metrics", timeout=10).text.splitlines():
        if row.startswith(("laborbot_webhook_events_finished_total", "laborbot_queue_events")):
            name, value = row.rsplit(" ", 1)
            found[name] = float(value)
    return found


def start_server(answer_workers: int, label: str) -> ServerProcess:
    work = Path(tempfile.mkdtemp(prefix=f"bench-webhook-{label}-"))
    env = {"DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{work / 'bench.db'}"),
           "DATA_DIR": str(work), "LOG_LEVEL": "WARNING"}
    if env["DATABASE_URL"].startswith("postgresql"):
        from tests.conftest import reset_postgres

        reset_postgres(env["DATABASE_URL"])
    return ServerProcess(env, work / "server.log", answer_workers=answer_workers).wait_ready()


def wait_for_workers(server: ServerProcess) -> None:
    """The web server is ready before its answer workers are: one warm-up event answered says they are."""
    FAKE_LINE.reset()
    asyncio.run(offer(server.port, 4, 1, 2))
    FAKE_LINE.reset()


def run_rate(args) -> None:
    server = start_server(args.answer_workers, "rate")
    try:
        wait_for_workers(server)
        result = asyncio.run(offer(server.port, args.rate, args.seconds, args.connections))
        finished = metrics(server.url)
    finally:
        server.stop()
    missed = finished.get('laborbot_webhook_events_finished_total{outcome="missed"}', 0)
    lost = result["not_replied"] - missed
    print(f"\nrate: {result['offered']} events offered at {result['offered_per_s']:.0f}/s for {args.seconds:.0f} s, "
          f"{args.answer_workers} answer worker(s), {args.connections} connections")
    print(f"  acknowledged {result['acknowledged']} (refused {result['refused']}); "
          f"ack p50 {result['ack_p50']:.1f} ms, p99 {result['ack_p99']:.1f} ms")
    print(f"  replied {result['replied']}; reply p50 {result['reply_p50']:.0f} ms, p99 {result['reply_p99']:.0f} ms; "
          f"recorded as missed {missed:.0f}; lost {lost:.0f}; repeated reply requests {result['extra_requests']}")


def run_ack(args) -> None:
    bodies = [signed_event(n) for n in range(20_000)]
    noop_port = free_port()
    # Served as `serve` serves the app: one uvicorn process, access log on.
    noop = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench_noop:app", "--app-dir", str(ROOT / "scripts"),
                             "--host", "127.0.0.1", "--port", str(noop_port), "--log-level", "info"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = start_server(0, "ack")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.post(f"http://127.0.0.1:{noop_port}/noop", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        rows = []
        for _round in range(2):  # alternate, so neither side gets the quieter machine
            rows.append(("noop", asyncio.run(closed_loop(noop_port, "/noop", args.ack_seconds, args.connections,
                                                         bodies))))
            rows.append(("callback", asyncio.run(closed_loop(server.port, "/callback", args.ack_seconds,
                                                             args.connections, bodies))))
    finally:
        server.stop()
        noop.terminate()
    noop_rate = statistics.median(rate for name, rate in rows if name == "noop")
    callback_rate = statistics.median(rate for name, rate in rows if name == "callback")
    print(f"\nack: {args.connections} requests in flight, {args.ack_seconds:.0f} s per round, 2 rounds each")
    print(f"  no-op FastAPI endpoint {noop_rate:.0f}/s; /callback (verify, store, 200) {callback_rate:.0f}/s "
          f"= {100 * callback_rate / noop_rate:.0f}% of the no-op")


def run_throughput(args) -> None:
    results = {}
    for workers in (1, 2):
        server = start_server(workers, f"throughput{workers}")
        try:
            wait_for_workers(server)
            result = asyncio.run(offer(server.port, args.overload_rate, args.overload_seconds, args.connections))
        finally:
            server.stop()
        results[workers] = result["replies_per_s"]
        print(f"\nthroughput, {workers} answer worker(s): offered {result['offered_per_s']:.0f}/s for "
              f"{args.overload_seconds:.0f} s → {result['replies_per_s']:.0f} replies/s "
              f"(replied {result['replied']}, reply p99 {result['reply_p99']:.0f} ms)")
    database = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL", "").startswith("postgresql") else "SQLite"
    print(f"  two workers / one on {database}: {results[2] / results[1]:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=("rate", "ack", "throughput"), default=["rate", "ack", "throughput"])
    parser.add_argument("--rate", type=float, default=150, help="events per second offered (rate)")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--answer-workers", type=int, default=2, help="answer workers for the rate run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--ack-seconds", type=float, default=5)
    parser.add_argument("--overload-rate", type=float, default=400)
    parser.add_argument("--overload-seconds", type=float, default=8)
    args = parser.parse_args()
    for name in args.only:
        {"rate": run_rate, "ack": run_ack, "throughput": run_throughput}[name](args)


if __name__ == "__main__":
    main()
