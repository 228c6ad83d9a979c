"""Public verification and trust data: anyone, no log-in, open CORS where machines read."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Template

from approvals.services.context import Services
from approvals.services.verification import Verification, verify
from approvals.web.errors import error_responses
from approvals.web.schemas import VerificationOut, VerifyRequest
from approvals.web.security import ServicesDep

# The verification page has inline styles and nothing else to load.
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
TokenQuery = Annotated[str, QueryParameter(min_length=1, max_length=8192)]
IssuerPath = Annotated[str, FromPath, msgspec.Meta(max_length=64, pattern=r"^[a-z0-9_]+$")]


def verification_out(result: Verification) -> VerificationOut:
    cert = result.certificate
    return VerificationOut(
        genuine=result.genuine,
        verdict=result.verdict,  # type: ignore[arg-type]
        message_zh=result.zh,
        message_en=result.en,
        reason=result.reason,
        status=result.status.value if result.status else None,
        status_code=result.status_code,
        status_name=result.status_name,
        post_check_pending=cert.post_check_pending if cert else None,
        superseded_by=str(cert.superseded_by) if cert and cert.superseded_by else None,
        kid=result.kid,
        current_version_url=result.current_url,
        components=result.components,
        certificate=msgspec.to_builtins(result.claims) if result.claims else None,
    )


def _public(
    body: bytes, media_type: str, request: Request[Any, Any, Any], max_age: int
) -> Response[bytes]:
    """Open CORS, cacheable, with an ETag so that a daily refresh costs a 304."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "Access-Control-Allow-Origin": "*",
        "Cache-Control": f"public, max-age={max_age}",
        "ETag": etag,
    }
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


class VerificationController(Controller):
    tags = ["verification"]

    @get(
        "/api/verify",
        operation_id="verifyToken",
        summary="Verify a token or verification URL (public)",
        responses=error_responses(400),
    )
    async def verify_get(self, token: TokenQuery, services: ServicesDep) -> VerificationOut:
        return verification_out(await verify(services, token))

    @post(
        "/api/verify",
        operation_id="verifyTokenPost",
        status_code=200,
        summary="Verify a token or verification URL sent in the body (public)",
        responses=error_responses(400),
    )
    async def verify_post(
        self, data: JSONBody[VerifyRequest], services: ServicesDep
    ) -> VerificationOut:
        return verification_out(await verify(services, data.token))

    @get(
        "/V/{digits:str}",
        operation_id="verificationPage",
        summary="The page a QR scan opens (HTML; JSON when the client asks for application/json)",
        responses=error_responses(400),
    )
    async def page(
        self,
        request: Request[Any, Any, Any],
        digits: FromPath[str],
        services: ServicesDep,
        large: Annotated[bool, QueryParameter()] = False,
    ) -> Any:
        return await _verification_page(request, digits, services, large)

    @get("/v/{digits:str}", operation_id="verificationPageLowerCase", include_in_schema=False)
    async def page_lower_case(
        self,
        request: Request[Any, Any, Any],
        digits: FromPath[str],
        services: ServicesDep,
        large: Annotated[bool, QueryParameter()] = False,
    ) -> Any:
        return await _verification_page(request, digits, services, large)


async def _verification_page(
    request: Request[Any, Any, Any], digits: str, services: Services, large: bool
) -> Any:
    url = f"{services.settings.base_url}/V/{digits[:16384]}"
    result = await verify(services, url)
    if "application/json" in request.headers.get("accept", ""):
        return verification_out(result)
    return Template(
        "verify.html",
        context={"r": result, "claims": result.claims, "large": large},
        media_type="text/html",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": PAGE_CSP},
    )


class TrustDataController(Controller):
    tags = ["keys"]

    @get(
        "/.well-known/jwks.json",
        operation_id="jwks",
        summary="Certificate verification keys (JWK Set; pending, active and retired keys)",
    )
    async def jwks(self, request: Request[Any, Any, Any], services: ServicesDep) -> Response[bytes]:
        await services.keyring.load()
        body = msgspec.json.encode(services.keyring.jwks())
        return _public(body, "application/jwk-set+json", request, 3600)

    @get(
        "/.well-known/hcl-trust-anchor.json",
        operation_id="trustAnchor",
        summary="The trust-list key(s). Verifiers should pin these out of band, not trust "
        "this download alone",
    )
    async def trust_anchor(
        self, request: Request[Any, Any, Any], services: ServicesDep
    ) -> Response[bytes]:
        await services.keyring.load()
        body = msgspec.json.encode(services.keyring.trust_anchors())
        return _public(body, "application/jwk-set+json", request, 86400)

    @get(
        "/api/trust-list",
        operation_id="trustList",
        media_type="application/jwt",
        summary="The signed trust list: issuers, their keys with states and dates, next_update",
    )
    async def trust_list(
        self, request: Request[Any, Any, Any], services: ServicesDep
    ) -> Response[bytes]:
        token = await services.trust_list.token(services.clock.now())
        return _public(token.encode(), "application/jwt", request, 3600)

    @get(
        "/api/status-lists/{issuer:str}",
        operation_id="statusList",
        media_type="application/statuslist+jwt",
        summary="An issuer's signed token status list (IETF draft; 2 bits per certificate)",
        responses=error_responses(400, 404),
    )
    async def status_list(
        self, request: Request[Any, Any, Any], issuer: IssuerPath, services: ServicesDep
    ) -> Response[bytes]:
        await services.issuers.get(issuer, missing_is_404=True)
        token, _ = await services.status_lists.token(issuer, services.clock.now())
        return _public(token.encode(), "application/statuslist+jwt", request, 300)
