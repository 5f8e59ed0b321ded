"""The error registry against botocore's service models: every error code an
IAM or STS operation declares has its class, with the model's HTTP status."""

from __future__ import annotations

import botocore.session
import pytest

from iamd.model.errors import ERRORS, AwsError


def declared(service: str) -> dict[str, int | None]:
    """Each error code the service's operations declare, with its status if given."""
    model = botocore.session.get_session().get_service_model(service)
    codes: dict[str, int | None] = {}
    for name in model.operation_names:
        for shape in model.operation_model(name).error_shapes:
            error = shape.metadata.get("error", {})
            codes[error.get("code", shape.name)] = error.get("httpStatusCode")
    return codes


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_every_declared_code_has_its_class(service: str) -> None:
    missing = sorted(code for code in declared(service) if code not in ERRORS)
    assert missing == []


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_statuses_are_the_models(service: str) -> None:
    wrong = {code: (ERRORS[code].status, status) for code, status in declared(service).items()
             if status is not None and code in ERRORS and ERRORS[code].status != status}
    assert wrong == {}


def test_one_class_per_code() -> None:
    codes = [cls.code for cls in AwsError.__subclasses__()]
    assert sorted(c for c in set(codes) if codes.count(c) > 1) == []
