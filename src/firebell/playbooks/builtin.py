"""The playbooks Firebell ships, one per common incident type. Their phases follow the response
process (triage 0-5 min, investigation 5-30 min, communication throughout, mitigation 15-60 min,
resolution, post-incident work within 24-48 h); a security or data incident contains the damage
before it investigates. An operator may replace any of them with an edited copy.
"""

from __future__ import annotations

from firebell.playbooks.model import Phase, Playbook

TRIAGE = "Detection and triage (0-5 min)"
INVESTIGATION = "Investigation (5-30 min)"
COMMUNICATION = "Communication (ongoing)"
MITIGATION = "Mitigation (15-60 min)"
CONTAINMENT = "Containment (first 15 min)"
RESOLUTION = "Resolution"
POST_INCIDENT = "Post-incident (24-48 h)"

_ACTION_ITEMS = "Action items filed, each with an owner and a due date"

OUTAGE = Playbook(
    key="outage",
    name="Service outage",
    incident_type="outage",
    summary=(
        "A service is down or failing for many of its users. Restore it first (roll back, restart, "
        "add capacity or fail over), then look for the cause."
    ),
    phases=(
        Phase(
            "triage",
            TRIAGE,
            (
                "Outage confirmed from a second signal (synthetic check, error-rate graph or user report)",
                "Affected services, regions and share of users written in the impact",
                "Severity set (a customer-facing service down for everyone is SEV-1)",
                "War room opened and the Incident Commander named",
            ),
        ),
        Phase(
            "investigate",
            INVESTIGATION,
            (
                "Start of the errors compared with the latest deploys and config changes",
                "Instances, pods and load balancer health checked for the service",
                "First error found in the logs and its time noted",
                "Database, cache and queues the service needs checked",
                "Leading hypothesis written on the timeline",
            ),
        ),
        Phase(
            "communicate",
            COMMUNICATION,
            (
                "First update posted in #incidents within 15 minutes",
                "Affected components marked down on the status page",
                "Support told what customers see and what to answer",
            ),
        ),
        Phase(
            "mitigate",
            MITIGATION,
            (
                "Last deploy rolled back, or ruled out as the trigger",
                "Crashing instances restarted when no change explains the crash",
                "Capacity added if CPU, memory or connection pools ran out",
                "Traffic failed over to the secondary if the primary region or database is lost",
                "Error rate seen falling on the dashboard after the change",
            ),
        ),
        Phase(
            "resolve",
            RESOLUTION,
            (
                "Error rate under 0.1% and p99 latency under 500 ms",
                "No alert firing for the service for 15 minutes",
                "Smoke tests passing against production",
                "Status page back to operational and the resolution notice posted",
            ),
        ),
        Phase(
            "follow-up",
            POST_INCIDENT,
            (
                "Incident record closed within 1 hour of resolution",
                "Summary sent to stakeholders within 2 hours",
                "Postmortem drafted within 4 hours and reviewed within 48 hours",
                _ACTION_ITEMS,
            ),
        ),
    ),
)

LATENCY = Playbook(
    key="latency",
    name="Degraded performance",
    incident_type="performance",
    summary=(
        "The service answers, but slowly or with intermittent errors. Find the saturated resource or the "
        "slow dependency and buy headroom while the cause is fixed."
    ),
    phases=(
        Phase(
            "triage",
            TRIAGE,
            (
                "Slow endpoints listed with their p50 and p99 against normal",
                "Share of users affected estimated (under 10%: SEV-3; more: SEV-2)",
                "Errors and timeouts checked: are they rising with the latency?",
            ),
        ),
        Phase(
            "investigate",
            INVESTIGATION,
            (
                "CPU, memory, threads and connection pools checked for saturation",
                "Database checked for slow queries, lock waits and replication lag",
                "Start of the slowdown compared with deploys, config changes and traffic growth",
                "Latency of each downstream call compared to find the slow dependency",
            ),
        ),
        Phase(
            "communicate",
            COMMUNICATION,
            (
                "Update posted in #incidents naming the slow feature",
                "Component marked as degraded performance on the status page",
            ),
        ),
        Phase(
            "mitigate",
            MITIGATION,
            (
                "Saturated tier scaled out (more replicas or a larger pool)",
                "Deploy or config change that matches the slowdown rolled back",
                "Circuit breaker on, or timeouts lowered, for a slow dependency",
                "Non-critical traffic rate-limited if the service is overloaded",
            ),
        ),
        Phase(
            "resolve",
            RESOLUTION,
            (
                "p99 latency under 500 ms for 15 minutes",
                "Error rate back under 0.1%",
                "Queues and connection pools back to their usual depth",
                "Status page back to operational",
            ),
        ),
        Phase(
            "follow-up",
            POST_INCIDENT,
            (
                "Alert added on the saturation signal that came before the slowdown",
                "Capacity plan or load test updated for the path that slowed",
                _ACTION_ITEMS,
            ),
        ),
    ),
)

