"""SAML sign-in to the console: an IdP posts its SAMLResponse to `/saml`.

The roles the assertion offers are listed for the person to choose when
there are several (the assertion travels back in the form, as it does at
AWS); the chosen role is assumed with sts:AssumeRoleWithSAML, which checks
the signature, issuer, audience, times and the role's trust policy exactly
as for the API. The console then acts as that role session.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.signin import record_console_login
from iamd.console.web import SESSION_COOKIE, View, public
from iamd.model.errors import AwsError
from iamd.service.console_sessions import (
    CREDENTIALS,
    USER_SESSION,
    RoleCredentials,
    end_session,
    new_state,
    open_session,
)
from iamd.service.dispatch import anonymous_caller
from iamd.service.runtime import Runtime
from iamd.service.sts.saml import roles_offered

SESSION_SECONDS = 3600


def saml(view: View) -> Response:
    assertion = view.field("SAMLResponse")
    offered = roles_offered(assertion)
    chosen = view.field("roleIndex")
    if not offered:
        return view.render("saml.html", status=400, roles=[], assertion="",
                           error="The SAML response offers no role to sign in with.")
    if len(offered) > 1 and not chosen:
        return view.render("saml.html", roles=offered, assertion=assertion, error="")
    pair = offered[0] if len(offered) == 1 else next(
        (p for p in offered if p[0] == chosen), None)
    if pair is None:
        return view.render("saml.html", status=400, roles=offered, assertion=assertion,
                           error="Choose one of the roles offered.")
    role_arn, provider_arn = pair
    try:
        result = view.call("AssumeRoleWithSAML", {
            "RoleArn": role_arn, "PrincipalArn": provider_arn, "SAMLAssertion": assertion,
            "DurationSeconds": SESSION_SECONDS}, service="sts", caller=anonymous_caller())
    except AwsError as error:
        return view.render("saml.html", status=error.status, roles=[], assertion="",
                           error=f"{error.code}: {error.message}")
    issued = result["Credentials"]
    credentials = RoleCredentials(
        access_key_id=issued["AccessKeyId"], secret_access_key=issued["SecretAccessKey"],
        session_token=issued["SessionToken"], expiration=issued["Expiration"].isoformat(),
        role_arn=role_arn)
    state = new_state(CREDENTIALS, role_arn.split(":")[4], view.now, credentials=credentials)
    end_session(view.runtime, view.cookie)
    cookie = open_session(view.runtime, state, view.now)
    record_console_login(view, root=False, succeeded=True, mfa_used=False, state=state,
                         session=state)
    view.set_cookies.append((SESSION_COOKIE, cookie, int(USER_SESSION.total_seconds())))
    return view.redirect("/console")


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/saml", public(runtime, saml), methods=["POST"])]
