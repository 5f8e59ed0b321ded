"""`iamd serve`'s rate limit options: on by default, off by default in --dev,
0 turns one off, an explicit rate wins in either mode."""

from __future__ import annotations

import pytest

from iamd.cli.main import build_parser
from iamd.cli.serve_command import DEFAULT_RATE_PER_ADDRESS, DEFAULT_RATE_PER_KEY, rate_limits_of


@pytest.mark.parametrize(("argv", "expected"), [
    ([], (DEFAULT_RATE_PER_ADDRESS, DEFAULT_RATE_PER_KEY)),
    (["--dev"], (0.0, 0.0)),
    (["--rate-limit-per-key", "0"], (DEFAULT_RATE_PER_ADDRESS, 0.0)),
    (["--dev", "--rate-limit-per-address", "5"], (5.0, 0.0)),
    (["--rate-limit-per-address", "50", "--rate-limit-per-key", "10"], (50.0, 10.0)),
])
def test_rates(argv: list[str], expected: tuple[float, float]) -> None:
    assert rate_limits_of(build_parser().parse_args(["serve", *argv])) == expected
