from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firebell.alerts.forwarding import (
    BACKOFF_CAP,
    GIVE_UP_AFTER,
    ForwardOutcome,
    ForwardRequest,
    after_attempt,
    backoff,
    checked_forward_to,
    outcome_of,
    target_url,
)
from firebell.alerts.model import AlertEvent, AlertSeverity, EventAction, Outcome
from firebell.alerts.service import Submission, ingest_batch
from firebell.kernel.errors import ValidationFailed
from tests.unit.alerts.fakes import FakeAlertRepo, FakeConfigs, FakeIncidents, FakeStore, config

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("forward_to", "suffix", "url"),
    [
        ("https://events.pagerduty.com/v2/enqueue", "", "https://events.pagerduty.com/v2/enqueue"),
        ("https://api.opsgenie.com/v2/alerts", "", "https://api.opsgenie.com/v2/alerts"),
        (
            "https://api.opsgenie.com/v2/alerts/",
            "/a%2Fb/acknowledge?identifierType=alias",
            "https://api.opsgenie.com/v2/alerts/a%2Fb/acknowledge?identifierType=alias",
        ),
        (
            "https://oncall.example.com/hook?token=t1",
            "/x/close?identifierType=id",
            "https://oncall.example.com/hook/x/close?token=t1&identifierType=id",
        ),
    ],
)
def test_the_target_keeps_the_path_after_the_endpoint_and_the_query(forward_to: str, suffix: str, url: str) -> None:
    assert target_url(forward_to, suffix) == url


@pytest.mark.parametrize("bad", ["ftp://old.example.com", "events.pagerduty.com/v2/enqueue", "https://", "http://a b",
                                 "https://user:pw@old.example.com/", "https://old.example.com/#x",
                                 "https://old.example.com:99999/", "https://x/" + "a" * 2000])  # fmt: skip
def test_a_forward_target_that_is_not_an_http_url_is_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        checked_forward_to(bad, "services[0].integrations[1].forward_to")
    assert caught.value.details[0]["field"] == "services[0].integrations[1].forward_to"


def test_no_target_is_forwarding_off() -> None:
    assert checked_forward_to(None) is None
    assert checked_forward_to("  ") is None
    assert checked_forward_to(" https://api.opsgenie.com/v2/alerts ") == "https://api.opsgenie.com/v2/alerts"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (None, ForwardOutcome.RETRY),
        (500, ForwardOutcome.RETRY),
        (503, ForwardOutcome.RETRY),
        (429, ForwardOutcome.RETRY),
        (408, ForwardOutcome.RETRY),
        (202, ForwardOutcome.SENT),
        (200, ForwardOutcome.SENT),
        (400, ForwardOutcome.FAILED),
        (401, ForwardOutcome.FAILED),
        (404, ForwardOutcome.FAILED),
        (301, ForwardOutcome.FAILED),
    ],
)
def test_what_an_answer_means(status: int | None, outcome: ForwardOutcome) -> None:
    assert outcome_of(status) is outcome


def test_backoff_doubles_to_its_cap_and_a_forward_is_given_up_after_a_day() -> None:
    pauses = [backoff(n) for n in range(1, 12)]
    assert pauses[:3] == [timedelta(seconds=2), timedelta(seconds=4), timedelta(seconds=8)]
    assert pauses == sorted(pauses)
    assert pauses[-1] == BACKOFF_CAP
    again = after_attempt(ForwardOutcome.RETRY, attempts=1, queued_at=NOW, now=NOW)
    assert (again.outcome, again.due_at) == (ForwardOutcome.RETRY, NOW + timedelta(seconds=2))
    asked = after_attempt(ForwardOutcome.RETRY, attempts=1, queued_at=NOW, now=NOW, asked=timedelta(seconds=30))
    assert asked.due_at == NOW + timedelta(seconds=30)
    greedy = after_attempt(ForwardOutcome.RETRY, attempts=1, queued_at=NOW, now=NOW, asked=timedelta(hours=9))
    assert greedy.due_at == NOW + BACKOFF_CAP
    late = NOW + GIVE_UP_AFTER - timedelta(seconds=1)
    assert after_attempt(ForwardOutcome.RETRY, attempts=99, queued_at=NOW, now=late).outcome is ForwardOutcome.FAILED
    assert after_attempt(ForwardOutcome.SENT, attempts=5, queued_at=NOW, now=late).due_at is None


def test_the_opsgenie_key_header_is_kept_and_nothing_else() -> None:
    assert ForwardRequest().headers() == {"content-type": "application/json"}
    genie = ForwardRequest(authorization="GenieKey k-1")
    assert genie.headers() == {"content-type": "application/json", "authorization": "GenieKey k-1"}


def _batch(store: FakeStore, *submissions: Submission) -> list[list[Outcome]]:
    results = ingest_batch(
        list(submissions),
        alerts=FakeAlertRepo(store),
        incidents=FakeIncidents(store),
        configs=FakeConfigs(config()),
        now=NOW,
        make_id=store.make_id,
    )
    return [[r.outcome for r in each] for each in results]


def _sub(integration_id: str, body: str, digest: str = "d1", forward: ForwardRequest | None = None) -> Submission:
    event = AlertEvent(EventAction.TRIGGER, body, body, AlertSeverity.CRITICAL)
    return Submission(integration_id, "svc", "pagerduty", body, (event,), key_digest=digest, forward=forward)


def test_each_accepted_body_of_a_forwarding_integration_is_queued_once_as_received() -> None:
    store = FakeStore(keys={"pd": "d1", "og": "d2", "quiet": "d3"})
    store.forward_to = {"pd": "https://events.pagerduty.com/v2/enqueue", "og": "https://api.opsgenie.com/v2/alerts"}
    ack = ForwardRequest(suffix="/k/acknowledge?identifierType=alias", authorization="GenieKey g")
    outcomes = _batch(
        store,
        _sub("pd", '{"a":1}', forward=ForwardRequest()),
        _sub("og", '{"b":2}', "d2", forward=ack),
        _sub("quiet", '{"c":3}', "d3", forward=ForwardRequest()),  # this integration does not forward
        _sub("pd", '{"d":4}', "stale", forward=ForwardRequest()),  # refused: its key was rotated
    )
    assert outcomes[3] == [Outcome.REFUSED]
    assert [(f["integration_id"], f["url"], f["body"], f["headers"]) for f in store.forwards] == [
        ("pd", "https://events.pagerduty.com/v2/enqueue", '{"a":1}', {"content-type": "application/json"}),
        (
            "og",
            "https://api.opsgenie.com/v2/alerts/k/acknowledge?identifierType=alias",
            '{"b":2}',
            {"content-type": "application/json", "authorization": "GenieKey g"},
        ),
    ]
    assert all(f["queued_at"] == NOW and f["method"] == "POST" for f in store.forwards)
    assert len({f["id"] for f in store.forwards}) == 2
