"""Online verification: is this token genuine, and what is the licence's status now?

The signature says the document is genuine; only the registry knows whether it
is still valid (revoked, suspended, superseded, expired). Both answers are
given, in plain words, for the public page and for machines. Signature checks
are cached by token (a signature never changes its mind); the registry is read
on every request, so a status change is visible at once in every process. Key
states come from the key ring, which reloads about once a minute.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from approvals.clock import local_date
from approvals.domain.certificates import (
    NATIONAL_CODES,
    STATUS_NAMES_ZH,
    CertStatus,
    IssuedCertificate,
    effective_status,
)
from approvals.repository import certificates as repo
from approvals.services.context import Services
from certs.claims import CertificateClaims
from certs.qr import token_from_url, verification_url
from certs.tokens import TokenInvalid

_MAX_INPUT = 16_384


@dataclass(frozen=True)
class Verification:
    genuine: bool
    verdict: str  # valid | not_valid | not_genuine | unknown
    zh: str
    en: str
    reason: str | None = None
    claims: CertificateClaims | None = None
    certificate: IssuedCertificate | None = None
    status: CertStatus | None = None
    kid: str | None = None
    current_url: str | None = None  # the newest version's verification URL, when superseded
    components: list[dict[str, str]] = field(default_factory=list)

    @property
    def status_code(self) -> str | None:
        return NATIONAL_CODES[self.status] if self.status else None

    @property
    def status_name(self) -> str | None:
        return STATUS_NAMES_ZH[self.status] if self.status else None


def token_of(text: str) -> str:
    """Accept a bare token or the verification URL a QR code carries."""
    text = text.strip()
    if "/V/" in text.upper():
        try:
            return token_from_url(text)
        except ValueError:
            return text
    return text


async def verify(ctx: Services, text: str) -> Verification:
    await ctx.keyring.load()
    token = token_of(text[:_MAX_INPUT])
    try:
        verified = ctx.signatures.verify(token, ctx.keyring.verifying_keys)
    except TokenInvalid as exc:
        return Verification(False, "not_genuine", exc.zh, exc.en, reason=exc.reason)
    claims, kid = verified.claims, verified.key.kid
    key = ctx.keyring.info(kid)
    if key is not None and key.state == "revoked":
        return Verification(
            False,
            "unknown",
            "该证照的签名密钥已被吊销（可能泄露），无法确认真伪，请向发证机关重新核实或索取新版证照。",
            "Signed with a revoked key (possibly compromised): authenticity cannot be confirmed. "
            "Re-check with the issuer or ask for the re-issued version.",
            reason="revoked_key",
            claims=claims,
            kid=kid,
            current_url=await _current_url(ctx, claims.identifier),
        )
    cert = await repo.find_by_identifier(claims.identifier)
    if cert is None:
        return Verification(
            True,
            "unknown",
            "签名有效，但登记库中查无此证照，请向发证机关核实。",
            "The signature is genuine but the registry has no such certificate; ask the issuer.",
            reason="not_in_registry",
            claims=claims,
            kid=kid,
        )
    if not hmac.compare_digest(cert.token.encode(), token.encode()):
        # A valid signature over claims the registry never issued under this identifier:
        # a leaked or misused key. Say so rather than trusting the signature alone.
        return Verification(
            False,
            "not_genuine",
            "签名虽可验证，但内容与登记库中的证照不一致，不是本机关签发的证照，请向发证机关核实。",
            "The signature verifies, but the content differs from the registered certificate "
            "with this identifier: not issued by us. Ask the issuer.",
            reason="registry_mismatch",
            kid=kid,
        )
    return await _status_verdict(ctx, cert, claims, kid)


async def _status_verdict(
    ctx: Services, cert: IssuedCertificate, claims: CertificateClaims, kid: str
) -> Verification:
    status = effective_status(cert.status, cert.valid_until, local_date(ctx.clock.now()))
    components = [
        {
            "name": c["name"],
            "status": c["status"],
            "status_name": STATUS_NAMES_ZH[CertStatus(c["status"])],
        }
        for c in cert.components
    ]
    current_url = None
    if status is CertStatus.VALID:
        zh = "证照真实有效。" + (
            "（告知承诺审批，事后核查尚未完成）" if cert.post_check_pending else ""
        )
        en = "Genuine and valid." + (
            " Post-check of the commitment pending." if cert.post_check_pending else ""
        )
        verdict = "valid"
    elif status is CertStatus.SUPERSEDED:
        current_url = await _current_url(ctx, cert.identifier)
        zh = "证照真实，但已换发新版本，本版本不再有效，请以最新版本为准。"
        en = "Genuine, but superseded by a newer version; only the newest version counts."
        verdict = "not_valid"
    else:
        zh = f"证照真实，但当前状态为「{STATUS_NAMES_ZH[status]}」，不能作为有效许可使用。"
        if cert.status_reason:
            zh += f"（原因：{cert.status_reason}）"
        en = f"Genuine, but its status is now {status.value}: not a valid licence."
        verdict = "not_valid"
    return Verification(
        True,
        verdict,
        zh,
        en,
        reason=None if verdict == "valid" else status.value,
        claims=claims,
        certificate=cert,
        status=status,
        kid=kid,
        current_url=current_url,
        components=components,
    )


async def _current_url(ctx: Services, identifier: str) -> str | None:
    """Follow ``superseded_by`` to the newest version; its verification URL."""
    cert = await repo.find_by_identifier(identifier)
    for _ in range(1000):  # versions are at most 999
        if cert is None or cert.superseded_by is None:
            break
        cert = await repo.get_certificate(cert.superseded_by)
    if cert is None or cert.identifier == identifier:
        return None
    return verification_url(ctx.settings.base_url, cert.token)
