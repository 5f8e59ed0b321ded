"""What a running iamd holds between requests: the store, the master key,
settings, and caches of compiled permissions.

One `Runtime` per process. It holds no per-request state; the permission
cache is keyed by the store's authorization generation, which every write
bumps, so a change made through any node is seen by every node on its next
request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iamd.policy import PolicySet
    from iamd.service.bootstrap import AdminCredentials
    from iamd.service.usage import UsageRecorder
    from iamd.store.interface import Store
    from iamd.store.secrets import SecretBox

DEFAULT_DEV_ACCOUNT_ID = "123456789012"

# (caller kind, principal id, session policy documents, authorization generation)
PermissionKey = tuple[str, str, tuple[str, ...], str]


@dataclass
class Runtime:
    store: Store
    secrets: SecretBox
    data_dir: Path
    dev_mode: bool = False
    default_account_id: str = ""
    usage: UsageRecorder | None = None
    initial_admin: AdminCredentials | None = None  # dev mode: what a reset restores
    token_keys: dict[int, bytes] | None = None  # STS token keys, unsealed (sts/tokens.py)
    token_signing_key: int | None = None
    # Where clients reach this server; outbound federation issuers live under it.
    public_url: str = "http://127.0.0.1:8000"
    outbound_keys: dict[str, Any] = field(default_factory=dict)  # unsealed, sts/outbound_keys.py
    permission_cache: dict[PermissionKey, PolicySet] = field(default_factory=dict)
    principal_tags: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cached_permissions(self, key: PermissionKey) -> PolicySet | None:
        return self.permission_cache.get(key)

    def remember_tags(self, key: tuple[str, str], tags: dict[str, str]) -> None:
        with self.lock:
            if len(self.principal_tags) > 4096:
                self.principal_tags.clear()
            self.principal_tags[key] = tags

    def remember_permissions(self, key: PermissionKey, policies: PolicySet) -> None:
        with self.lock:
            if len(self.permission_cache) > 4096:
                self.permission_cache.clear()
            self.permission_cache[key] = policies
