"""The dev-mode reset (`POST /moto-api/reset`, `/_iamd/reset`): an empty
account, as moto_server's reset leaves it.

No users or groups: the admin key the user holds (this process's, or the one
admin-credentials.csv was written with) keeps working, as a key of the
account's root user.
"""

from __future__ import annotations

from datetime import UTC, datetime

from iamd.model.entities import AccessKey, Account
from iamd.service import ids
from iamd.service.admin_credentials import CREDENTIALS_FILE, read_credentials_file
from iamd.service.bootstrap import load_aws_managed_policies
from iamd.service.context import GENERATION_KEY
from iamd.service.runtime import Runtime
from iamd.store.maintenance import wipe
from iamd.store.secrets import access_key_associated_data


def reset_store(runtime: Runtime) -> None:
    # The admin key the user holds: this process's, or (a restarted server, a
    # second worker) the one the credentials file was written with.
    key = runtime.initial_admin or read_credentials_file(runtime.data_dir / CREDENTIALS_FILE,
                                                         runtime.default_account_id)
    # The generation survives the wipe and moves on in its transaction: were it
    # to start again from zero, another worker could meet a cache entry it
    # made under the same number before the reset.
    wipe(runtime.store, keep_counter=GENERATION_KEY)  # type: ignore[arg-type]  # dev mode: SQL store
    runtime.forget_caches()
    runtime.token_keys.ensure()
    now = datetime.now(UTC)
    account_id = runtime.default_account_id or ids.account_id()
    with runtime.store.transaction() as tx:
        load_aws_managed_policies(tx)
        tx.accounts.insert(Account(account_id=account_id, name=f"iamd-{account_id}", email=None,
                                   alias=None, created=now))
        if key is not None:
            sealed = runtime.secrets.encrypt(key.secret_access_key.encode(),
                                             access_key_associated_data(key.access_key_id))
            tx.access_keys.insert(AccessKey(id=key.access_key_id, user_id=None,
                                            account_id=account_id, secret_ciphertext=sealed,
                                            status="Active", created=now))
        # Every node's caches of the emptied store are stale from here on.
        tx.settings.increment(GENERATION_KEY)
