"""The partner client: a small, typed Python client of the exchange API (``hub.client``).

It depends on httpx, pyjwt and cryptography only (pyarrow when Arrow or Parquet pages
are read as tables) and on nothing else of the hub, so a partner can vendor it.

* ``Credentials`` — the client id and private key; signs ``private_key_jwt`` assertions.
* ``HubClient`` — tokens (cached, renewed before expiry), pages by cursor with retries on
  429/503 after ``Retry-After``, every format, ``match`` lookups, receipt verification.
* ``Download`` — a resumable download of a whole dataset into one file.
* ``hub client token|rows|verify-receipt`` is the command line on top (``hub.cli.client``).

The whole integration in curl and openssl, and in Python: docs/partners.md.
"""

from hub.client.api import HubClient, match
from hub.client.credentials import Credentials, load_key
from hub.client.download import Download, DownloadResult
from hub.client.errors import ClientError, DownloadError, ProblemError, ReceiptError
from hub.client.pages import FORMATS, Page
from hub.client.receipts import Receipt, ReceiptVerifier
from hub.client.tokens import AccessToken, TokenSource
from hub.client.transport import Retry

__all__ = [
    "FORMATS", "AccessToken", "ClientError", "Credentials", "Download", "DownloadError", "DownloadResult",
    "HubClient", "Page", "ProblemError", "Receipt", "ReceiptError", "ReceiptVerifier", "Retry", "TokenSource",
    "load_key", "match",
]
