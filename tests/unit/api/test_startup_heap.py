"""The server freezes what start-up built, so that full garbage collections
during requests do not walk it (a pause of tens of milliseconds each)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from iamd.api.app import create_app
from iamd.cli.serve_command import build_runtime, config_from


def test_starting_the_app_freezes_the_heap_start_up_built(tmp_path: Path) -> None:
    runtime, _ = build_runtime(config_from(str(tmp_path), None, False, None))
    app = create_app(runtime)
    frozen: list[int] = []

    async def serve_a_while() -> None:
        async with app.router.lifespan_context(app):  # as uvicorn starts and stops it
            frozen.append(gc.get_freeze_count())

    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        asyncio.run(serve_a_while())
        # Everything alive at start-up (the runtime's models among it) was frozen.
        assert frozen[0] > 50_000
    finally:
        gc.unfreeze()
        runtime.store.close()
