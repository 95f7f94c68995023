"""One TLS context per process. Building one reads and parses the CA bundle (tens of
milliseconds of CPU), which a warm container then pays once rather than for each vendor
client or key-set fetch; an ``ssl.SSLContext`` is safe to share between connections and
threads."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl


@functools.cache
def context() -> ssl.SSLContext:
    """The default verification (certifi's CA bundle, host names checked), built once."""
    import httpx

    return httpx.create_ssl_context()
