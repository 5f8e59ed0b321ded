"""The users list: /console/users, with search, paging and bulk delete.

A plain page is one ListUsers call (MaxItems and the previous answer's
Marker) plus the users' groups: group by group (ListGroups, GetGroup) when
the account has a few small groups, else one ListGroupsForUser per user
shown; either way its cost does not grow with the number of users. The trail of markers that led to a page rides in the query
string, for "Previous page". A search walks every page of ListUsers
(at most 5,000 users, 1,000 a call) and pages the matches by offset.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.listing import every
from iamd.console.user_removal import delete_user_completely
from iamd.console.web import View, page
from iamd.model.errors import AwsError
from iamd.service.runtime import Runtime

PAGE_SIZES = (10, 25, 50, 100)
FEW_GROUPS = 10  # up to this many groups, memberships are read group by group
TRAIL_LIMIT = 20  # markers kept for "Previous page"; older pages go back to the first


def _page_size(view: View) -> int:
    try:
        size = int(view.query.get("size", "50"))
    except ValueError:
        return 50
    return size if size in PAGE_SIZES else 50


def _link(**params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "", 0)}
    return "/console/users" + ("?" + urlencode(kept) if kept else "")


def _memberships_by_group(view: View) -> dict[str, list[str]] | None:
    """user name -> group names, read group by group when that is cheap (few
    groups, none with more than a page of members); None otherwise."""
    groups, error = view.try_call("ListGroups", {"MaxItems": FEW_GROUPS})
    if error is not None or groups is None or groups.get("IsTruncated"):
        return None
    members: dict[str, list[str]] = {}
    for group in groups.get("Groups", []):
        answer, error = view.try_call("GetGroup", {"GroupName": group["GroupName"],
                                                   "MaxItems": 1000})
        if error is not None or answer is None or answer.get("IsTruncated"):
            return None
        for user in answer.get("Users", []):
            members.setdefault(user["UserName"], []).append(group["GroupName"])
    return members


def _with_groups(view: View, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each user with its groups. An account with a few groups answers with a
    handful of calls; otherwise one ListGroupsForUser a user shown."""
    by_group = _memberships_by_group(view) if users else None
    rows = []
    for user in users:
        if by_group is not None:
            rows.append({**user, "groups": by_group.get(user["UserName"], []),
                         "groups_hidden": False})
            continue
        groups, error = view.try_call("ListGroupsForUser", {"UserName": user["UserName"]})
        names = [g["GroupName"] for g in (groups or {}).get("Groups", [])]
        rows.append({**user, "groups": names, "groups_hidden": error is not None})
    return rows


def users_list(view: View) -> Response:
    size = _page_size(view)
    search = view.query.get("search", "").strip()
    error: AwsError | None = None
    previous = next_link = None
    users: list[dict[str, Any]] = []
    if search:
        try:
            start = max(int(view.query.get("start", "0")), 0)
        except ValueError:
            start = 0
        try:
            needle = search.lower()
            matches = [u for u in every(view, "ListUsers", "Users")
                       if needle in u["UserName"].lower()]
        except AwsError as denied:
            matches, error = [], denied
        users = matches[start:start + size]
        if start > 0:
            previous = _link(search=search, size=size, start=max(start - size, 0) or None)
        if start + size < len(matches):
            next_link = _link(search=search, size=size, start=start + size)
        total: int | None = len(matches)
    else:
        marker = view.query.get("marker") or None
        trail = [m for m in view.query.get("trail", "").split(" ") if m]
        answer, error = view.try_call("ListUsers", {"MaxItems": size,
                                                    **({"Marker": marker} if marker else {})})
        users = (answer or {}).get("Users", [])
        if marker:
            previous = _link(size=size, marker=trail[-1] if trail else None,
                             trail=" ".join(trail[:-1]))
        if answer and answer.get("IsTruncated"):
            kept = ([*trail, marker] if marker else trail)[-TRAIL_LIMIT:]
            next_link = _link(size=size, marker=answer["Marker"],
                              trail=" ".join(kept) if marker else None)
        total = None
    if error is not None and error.code == "AccessDenied":
        return view.denied(error)
    return view.render("users_list.html", users=_with_groups(view, users), error=error,
                       search=search, size=size, sizes=PAGE_SIZES, total=total,
                       previous=previous, next_link=next_link,
                       failures=[])


def delete_selected(view: View) -> Response:
    names = view.fields("UserName")
    if view.field("confirm") != "delete":
        return view.render("users_delete.html", names=names)
    failures = []
    for name in names:
        problem = delete_user_completely(view, name)
        if problem is not None:
            failures.append((name, problem.message))
    if failures:
        return view.render("users_delete.html", names=[n for n, _ in failures], failures=failures)
    return view.redirect("/console/users?notice=users-deleted")


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/users", page(runtime, users_list), methods=["GET"]),
            Route("/console/users/delete", page(runtime, delete_selected), methods=["POST"])]
