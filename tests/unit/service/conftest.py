"""Service tests share one fixture: a runtime built as `iamd serve` builds it."""

from .runtimes import runtime

__all__ = ["runtime"]
