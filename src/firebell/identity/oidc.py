"""OpenID Connect single sign-on: the authorization code flow with PKCE, as a confidential client.

`begin` sends the browser to the provider with a fresh state, nonce and PKCE verifier, which travel
in a short-lived cookie signed with Firebell's secret key (nothing is stored server-side, so any node
can finish what another began). `finish` checks the state, trades the code for tokens at the
provider's token endpoint, and checks the ID token: its signature against the provider's published
keys, its issuer, audience, expiry and nonce. What comes out is who the provider says logged in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from firebell.kernel.errors import Unauthenticated

FLOW_SECONDS = 600  # the time allowed between leaving for the provider and coming back
METADATA_SECONDS = 3600
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


@dataclass(frozen=True, slots=True)
class SsoIdentity:
    subject: str  # "<issuer>|<sub>": unique across providers
    email: str
    name: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcClient:
    def __init__(
        self, *, issuer: str, client_id: str, client_secret: str, scopes: str, signing_key: bytes, http: httpx.Client
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = scopes
        self.signing_key = signing_key
        self.http = http
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, jwt.PyJWKSet] | None = None

    # --- the provider's configuration ----------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._metadata is None or now - self._metadata[0] > METADATA_SECONDS:
            document = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            if str(document.get("issuer", "")).rstrip("/") != self.issuer:
                raise Unauthenticated("the single sign-on provider's discovery document names another issuer")
            self._metadata = (now, document)
        return self._metadata[1]

    def _key_for(self, token: str) -> Any:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        for attempt in range(2):  # keys rotate: fetch them again once when the token's is unknown
            now = time.monotonic()
            if attempt or self._keys is None or now - self._keys[0] > METADATA_SECONDS:
                self._keys = (now, jwt.PyJWKSet.from_dict(self._get_json(str(self.metadata()["jwks_uri"]))))
            for key in self._keys[1].keys:
                if kid is None or key.key_id == kid:
                    return key.key
        raise Unauthenticated("the ID token is signed with a key the single sign-on provider does not publish")

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self.http.get(url, timeout=10)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unauthenticated(f"cannot reach the single sign-on provider ({exc})") from exc
        return document

    # --- the flow --------------------------------------------------------------------------------

    def begin(self, redirect_uri: str, next_url: str) -> tuple[str, str]:
        """The provider's authorization URL to send the browser to, and the flow cookie's value."""
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        challenge = _b64(hashlib.sha256(verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        flow = {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "next": next_url,
            "until": time.time() + FLOW_SECONDS,
        }
        return f"{self.metadata()['authorization_endpoint']}?{urlencode(query)}", self._sign(flow)

    def finish(self, redirect_uri: str, params: dict[str, str], cookie: str) -> tuple[SsoIdentity, str]:
        """Who logged in, and where they were going; refuses anything that does not check out."""
        flow = self._unsign(cookie)
        if "error" in params:
            said = params.get("error_description") or params["error"]
            raise Unauthenticated(f"the single sign-on provider refused: {said}")
        if not secrets.compare_digest(params.get("state", "").encode(), str(flow["state"]).encode()):
            raise Unauthenticated("the single sign-on reply does not match this browser's login; try again")
        code = params.get("code", "")
        if not code:
            raise Unauthenticated("the single sign-on reply has no code")
        tokens = self._exchange(code, redirect_uri, str(flow["verifier"]))
        claims = self._check_id_token(str(tokens.get("id_token", "")), str(flow["nonce"]))
        if "email" not in claims and tokens.get("access_token"):
            claims = {**self._userinfo(str(tokens["access_token"]), str(claims["sub"])), **claims}
        email = str(claims.get("email", "")).strip().lower()
        if not email:
            raise Unauthenticated("the single sign-on provider did not say the email; ask for the email scope")
        verified = claims.get("email_verified")
        if verified is not True and str(verified).lower() != "true":
            # An unverified (or unstated) email must not log in as the Firebell user who has it.
            raise Unauthenticated(f"the single sign-on provider has not verified {email}")
        name = str(claims.get("name") or claims.get("preferred_username") or email.split("@")[0])
        return SsoIdentity(f"{self.issuer}|{claims['sub']}", email, name[:200]), str(flow["next"])

    def _exchange(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        try:
            response = self.http.post(
                str(self.metadata()["token_endpoint"]),
                data=form,
                auth=(self.client_id, self.client_secret),
                headers={"accept": "application/json"},
                timeout=10,
            )
        except httpx.HTTPError as exc:
            raise Unauthenticated(f"cannot reach the single sign-on provider ({exc})") from exc
        if response.status_code != 200:
            raise Unauthenticated(f"the single sign-on provider refused the code ({response.status_code})")
        document: dict[str, Any] = response.json()
        return document

    def _userinfo(self, access_token: str, subject: str) -> dict[str, Any]:
        """The claims many providers keep out of the ID token of a code flow (email, name)."""
        endpoint = self.metadata().get("userinfo_endpoint")
        if not endpoint:
            return {}
        try:
            response = self.http.get(str(endpoint), headers={"authorization": f"Bearer {access_token}"}, timeout=10)
            response.raise_for_status()
            info: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unauthenticated(f"cannot read who logged in from the single sign-on provider ({exc})") from exc
        if str(info.get("sub")) != subject:
            raise Unauthenticated("the single sign-on provider's user info is about someone else")
        return info

    def _check_id_token(self, token: str, nonce: str) -> dict[str, Any]:
        if not token:
            raise Unauthenticated("the single sign-on provider sent no ID token")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key_for(token),
                algorithms=ALGORITHMS,
                audience=self.client_id,
                leeway=60,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the ID token does not check out: {exc}") from exc
        if str(claims.get("iss", "")).rstrip("/") != self.issuer:
            raise Unauthenticated("the ID token was issued by another provider")
        if not secrets.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
            raise Unauthenticated("the ID token was not made for this login (nonce)")
        return claims

    # --- the flow cookie -------------------------------------------------------------------------

    def _sign(self, flow: dict[str, Any]) -> str:
        body = _b64(json.dumps(flow, separators=(",", ":")).encode())
        mac = _b64(hmac.new(self.signing_key, body.encode(), hashlib.sha256).digest())
        return f"{body}.{mac}"

    def _unsign(self, cookie: str) -> dict[str, Any]:
        body, _, mac = cookie.partition(".")
        expected = _b64(hmac.new(self.signing_key, body.encode(), hashlib.sha256).digest())
        if not cookie or not hmac.compare_digest(mac.encode(), expected.encode()):
            raise Unauthenticated("this browser did not start a single sign-on login here (or its cookie is gone)")
        flow: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if time.time() > float(flow["until"]):
            raise Unauthenticated("the single sign-on login took too long; try again")
        return flow
