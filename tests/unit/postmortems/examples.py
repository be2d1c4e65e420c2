"""The incident guide's root cause analysis examples, as the JSON the API takes."""

from __future__ import annotations

from datetime import UTC, datetime

from firebell.postmortems.rca import Fact, FactKind

K = FactKind

# The guide's "website unavailable" fault tree. Read from its drawing: connection pool full is shared by
# the database overload and the slow responses, and the failed deploy both broke the load balancer's
# configuration and raised the timeout (the root cause path it highlights).
WEBSITE_FAULT_TREE: dict[str, object] = {
    "top": "unavailable",
    "root_cause": "deploy_failed",
    "events": [
        {"id": "unavailable", "label": "Website unavailable", "gate": "or",
         "children": ["lb_failure", "backend_down", "dns_failure"]},
        {"id": "lb_failure", "label": "Load balancer failure", "gate": "or", "children": ["config_error"]},
        {"id": "config_error", "label": "Config error", "gate": "or", "children": ["deploy_failed"]},
        {"id": "backend_down", "label": "Backend servers down", "gate": "and",
         "children": ["all_unhealthy", "health_check_failing"]},
        {"id": "all_unhealthy", "label": "All servers unhealthy", "gate": "or", "children": ["db_overload"]},
        {"id": "db_overload", "label": "Database overload", "gate": "or", "children": ["pool_full"]},
        {"id": "health_check_failing", "label": "Health check failing", "gate": "or", "children": ["slow_response"]},
        {"id": "slow_response", "label": "Response time > timeout", "gate": "or",
         "children": ["pool_full", "slow_query", "pool_too_small"]},
        {"id": "pool_full", "label": "Connection pool full", "gate": "or", "children": ["timeout_too_high"]},
        {"id": "timeout_too_high", "label": "Timeout too high", "gate": "or", "children": ["deploy_failed"]},
        {"id": "deploy_failed", "label": "Deploy failed (config error)"},
        {"id": "dns_failure", "label": "DNS failure (rare)"},
        {"id": "slow_query", "label": "Slow query"},
        {"id": "pool_too_small", "label": "Database connection pool size too small"},
    ],
}  # fmt: skip

# The guide's "website down" 5 whys, with a second branch at the third why.
WEBSITE_FIVE_WHYS: dict[str, object] = {
    "problem": "Website returning 503 errors",
    "causes": [
        {
            "text": "The load balancer marks all backend servers as unhealthy",
            "causes": [
                {
                    "text": "Health check requests time out after 2 seconds",
                    "causes": [
                        {
                            "text": "The application takes 5+ seconds to answer health checks",
                            "causes": [
                                {
                                    "text": "The database connection pool is exhausted",
                                    "causes": [
                                        "A deployment raised the connection timeout from 5s to 60s, "
                                        "so connections are held longer"
                                    ],
                                }
                            ],
                        },
                        {"text": "The 2 second health check timeout was never tuned"},
                    ],
                }
            ],
        }
    ],
}

WEBSITE_FISHBONE: dict[str, object] = {
    "effect": "Website down (503 errors)",
    "categories": {
        "methods": [{"text": "Deployment process", "causes": ["No staging validation", "No rollback plan"]}],
        "MACHINES": [{"text": "Load balancer health checks not tuned", "causes": ["Timeout: 2s"]}],
        "materials": [{"text": "Timeout settings", "causes": ["Connection pool size: 10"]}],
        "manpower": ["On-call team understaffed", "No runbook"],
        "environment": [{"text": "Traffic spike", "causes": ["Peak hours", "DDoS attack?"]}],
    },
}


def at(clock: str) -> datetime:
    hours, minutes, seconds = (int(p) for p in clock.split(":"))
    return datetime(2025, 1, 15, hours, minutes, seconds, tzinfo=UTC)


# The guide's 2025-01-15 API outage, each line given the kind it stands for.
API_OUTAGE = (
    Fact(at("14:28:00"), K.NOTE, "Deployment started (v2.3.1)"),
    Fact(at("14:30:00"), K.NOTE, "Deployment completed successfully"),
    Fact(at("14:32:00"), K.FIRST_SYMPTOM, "First spike in error rate (5% → 20%)"),
    Fact(at("14:33:00"), K.NOTE, "Complete outage (100% errors)"),
    Fact(at("14:33:15"), K.ALERT, "Automated alert fired: High error rate"),
    Fact(at("14:33:45"), K.PAGED, "PagerDuty page sent to on-call"),
    Fact(at("14:35:00"), K.ACKNOWLEDGED, "On-call acknowledged alert"),
    Fact(at("14:36:00"), K.DECLARED, "Incident declared P1, war room created"),
    Fact(at("14:42:00"), K.NOTE, "Database connection pool exhaustion found"),
    Fact(at("14:48:00"), K.IDENTIFIED, "Config diff reveals timeout change: 5s → 60s"),
    Fact(at("14:52:00"), K.MITIGATION_STARTED, "Rollback initiated"),
    Fact(at("14:55:00"), K.RESOLVING, "Rollback completed"),
    Fact(at("14:58:00"), K.RECOVERED, "Error rate normal (< 1%)"),
    Fact(at("15:05:00"), K.RESOLVED, "Incident declared resolved"),
)
