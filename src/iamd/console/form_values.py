"""Reading the console's repeated form rows: tags and policy documents.

Tags come as parallel `tag_key`/`tag_value` fields (a blank key ends
nothing, it is just skipped); a policy document is shown pretty-printed
as AWS's console shows it, but a document that is not JSON is shown as
written so the user can see and fix it.
"""

from __future__ import annotations

import json
from typing import Any

from iamd.console.web import View

TAG_ROWS = 2  # empty tag rows a form offers
# The document AWS's JSON policy editor starts from.
STARTER_POLICY = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Statement1",
            "Effect": "Allow",
            "Action": [],
            "Resource": []
        }
    ]
}"""


def tags_from_form(view: View) -> list[dict[str, str]]:
    keys = view.form_lists.get("tag_key", [])
    values = view.form_lists.get("tag_value", [])
    tags = []
    for index, key in enumerate(keys):
        if key.strip():
            tags.append({"Key": key.strip(),
                         "Value": values[index] if index < len(values) else ""})
    return tags


def tag_rows(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """A form's tag rows: the tags given, then at least one empty row."""
    return list(tags) + [{"Key": "", "Value": ""}] * max(1, TAG_ROWS - len(tags))


def pretty(document: str) -> str:
    try:
        return json.dumps(json.loads(document), indent=4)
    except ValueError:
        return document


def compact(value: Any) -> str:
    return json.dumps(value, indent=4)
