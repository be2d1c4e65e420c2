"""End to end with Opsgenie's own clients: the `opsgenie-sdk` Python client and Prometheus
Alertmanager's Opsgenie notifier, pointed at a running Firebell by changing only the host."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import opsgenie_sdk
import pytest

from tests.conftest import Server, cli, last_line
from tests.e2e.intake.test_peers import alertmanager_config, fire, need_alertmanager, query, run_alertmanager, wait_for


def _alert_api(server: Server, key: str) -> opsgenie_sdk.AlertApi:
    conf = opsgenie_sdk.configuration.Configuration()
    conf.api_key["Authorization"] = key
    conf.host = server.url  # the only change an existing sender needs
    conf.retry_count = 1
    conf.short_polling_max_retries = 2
    return opsgenie_sdk.AlertApi(api_client=opsgenie_sdk.api_client.ApiClient(configuration=conf))


@pytest.fixture
def genie(server: Server) -> tuple[Server, str]:
    cli(server.database_url, "service", "create", "queue")
    key = last_line(cli(server.database_url, "integration", "create", "--service", "queue", "--kind", "opsgenie"))
    return server, key


def test_opsgenie_sdk_works_by_changing_the_host(genie: tuple[Server, str]) -> None:
    server, key = genie
    api = _alert_api(server, key)
    payload = opsgenie_sdk.CreateAlertPayload(
        message="Queue stuck",
        alias="queue-stuck",
        description="no consumer for 10 minutes",
        tags=["prod", "queue"],
        details={"region": "eu-1"},
        entity="orders",
        priority="P2",
        note="seen by the checker",
    )
    created = api.create_alert(create_alert_payload=payload)
    status = api.get_request_status(request_id=created.request_id)
    assert status.data.is_success is True
    assert status.data.action == "Create"
    assert status.data.alias == "queue-stuck"
    alert_id = created.id  # the client polls the request-status endpoint for it
    assert alert_id == query(server, "select id from alerts")[0][0]

    by_id = api.get_alert(identifier=alert_id).data
    assert (by_id.message, by_id.alias, by_id.priority, by_id.status) == ("Queue stuck", "queue-stuck", "P2", "open")
    assert sorted(by_id.tags) == ["prod", "queue"]
    assert by_id.details == {"region": "eu-1"}
    assert by_id.description == "no consumer for 10 minutes"
    assert by_id.entity == "orders"
    assert api.get_alert(identifier="queue-stuck", identifier_type="alias").data.id == alert_id
    assert api.get_alert(identifier=by_id.tiny_id, identifier_type="tiny").data.id == alert_id

    # more alerts, for queries and paging
    for n in range(5):
        api.create_alert(create_alert_payload=opsgenie_sdk.CreateAlertPayload(message=f"Disk {n} full", priority="P4"))
    listed = api.list_alerts(query="status: open AND priority: P4", limit=2, sort="createdAt", order="asc")
    assert [a.message for a in listed.data] == ["Disk 0 full", "Disk 1 full"]
    assert listed.paging.next
    assert "offset=2" in listed.paging.next
    last = api.list_alerts(query="status: open AND priority: P4", offset=4, limit=2, order="asc")
    assert [a.message for a in last.data] == ["Disk 4 full"]
    assert last.paging.next is None
    assert listed.paging.last == last.paging.first.replace("offset=0", "offset=4")
    assert api.count_alerts(query="tag: prod").data.count == 1
    assert api.count_alerts(query="status: open").data.count == 6
    assert api.list_alerts(query="message: stuck").data[0].id == alert_id
    assert api.list_alerts(query="alias: queue-stuck").data[0].id == alert_id

    # notes
    api.add_note(identifier=alert_id, add_note_to_alert_payload=opsgenie_sdk.AddNoteToAlertPayload(note="looking"))
    notes = api.list_notes(identifier="queue-stuck", identifier_type="alias", order="asc")
    assert [n.note for n in notes.data] == ["seen by the checker", "looking"]
    timeline = "select count(*) from incident_events where kind = 'note' and message like '%looking%'"
    assert query(server, timeline) == [(1,)], "a note on an alert of an incident goes on its timeline"

    # tags, priority, details
    tags = opsgenie_sdk.AddTagsToAlertPayload(tags=["sev-review"])
    api.add_tags(identifier=alert_id, add_tags_to_alert_payload=tags)
    api.remove_tags(identifier=alert_id, tags=["queue"])
    assert sorted(api.get_alert(identifier=alert_id).data.tags) == ["prod", "sev-review"]
    api.update_alert_priority(
        identifier=alert_id, update_alert_priority_payload=opsgenie_sdk.UpdateAlertPriorityPayload(priority="P1")
    )
    assert api.get_alert(identifier=alert_id).data.priority == "P1"
    assert query(server, f"select severity from alerts where id = '{alert_id}'") == [("critical",)]
    details = opsgenie_sdk.AddDetailsToAlertPayload(details={"owner-team": "payments", "shard": "7"})
    api.add_details(identifier=alert_id, add_details_to_alert_payload=details)
    api.remove_details(identifier=alert_id, keys=["region"])
    assert api.get_alert(identifier=alert_id).data.details == {"owner-team": "payments", "shard": "7"}

    # acknowledge, unacknowledge, close, delete
    ack = api.acknowledge_alert(identifier=alert_id)
    assert ack.retrieve_result().data.status == "Acknowledged alert"
    assert api.get_alert(identifier=alert_id).data.acknowledged is True
    api.un_acknowledge_alert(identifier=alert_id)
    assert api.get_alert(identifier=alert_id).data.acknowledged is False
    assert query(server, f"select status from alerts where id = '{alert_id}'") == [("triggered",)]
    api.close_alert(identifier=by_id.tiny_id, identifier_type="tiny")
    assert api.get_alert(identifier=alert_id).data.status == "closed"
    assert query(server, "select status from incidents where title = 'Queue stuck'") == [("resolved",)]
    api.delete_alert(identifier=alert_id)
    with pytest.raises(opsgenie_sdk.ApiException) as gone:
        api.get_alert(identifier=alert_id)
    assert gone.value.status == 404
    assert query(server, f"select count(*) from alerts where id = '{alert_id}'") == [(0,)]


def test_opsgenie_errors_as_opsgenie_answers_them(genie: tuple[Server, str]) -> None:
    server, key = genie
    with pytest.raises(opsgenie_sdk.exceptions.AuthenticationException) as wrong:
        _alert_api(server, "not-a-key-of-anyone").list_alerts()
    assert wrong.value.status == 401
    for method, path in (("POST", "/v2/alerts"), ("POST", "/v2/alerts/x/notes")):
        headers = {"authorization": f"GenieKey {key}", "content-type": "application/json"}
        bad = httpx.request(method, f"{server.url}{path}", content=b"{not json", headers=headers)
        assert bad.status_code == 400, bad.text
        assert bad.headers["x-request-id"] == bad.json()["requestId"]
    created = httpx.post(f"{server.url}/v2/alerts", json={"message": "m"}, headers={"authorization": f"GenieKey {key}"})
    assert created.status_code == 202
    assert created.headers["x-request-id"] == created.json()["requestId"]
    listed = httpx.get(f"{server.url}/v2/alerts", headers={"authorization": f"GenieKey {key}"})
    assert listed.status_code == 200
    assert listed.headers["x-request-id"] == listed.json()["requestId"]
    assert set(listed.json()) == {"data", "paging", "took", "requestId"}
    # another service's key sees none of this service's alerts, nor its requests
    cli(server.database_url, "service", "create", "other")
    other = last_line(cli(server.database_url, "integration", "create", "--service", "other", "--kind", "opsgenie"))
    alert_id = str(query(server, "select id from alerts")[0][0])
    headers = {"authorization": f"GenieKey {other}"}
    assert httpx.get(f"{server.url}/v2/alerts/{alert_id}", headers=headers).status_code == 404
    request_id = created.json()["requestId"]
    assert httpx.get(f"{server.url}/v2/alerts/requests/{request_id}", headers=headers).status_code == 404
    note = httpx.post(f"{server.url}/v2/alerts/{alert_id}/notes", json={"note": "x"}, headers=headers)
    assert note.status_code == 404
    assert query(server, "select count(*) from opsgenie_notes") == [(0,)]


def test_opsgenie_heartbeat_ping(genie: tuple[Server, str]) -> None:
    server, key = genie
    cli(server.database_url, "heartbeat", "create", "nightly-backup", "--service", "queue", "--every", "1d")
    for method in ("GET", "POST", "PUT", "PATCH"):
        pong = httpx.request(
            method, f"{server.url}/v2/heartbeats/nightly-backup/ping", headers={"authorization": f"GenieKey {key}"}
        )
        assert pong.status_code == 202, pong.text
        assert pong.json()["result"] == "PONG - Heartbeat received"
    assert query(server, "select state from heartbeats") == [("up",)]
    missing = httpx.get(f"{server.url}/v2/heartbeats/nope/ping", headers={"authorization": f"GenieKey {key}"})
    assert missing.status_code == 404


# --- Alertmanager's own Opsgenie notifier ---------------------------------------------------------------


@pytest.fixture
def alertmanager_genie(genie: tuple[Server, str], tmp_path: Path) -> Iterator[tuple[str, Server, Path]]:
    need_alertmanager()
    server, key = genie
    config = alertmanager_config(
        tmp_path,
        f"""\
        opsgenie_configs:
          - api_url: {server.url}/
            api_key: {key}
            update_alerts: true
            send_resolved: true
            message: '{{{{ .CommonLabels.alertname }}}} on {{{{ len .Alerts.Firing }}}} hosts'
            description: '{{{{ range .Alerts }}}}{{{{ .Labels.instance }}}} {{{{ end }}}}'
            priority: P2
        """,
        repeat_interval="2s",
    )
    with run_alertmanager(config, tmp_path, "--log.level=debug") as url:
        yield url, server, tmp_path / "alertmanager.log"


def test_alertmanager_opsgenie_notifier_updates_instead_of_recreating(
    alertmanager_genie: tuple[str, Server, Path],
) -> None:
    am_url, server, am_log = alertmanager_genie
    fire(am_url, "QueueLag", ["q-1"])
    described = "select count(*) from opsgenie_requests where action = 'UpdateDescription'"
    wait_for(lambda: query(server, described)[0][0] > 0)
    fire(am_url, "QueueLag", ["q-1", "q-2"])  # the group changes: the same alert's message and description follow
    wait_for(lambda: query(server, "select summary from alerts")[:1] == [("QueueLag on 2 hosts",)])
    wait_for(lambda: "q-2" in str(query(server, "select details from alerts")[0][0]))
    # repeats update the one alert (a create with its alias deduplicates): never a second alert
    wait_for(lambda: query(server, "select count(*) from opsgenie_requests where action = 'Create'")[0][0] >= 3)
    assert query(server, "select count(*), max(status) from alerts") == [(1, "triggered")]
    actions = {row[0] for row in query(server, "select action from opsgenie_requests")}
    assert {"Create", "UpdateMessage", "UpdateDescription"} <= actions
    assert query(server, "select count(*) from opsgenie_requests where not success") == [(0,)]
    fire(am_url, "QueueLag", ["q-1", "q-2"], ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    wait_for(lambda: query(server, "select status from alerts") == [("resolved",)])
    text = am_log.read_text(errors="replace")
    assert "Notify for alerts failed" not in text, text[-3000:]
    assert "unexpected status code" not in text, text[-3000:]
    assert "Notify success" in text