SECURITY = Playbook(
    key="security",
    name="Security incident",
    incident_type="security",
    summary=(
        "A suspected breach, leaked credentials or an attack in progress. Isolate first, keep the evidence "
        "intact, and bring in security and legal early; say little in public until it is contained."
    ),
    phases=(
        Phase(
            "triage",
            TRIAGE,
            (
                "First sign of compromise recorded: what was seen, where and when",
                "Severity set to SEV-1 until the scope is known",
                "Security on-call (SecOps) paged",
                "Incident channel limited to the people who need to know",
            ),
        ),
        Phase(
            "contain",
            CONTAINMENT,
            (
                "Affected hosts or containers cut off from the network, not powered off",
                "Exposed credentials, keys and tokens revoked or rotated",
                "Attacker's addresses, accounts and sessions blocked",
                "Disk and memory of affected machines snapshotted before any change",
                "Access, audit and application logs copied to write-once storage",
            ),
        ),
        Phase(
            "investigate",
            INVESTIGATION,
            (
                "Entry point identified (vulnerability, leaked secret, phishing, insider)",
                "Systems, accounts and data the attacker reached listed",
                "Attacker's actions put in order on the timeline from the kept logs",
                "Chain of custody recorded for each piece of evidence",
            ),
        ),
        Phase(
            "communicate",
            COMMUNICATION,
            (
                "CISO informed and legal counsel engaged",
                "Decision recorded with legal on notifying regulators and customers, and by when",
                "Public statements reviewed by legal before they go out",
            ),
        ),
        Phase(
            "resolve",
            "Eradication and recovery",
            (
                "Entry point patched or closed",
                "Compromised hosts rebuilt from known-good images",
                "Service restored on the rebuilt systems",
                "No further unauthorised access seen for 24 hours",
            ),
        ),
        Phase(
            "follow-up",
            POST_INCIDENT,
            (
                "Required breach notifications sent within their legal deadlines (GDPR: 72 hours)",
                "Evidence handed to security for retention",
                "Postmortem held within 48 hours with security present",
                _ACTION_ITEMS,
            ),
        ),
    ),
)

DATA_LOSS = Playbook(
    key="data-loss",
    name="Data loss or corruption",
    incident_type="data_loss",
    summary=(
        "Records are missing, wrong or corrupted. Stop the writes that spread the damage, snapshot what is "
        "left, restore from backup into a separate place, and verify before switching back."
    ),
    phases=(
        Phase(
            "triage",
            TRIAGE,
            (
                "Affected tables, records or files listed, with when the damage began",
                "Severity set (data being lost right now is SEV-1)",
                "DBA or data owner paged",
            ),
        ),
        Phase(
            "contain",
            CONTAINMENT,
            (
                "Damaging writes stopped (job paused, feature off, or database read-only)",
                "Reads served from a healthy read replica if the primary is damaged",
                "Damaged database or volume snapshotted before any repair",
                "Clean-up and retention jobs paused so no backup or evidence is deleted",
            ),
        ),
        Phase(
            "investigate",
            INVESTIGATION,
            (
                "First bad write found, and the change, job or query that made it",
                "Last good backup or point in time before the first bad write chosen",
                "Records lost or changed counted",
                "Replicas, caches and exports checked for copies of the bad data",
            ),
        ),
        Phase(
            "communicate",
            COMMUNICATION,
            (
                "Support and account owners told which customers are affected",
                "What will be restored, and what may stay lost, agreed with the data owner",
            ),
        ),
        Phase(
            "recover",
            "Recovery and verification",
            (
                "Backup restored into a separate database first",
                "Restored data verified: row counts, checksums and spot checks",
                "Valid writes made since the backup replayed or reconciled",
                "Repaired data switched in and writes enabled again",
                "Application confirmed reading the repaired data",
            ),
        ),
        Phase(
            "follow-up",
            POST_INCIDENT,
            (
                "Customers told of any records that could not be recovered",
                "Restore of the latest backup tested and its duration recorded",
                "Postmortem drafted within 4 hours and reviewed within 48 hours",
                _ACTION_ITEMS,
            ),
        ),
    ),
)

THIRD_PARTY = Playbook(
    key="third-party",
    name="Third-party or dependency failure",
    incident_type="third_party",
    summary=(
        "An external provider or an upstream dependency is failing. Protect the service with the circuit "
        "breaker and a fallback, follow the vendor's status and contact them."
    ),
    phases=(
        Phase(
            "triage",
            TRIAGE,
            (
                "Failing calls traced to the provider (errors or timeouts by dependency)",
                "Provider's status page checked and what it says recorded",
                "Features that depend on the provider listed",
            ),
        ),
        Phase(
            "investigate",
            INVESTIGATION,
            (
                "Our side ruled out: credentials, quotas, certificates, DNS, recent deploys",
                "Checked whether every region and account sees the failure",
                "Error rate and latency of calls to the provider measured",
            ),
        ),
        Phase(
            "communicate",
            COMMUNICATION,
            (
                "Update posted in #incidents naming the provider",
                "Dependent components marked on the status page",
                "Vendor's status page followed and their updates relayed",
            ),
        ),
        Phase(
            "mitigate",
            MITIGATION,
            (
                "Circuit breaker opened so failing calls stop piling up",
                "Fallback switched on (secondary provider, cached data or queued retries)",
                "Dependent feature degraded gracefully, or hidden if it cannot work",
                "Ticket opened with the vendor's support and its number recorded",
            ),
        ),
        Phase(
            "resolve",
            RESOLUTION,
            (
                "Provider reports recovery and our calls succeed again",
                "Circuit breaker closed and the fallback switched off",
                "Queued retries processed and checked for duplicates",
                "Status page back to operational",
            ),
        ),
        Phase(
            "follow-up",
            POST_INCIDENT,
            (
                "Vendor's incident report requested",
                "Provider's SLA checked and credits claimed if it was breached",
                "Fallback for this dependency added or tested",
                _ACTION_ITEMS,
            ),
        ),
    ),
)

BUILT_IN: tuple[Playbook, ...] = (OUTAGE, LATENCY, SECURITY, DATA_LOSS, THIRD_PARTY)
