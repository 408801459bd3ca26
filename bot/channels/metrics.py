"""The SMS channel's Prometheus metrics: what the bot's own side of a burst looks like. Rasa 3.6 open source has no
metrics endpoint; this one is served by prometheus-client's HTTP server on NAVIGATOR_BOT_METRICS_HOST:PORT
(default port 0: off), started with the channel, never at import. Labels are outcomes only, never a number or a text.

- navigator_sms_messages_total{outcome}: webhooks by what became of them (answered_inline, answered_late, failed,
  duplicate, refused_signature, bad_request, not_configured, opt_out, opt_in, opted_out, help, delete,
  checkin_answer: a bare 1, 2 or 3 the api took as the answer to a follow-up check-in);
- navigator_sms_waiting / navigator_sms_working: messages waiting for a slot (NAVIGATOR_SMS_CONCURRENCY) and in one;
- navigator_sms_reply_seconds: from a message's turn (its wait for a slot included) to its reply being ready;
- navigator_sms_late_parts_total{result}: parts of late replies Twilio's REST API accepted (sent) or not (not_sent).
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

log = logging.getLogger("navigator.sms")

OUTCOMES = (
    "answered_inline", "answered_late", "failed", "duplicate", "refused_signature", "bad_request", "not_configured",
    "opt_out", "opt_in", "opted_out", "help", "delete", "checkin_answer",
)  # fmt: skip


class SmsMetrics:
    def __init__(self) -> None:
        # One registry per channel: tests make several channels in one process.
        self.registry = CollectorRegistry(auto_describe=True)
        self.messages = Counter(
            "navigator_sms_messages", "SMS webhooks, by what became of them.", ["outcome"], registry=self.registry
        )
        for outcome in OUTCOMES:
            self.messages.labels(outcome)
        self.waiting = Gauge("navigator_sms_waiting", "Messages waiting for a slot.", registry=self.registry)
        self.working = Gauge("navigator_sms_working", "Messages the bot is working on.", registry=self.registry)
        self.reply_seconds = Histogram(
            "navigator_sms_reply_seconds",
            "From a message's turn (its wait for a slot included) to its reply being ready.",
            buckets=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0, 300.0),
            registry=self.registry,
        )
        self.late_parts = Counter(
            "navigator_sms_late_parts", "Parts of late replies, sent or not.", ["result"], registry=self.registry
        )
        for result in ("sent", "not_sent"):
            self.late_parts.labels(result)

    def count(self, outcome: str) -> None:
        self.messages.labels(outcome).inc()

    def serve(self, host: str, port: int) -> bool:
        """Start the endpoint if a port is set; a port in use is logged, never fatal to the bot."""
        if not port:
            return False
        try:
            start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            log.warning("SMS metrics endpoint not started on port %d: %s", port, exc.strerror)
            return False
        log.info("SMS metrics on http://%s:%d/metrics", host, port)
        return True
