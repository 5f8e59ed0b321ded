"""What a running iamd holds between requests: the store, the master key,
settings, and caches of compiled permissions and resolved access keys.

One `Runtime` per process. It holds no per-request state; its caches are
keyed by the store's authorization generation, which every write that
changes a row bumps, so a change made through any node is seen by every node
on its next request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iamd.service.metrics import count_cache

if TYPE_CHECKING:
    from iamd.policy import PolicySet
    from iamd.service.admin_credentials import AdminCredentials
    from iamd.service.audit.trail import AuditTrail
    from iamd.service.authentication import ResolvedKey
    from iamd.service.rate_limits import RateLimits
    from iamd.service.sts.token_key_schedule import TokenKeySchedule
    from iamd.service.sts.token_keys import TokenKeys
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
    token_keys: TokenKeys  # STS session tokens' and authorization messages' keys
    data_dir: Path
    dev_mode: bool = False
    default_account_id: str = ""
    usage: UsageRecorder | None = None
    audit: AuditTrail | None = None  # the audit trail's writer (service/audit/trail.py)
    initial_admin: AdminCredentials | None = None  # dev mode: what a reset restores
    rate_limits: RateLimits | None = None  # per address and access key; None: no limits
    reads_on_loop: bool = True  # short reads answered on the event loop (read_latency.py)
    token_key_schedule: TokenKeySchedule | None = None  # rotates token_keys (iamd serve)
    # Where clients reach this server; outbound federation issuers live under it.
    public_url: str = "http://127.0.0.1:8000"
    outbound_keys: dict[str, Any] = field(default_factory=dict)  # unsealed, sts/outbound_keys.py
    outbound_key_rotation: timedelta = timedelta(days=30)  # how long they sign before replaced
    permission_cache: dict[PermissionKey, PolicySet] = field(default_factory=dict)
    principal_tags: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    # (identity (name, document) pairs, boundary document, session documents) -> compiled set
    compiled_sets: dict[tuple[Any, ...], PolicySet] = field(default_factory=dict)
    # access key id -> (authorization generation, its principal and unsealed secret)
    key_cache: dict[str, tuple[str, ResolvedKey]] = field(default_factory=dict)
    secrets_by_ciphertext: dict[tuple[bytes, bytes], bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def forget_caches(self) -> None:
        """Drop every cache (the dev-mode reset empties the store under them)."""
        with self.lock:
            self.permission_cache.clear()
            self.principal_tags.clear()
            self.key_cache.clear()
            self.compiled_sets.clear()
            self.secrets_by_ciphertext.clear()

    def remember_compiled(self, content: tuple[Any, ...], policies: PolicySet) -> None:
        with self.lock:
            if len(self.compiled_sets) > 1024:
                self.compiled_sets.clear()
            self.compiled_sets[content] = policies

    def unsealed(self, ciphertext: bytes, associated: bytes) -> bytes:
        """A sealed secret in clear, unsealed once per ciphertext (AES-GCM is
        deterministic the other way: the same ciphertext and associated data
        only ever open to the same secret)."""
        key = (ciphertext, associated)
        found = self.secrets_by_ciphertext.get(key)
        if found is None:
            found = self.secrets.decrypt(ciphertext, associated)
            with self.lock:
                if len(self.secrets_by_ciphertext) > 4096:
                    self.secrets_by_ciphertext.clear()
                self.secrets_by_ciphertext[key] = found
        return found

    def cached_key(self, access_key_id: str, generation: str) -> ResolvedKey | None:
        found = self.key_cache.get(access_key_id)
        hit = found is not None and found[0] == generation
        count_cache("access_key", hit)
        return found[1] if found is not None and hit else None

    def remember_key(self, access_key_id: str, generation: str, resolved: ResolvedKey) -> None:
        with self.lock:
            if len(self.key_cache) > 4096:
                self.key_cache.clear()
            self.key_cache[access_key_id] = (generation, resolved)

    def cached_permissions(self, key: PermissionKey) -> PolicySet | None:
        found = self.permission_cache.get(key)
        count_cache("permissions", found is not None)
        return found

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
