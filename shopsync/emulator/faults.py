"""Deterministic fault injection (HTTP errors, 429s, dropped connections, slow answers)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

FAULT_KINDS: tuple[str, ...] = (
    "500",
    "502",
    "503",
    "429",
    "drop_before",
    "drop_after",
    "slow",
    "internal",
    "bulk_limit",
    "url_expired",
)
#: Kinds that only apply to some requests (a draw of one elsewhere is no fault).
BULK_RUN_ROOTS = ("bulkOperationRunQuery", "bulkOperationRunMutation")


class ConnectionDropped(Exception):
    """The emulator must close the connection without answering.

    ``applied`` says whether the request was executed (``drop_after``) or not.
    """

    def __init__(self, applied: bool) -> None:
        super().__init__("connection dropped " + ("after" if applied else "before") + " write")
        self.applied = applied


@dataclass(frozen=True)
class FaultSpec:
    """Probabilities of each fault kind, plus the delay and Retry-After settings.

    Spec string (comma-separated ``key=value``; all keys optional)::

        500=0.02        probability of an HTTP 500 (nothing executed)
        502=0.02        probability of an HTTP 502 (nothing executed)
        503=0.02        probability of an HTTP 503 (nothing executed)
        429=0.02        probability of an HTTP 429 with a ``Retry-After`` header (nothing executed)
        drop_before=0.01  close the connection without an answer, before executing the request
        drop_after=0.01   execute the request (writes ARE applied), then close without an answer
        slow=0.01       answer normally but only after ``slow_seconds``
        slow_seconds=2  delay of a slow answer (default 2.0)
        retry_after=1   value of the ``Retry-After`` header on a 429 (default 1.0)
        internal=0.01   HTTP 200 whose ``errors`` carry INTERNAL_SERVER_ERROR (nothing executed)
        bulk_limit=0.1  a bulkOperationRunQuery/RunMutation refused with LIMIT_REACHED
        url_expired=0.1 a bulk result download answers 403 (the signed URL expired); the next
                        ``bulkOperation`` read gives a fresh URL
        max_cost=1000   the single-query cost limit (Shopify's is 1,000; lower it to make the
                        client's page shrinking visible)

    At most one fault is drawn per GraphQL request, from a ``random.Random(seed)`` stream owned by
    the emulator: the same seed and the same request sequence give the same faults.
    """

    rates: dict[str, float] = field(default_factory=dict)
    slow_seconds: float = 2.0
    retry_after: float = 1.0
    max_cost: int = 1000

    @classmethod
    def none(cls) -> FaultSpec:
        return cls()

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        """Parse ``"500=0.02,429=0.02,drop_after=0.01,slow=0.01,slow_seconds=3"``."""
        if text is None or not text.strip() or text.strip().lower() == "none":
            return cls()
        rates: dict[str, float] = {}
        slow_seconds = 2.0
        retry_after = 1.0
        max_cost = 1000
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, raw = part.partition("=")
            key = key.strip()
            if not sep:
                raise ValueError(f"fault {part!r}: expected key=value")
            try:
                value = float(raw)
            except ValueError:
                raise ValueError(f"fault {key!r}: {raw!r} is not a number") from None
            if key == "slow_seconds":
                slow_seconds = value
            elif key == "retry_after":
                retry_after = value
            elif key == "max_cost":
                max_cost = int(value)
            elif key in FAULT_KINDS:
                if not 0.0 <= value <= 1.0:
                    raise ValueError(f"fault {key!r}: probability {value} not in [0, 1]")
                rates[key] = value
            else:
                raise ValueError(f"unknown fault {key!r}; known: {', '.join(FAULT_KINDS)}")
        if sum(rates.values()) > 1.0 + 1e-9:
            raise ValueError("fault probabilities add up to more than 1")
        return cls(
            rates=rates, slow_seconds=slow_seconds, retry_after=retry_after, max_cost=max_cost
        )

    def __str__(self) -> str:
        parts = [f"{k}={self.rates[k]!r}" for k in FAULT_KINDS if self.rates.get(k)]
        if self.rates.get("slow"):
            parts.append(f"slow_seconds={self.slow_seconds!r}")
        if self.rates.get("429"):
            parts.append(f"retry_after={self.retry_after!r}")
        if self.max_cost != 1000:
            parts.append(f"max_cost={self.max_cost}")
        return ",".join(parts) or "none"

    @property
    def active(self) -> bool:
        return any(self.rates.values())

    def draw(self, rng: random.Random) -> str | None:
        """Pick the fault for one request (None = behave normally)."""
        u = rng.random()
        acc = 0.0
        for kind in FAULT_KINDS:
            acc += self.rates.get(kind, 0.0)
            if u < acc:
                return kind
        return None


def internal_error_body(request_id: str) -> dict:
    """Shopify's HTTP 200 answer when it failed on its side (worth a retry)."""
    return {
        "errors": [
            {
                "message": "Internal error. Looks like something went wrong on our end.\n"
                f"Request ID: {request_id} (include this in support requests).",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ]
    }


def fault_response(kind: str, spec: FaultSpec) -> tuple[int, dict[str, str], dict]:
    """The HTTP answer of a status fault."""
    if kind == "429":
        return (
            429,
            {"Retry-After": f"{spec.retry_after:.1f}"},
            {
                "errors": "Exceeded 2 calls per second for api client. "
                "Reduce request rates to resume uninterrupted service."
            },
        )
    if kind == "500":
        return 500, {}, {"errors": "Internal Server Error"}
    if kind == "502":
        return 502, {}, {"errors": "Bad Gateway"}
    return 503, {"Retry-After": f"{spec.retry_after:.1f}"}, {"errors": "Service Unavailable"}
