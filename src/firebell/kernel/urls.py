"""URLs as records and pages show them: without the credentials they may carry. Pure.

Webhook and notification URLs often hold a secret: a `user:password@`, a token in the query, or, for
the well-known webhook services, the path itself (`hooks.slack.com/services/T…/B…/secret`). The
audit log, the integration list and the catalog page show the URL with those parts masked, so that
reading them grants nothing.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit, urlunsplit

MASK = "***"

# Hosts whose webhook URL path is itself the secret: only its first segment is kept.
SECRET_PATH_HOSTS = (
    "hooks.slack.com",
    "discord.com",
    "discordapp.com",
    "outlook.office.com",
    "webhook.office.com",
    "chat.googleapis.com",
    "hooks.zapier.com",
    "maker.ifttt.com",
)

# Hosts whose URL path holds the secret in its first segment (`api.telegram.org/bot<token>/…`,
# `/file/bot<token>/…`): the whole path is masked.
SECRET_FIRST_SEGMENT_HOSTS = ("api.telegram.org",)


def masked_url(text: str) -> str:
    """`text` with any userinfo, query values, fragment and secret path masked; other text as is."""
    if "://" not in text or any(c.isspace() for c in text):
        return text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a token where the port would be (tgram://bot:token/chat)
        return f"{text.split('://', 1)[0]}://{MASK}/{MASK}"
    if parts.scheme in ("http", "https"):
        if _listed(host, SECRET_FIRST_SEGMENT_HOSTS):
            path = f"/{MASK}" if parts.path.strip("/") else parts.path
        else:
            path = _secret_path(parts.path) if _listed(host, SECRET_PATH_HOSTS) else parts.path
    else:
        # Notification URLs of other schemes put tokens anywhere: only a host that is a name is kept.
        host = host if "." in host else MASK
        path = f"/{MASK}" if parts.path.strip("/") else ""
    userinfo = f"{MASK}@" if "@" in parts.netloc else ""
    netloc = f"{userinfo}{f'[{host}]' if ':' in host else host}{port}"
    return urlunsplit(
        SplitResult(parts.scheme, netloc, path, _masked_query(parts.query), MASK if parts.fragment else "")
    )


def _listed(host: str, hosts: tuple[str, ...]) -> bool:
    return any(host == known or host.endswith(f".{known}") for known in hosts)


def _secret_path(path: str) -> str:
    segments = [s for s in path.split("/") if s]
    return f"/{segments[0]}/{MASK}" if len(segments) > 1 else path


def _masked_query(query: str) -> str:
    pairs = (pair.partition("=") for pair in query.split("&") if pair)
    return "&".join(f"{name}={MASK}" if sep and value else name + sep for name, sep, value in pairs)
