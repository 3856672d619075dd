"""`GET /metrics` (Prometheus): the webhook's acknowledgements in this process, and the answer queue as a whole.

The queue's figures are read from the database when Prometheus scrapes, so they cover every worker on every machine
that shares it: events waiting and in progress, the age of the oldest unanswered event, and how every finished event
ended (replies per second is `rate(laborbot_webhook_events_finished_total{outcome="replied"}[1m])`).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from app.db import session_scope
from app.line import queue
from app.line.intake import Intake

log = logging.getLogger(__name__)
router = APIRouter(tags=["ops"])

WEBHOOK_REQUESTS = Counter("laborbot_webhook_requests", "Webhook requests by how they were answered", ["outcome"])
WEBHOOK_EVENTS = Counter("laborbot_webhook_events_received", "Webhook events received, by what was done with them",
                         ["result"])
ACK_SECONDS = Histogram("laborbot_webhook_ack_seconds", "Time to acknowledge a webhook request (LINE wants < 2 s)",
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5))


def acknowledged(stored: Intake, seconds: float) -> None:
    WEBHOOK_REQUESTS.labels("accepted").inc()
    WEBHOOK_EVENTS.labels("stored").inc(stored.new)
    WEBHOOK_EVENTS.labels("duplicate").inc(stored.duplicates)
    WEBHOOK_EVENTS.labels("malformed").inc(stored.malformed)
    ACK_SECONDS.observe(seconds)


class QueueCollector(Collector):
    def describe(self):
        """The metrics' names, without reading the database (asked once, when the collector is registered)."""
        yield GaugeMetricFamily("laborbot_queue_events", "Webhook events not yet finished", labels=["state"])
        yield GaugeMetricFamily("laborbot_queue_oldest_unanswered_seconds", "Age of the oldest event not yet answered")
        yield CounterMetricFamily("laborbot_webhook_events_finished", "Events finished, by how they ended",
                                  labels=["outcome"])

    def collect(self):
        try:
            with session_scope() as session:
                backlog = queue.backlog(session)
        except Exception:  # a scrape during a database outage says so by the metric's absence, not an error page
            log.exception("queue metrics unavailable")
            return
        depth = GaugeMetricFamily("laborbot_queue_events", "Webhook events not yet finished", labels=["state"])
        depth.add_metric(["waiting"], backlog.waiting)
        depth.add_metric(["in_progress"], backlog.in_progress)
        yield depth
        yield GaugeMetricFamily("laborbot_queue_oldest_unanswered_seconds",
                                "Age of the oldest event not yet answered (0 when none)",
                                value=backlog.oldest_waiting_seconds)
        finished = CounterMetricFamily("laborbot_webhook_events_finished", "Events finished, by how they ended",
                                       labels=["outcome"])
        for outcome, count in backlog.totals.items():
            finished.add_metric([outcome], count)
        yield finished


REGISTRY.register(QueueCollector())


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def prometheus_metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
