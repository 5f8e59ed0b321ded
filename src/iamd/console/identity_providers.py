"""Identity providers: OIDC and SAML, listed together as AWS's console does.

"Add provider" takes a SAML provider's name and metadata document, or an
OpenID Connect provider's URL, audience and (optional) thumbprints. A
provider's page shows its details; an OIDC provider's audiences can be
added and removed, a SAML provider's metadata replaced; both can be
deleted. Every error is AWS's, shown in place.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.web import View, page
from iamd.service.runtime import Runtime


def href(arn: str, notice: str = "") -> str:
    return f"/console/identity-providers/{quote(arn, safe='')}" + (
        f"?notice={notice}" if notice else "")


def _is_oidc(arn: str) -> bool:
    return ":oidc-provider/" in arn


def providers_list(view: View) -> Response:
    rows: list[dict[str, Any]] = []
    for provider in view.call("ListSAMLProviders").get("SAMLProviderList", []):
        rows.append({"arn": provider["Arn"], "name": provider["Arn"].split(":saml-provider/")[-1],
                     "type": "SAML", "created": provider.get("CreateDate")})
    for provider in view.call("ListOpenIDConnectProviders").get("OpenIDConnectProviderList", []):
        details, _ = view.try_call("GetOpenIDConnectProvider",
                                   {"OpenIDConnectProviderArn": provider["Arn"]})
        rows.append({"arn": provider["Arn"], "name": provider["Arn"].split(":oidc-provider/")[-1],
                     "type": "OpenID Connect", "created": (details or {}).get("CreateDate")})
    rows.sort(key=lambda row: row["name"].lower())
    return view.render("identity_providers.html", rows=rows)


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def provider_create(view: View) -> Response:
    error = ""
    if view.method == "POST":
        if view.field("provider_type") == "oidc":
            params: dict[str, Any] = {"Url": view.field("url").strip(),
                                      "ClientIDList": _lines(view.field("audience"))}
            thumbprints = _lines(view.field("thumbprints"))
            if thumbprints:
                params["ThumbprintList"] = thumbprints
            result, failure = view.try_call("CreateOpenIDConnectProvider", params)
            arn = (result or {}).get("OpenIDConnectProviderArn", "")
        else:
            result, failure = view.try_call("CreateSAMLProvider", {
                "Name": view.field("name").strip(),
                "SAMLMetadataDocument": view.field("metadata")})
            arn = (result or {}).get("SAMLProviderArn", "")
        if failure is None:
            return view.redirect(href(arn, "provider-added"))
        error = failure.message
    return view.render("identity_provider_create.html", status=400 if error else 200,
                       error=error, form=view.form)


def provider_page(view: View, error: str = "", status: int = 200) -> Response:
    arn = str(view.path_params["arn"])
    if _is_oidc(arn):
        details = view.call("GetOpenIDConnectProvider", {"OpenIDConnectProviderArn": arn})
    else:
        details = view.call("GetSAMLProvider", {"SAMLProviderArn": arn})
    return view.render("identity_provider.html", status=status, arn=arn, oidc=_is_oidc(arn),
                       details=details, error=error, self_href=href(arn),
                       name=arn.split("-provider/", 1)[-1])


def provider_view(view: View) -> Response:
    return provider_page(view)


def provider_post(view: View) -> Response:
    arn = str(view.path_params["arn"])
    action = view.field("action")
    failure = None
    if action == "delete":
        operation, key = (("DeleteOpenIDConnectProvider", "OpenIDConnectProviderArn")
                          if _is_oidc(arn) else ("DeleteSAMLProvider", "SAMLProviderArn"))
        view.call(operation, {key: arn})
        return view.redirect("/console/identity-providers?notice=deleted")
    if action == "add-audience":
        _, failure = view.try_call("AddClientIDToOpenIDConnectProvider", {
            "OpenIDConnectProviderArn": arn, "ClientID": view.field("audience").strip()})
    elif action == "remove-audience":
        _, failure = view.try_call("RemoveClientIDFromOpenIDConnectProvider", {
            "OpenIDConnectProviderArn": arn, "ClientID": view.field("audience")})
    elif action == "thumbprints":
        _, failure = view.try_call("UpdateOpenIDConnectProviderThumbprint", {
            "OpenIDConnectProviderArn": arn, "ThumbprintList": _lines(view.field("thumbprints"))})
    elif action == "metadata":
        _, failure = view.try_call("UpdateSAMLProvider", {
            "SAMLProviderArn": arn, "SAMLMetadataDocument": view.field("metadata")})
    if failure is not None:
        return provider_page(view, failure.message, 400)
    return view.redirect(href(arn, "saved"))


def routes(runtime: Runtime) -> list[Route]:
    base = "/console/identity-providers"
    return [Route(base, page(runtime, providers_list), methods=["GET"]),
            Route(f"{base}/create", page(runtime, provider_create), methods=["GET", "POST"]),
            Route(base + "/{arn:path}", page(runtime, provider_view), methods=["GET"]),
            Route(base + "/{arn:path}", page(runtime, provider_post), methods=["POST"])]
