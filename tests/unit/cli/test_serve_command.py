"""`iamd serve --public-url`: the base of outbound federation issuers."""

from __future__ import annotations

import pytest

from iamd.cli.serve_command import public_url_of


@pytest.mark.parametrize(("given", "host", "port", "expected"), [
    (None, "127.0.0.1", 8000, "http://127.0.0.1:8000"),
    ("", "0.0.0.0", 9000, "http://0.0.0.0:9000"),
    (None, "::1", 8000, "http://[::1]:8000"),
    ("https://iam.example.com", "127.0.0.1", 8000, "https://iam.example.com"),
    ("https://iam.example.com/identity/", "127.0.0.1", 8000, "https://iam.example.com/identity"),
    ("http://10.0.0.5:8080", "0.0.0.0", 8000, "http://10.0.0.5:8080"),
])
def test_public_url(given: str | None, host: str, port: int, expected: str) -> None:
    assert public_url_of(given, host, port) == expected


@pytest.mark.parametrize("given", ["iam.example.com", "ftp://iam.example.com",
                                   "https://", "https://iam.example.com/?a=b",
                                   "https://iam.example.com/#top"])
def test_public_url_must_be_a_plain_http_url(given: str) -> None:
    with pytest.raises(SystemExit, match="--public-url"):
        public_url_of(given, "127.0.0.1", 8000)
