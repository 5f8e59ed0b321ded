"""Imports every module of iamd.service.iam, .sts and .organizations, so that each
registers its operations; a new module needs no line here."""

from __future__ import annotations

import importlib
import pkgutil

from iamd.service import iam, organizations, sts

for _package in (iam, sts, organizations):
    for _module in pkgutil.iter_modules(_package.__path__):
        importlib.import_module(f"{_package.__name__}.{_module.name}")

# CloudTrail's LookupEvents, the audit trail's read API.
from iamd.service.audit import lookup as _lookup  # noqa: E402, F401
