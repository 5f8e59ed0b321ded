"""Service tests share these fixtures: runtimes built as `iamd serve` builds them."""

from .runtimes import database, other_node, runtime

__all__ = ["database", "other_node", "runtime"]
