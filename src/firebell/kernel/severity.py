"""The incident severity scale shared by every domain: SEV-1 (worst) to SEV-4."""

from __future__ import annotations

from enum import StrEnum


class Sev(StrEnum):
    SEV1 = "SEV-1"
    SEV2 = "SEV-2"
    SEV3 = "SEV-3"
    SEV4 = "SEV-4"

    @property
    def rank(self) -> int:
        """1 for SEV-1 (most severe) up to 4."""
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> Sev:
        """Accept `SEV-1`, `sev1`, `1` and the P1..P4 aliases."""
        cleaned = text.strip().upper().replace("-", "").replace("_", "")
        for prefix in ("SEV", "P"):
            if cleaned.startswith(prefix):
                cleaned = cleaned[len(prefix) :]
                break
        if cleaned in {"1", "2", "3", "4"}:
            return cls(f"SEV-{cleaned}")
        raise ValueError(f"unknown severity {text!r}; use SEV-1..SEV-4 or P1..P4")

    @staticmethod
    def worst(a: Sev, b: Sev) -> Sev:
        return a if a.rank <= b.rank else b


_RANK = {sev: int(sev.value[-1]) for sev in Sev}
