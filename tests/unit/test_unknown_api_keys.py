"""A flood of made-up API keys is answered from memory, not with a table read each."""

from datetime import UTC, datetime

from ponte.auth import api_keys
from ponte.auth.authenticate import UNKNOWN_KEY_MEMORY, Authenticator
from ponte.auth.jwt_verifier import JwksCache, JwtVerifier
from ponte.auth.rate_limit import RateLimiter
from ponte.domain.tenancy import ApiClient
from ponte.settings import Settings
from tests.support.virtual_time import VirtualClock


def test_an_unknown_key_is_remembered_for_a_while() -> None:
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=UTC))
    lookups: list[str] = []

    def find(key_hash: str) -> ApiClient | None:
        lookups.append(key_hash)
        return None

    settings = Settings(table_name="t")
    authenticator = Authenticator(
        settings=settings,
        find_client=find,
        touch_client=lambda *_: None,
        verifier=JwtVerifier(settings.jwt, JwksCache("", 600)),
        limiter=RateLimiter(lambda *_: 1, clock),
        clock=clock,
    )
    headers = {"Authorization": f"Bearer {api_keys.generate()}"}

    answers = [authenticator.authenticate(headers) for _ in range(50)]
    clock.advance(UNKNOWN_KEY_MEMORY.total_seconds() + 1)
    later = authenticator.authenticate(headers)

    assert {a.failure for a in [*answers, later]} == {"INVALID_API_KEY"}
    assert len(lookups) == 2  # the first, and one after the memory expired
