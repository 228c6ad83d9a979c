"""Certificates (holder or staff): the record, its QR code and face, status and versions."""

from __future__ import annotations

import hashlib
import uuid

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from approvals.clock import local_date
from approvals.domain.certificates import (
    STATUS_NAMES_ZH,
    CertStatus,
    IssuedCertificate,
    StatusAction,
    VersionKind,
)
from approvals.services import certificate_lifecycle as lifecycle
from approvals.services.access import visible_certificate
from approvals.services.context import Services
from approvals.web.errors import error_responses
from approvals.web.presenters import certificate_out
from approvals.web.render_cache import cached_render
from approvals.web.schemas import CertificateOut, NewVersionIn, StatusChangeIn
from approvals.web.security import PrincipalDep, ServicesDep, logged_in
from certs.face import FaceData, face_cache_key, render_face_pdf, render_face_png
from certs.qr import render_qr_png, verification_url

IMAGE_CACHE = {"Cache-Control": "private, max-age=86400"}


def _out(services: Services, cert: IssuedCertificate) -> CertificateOut:
    return certificate_out(cert, services.settings.base_url, local_date(services.clock.now()))


def face_of(cert: IssuedCertificate, issuer_name: str) -> FaceData:
    return FaceData(
        licence_name=cert.licence_name,
        number=cert.number,
        identifier=cert.identifier,
        holder=cert.holder_name,
        holder_code=cert.holder_code,
        address=cert.address,
        items=tuple(cert.items),
        issuer=issuer_name,
        issue_date=cert.issue_date.isoformat(),
        valid_from=cert.valid_from.isoformat(),
        valid_until=cert.valid_until.isoformat() if cert.valid_until else None,
        version=cert.version,
        components=tuple(
            (c["name"], STATUS_NAMES_ZH[CertStatus(c["status"])]) for c in cert.components
        ),
        status_note="告知承诺审批，事后核查中" if cert.post_check_pending else "",
    )


class CertificateController(Controller):
    path = "/api/certificates"
    tags = ["certificates"]
    guards = [logged_in]

    @get(
        "/{certificate_id:uuid}",
        operation_id="getCertificate",
        summary="A certificate (holder or staff)",
        responses=error_responses(400, 401, 404),
    )
    async def get_certificate(
        self, certificate_id: FromPath[uuid.UUID], principal: PrincipalDep, services: ServicesDep
    ) -> CertificateOut:
        return _out(services, await visible_certificate(principal, certificate_id))

    @get(
        "/{certificate_id:uuid}/qr.png",
        operation_id="getCertificateQr",
        media_type="image/png",
        summary="The QR code (PNG) holding the verification URL; rendered once, then cached",
        responses=error_responses(400, 401, 404),
    )
    async def qr_png(
        self, certificate_id: FromPath[uuid.UUID], principal: PrincipalDep, services: ServicesDep
    ) -> Response[bytes]:
        cert = await visible_certificate(principal, certificate_id)
        url = verification_url(services.settings.base_url, cert.token)
        key = hashlib.sha256(url.encode()).hexdigest()
        png = await cached_render(
            services.settings.cache_dir, "qr", key, ".png", lambda: render_qr_png(url)
        )
        return Response(png, media_type="image/png", headers=IMAGE_CACHE)

    @get(
        "/{certificate_id:uuid}/face.png",
        operation_id="getCertificateFacePng",
        media_type="image/png",
        summary="The certificate face as a PNG image (A4, Chinese)",
        responses=error_responses(400, 401, 404),
    )
    async def face_png(
        self, certificate_id: FromPath[uuid.UUID], principal: PrincipalDep, services: ServicesDep
    ) -> Response[bytes]:
        data = await _face(services, await visible_certificate(principal, certificate_id), "png")
        return Response(data, media_type="image/png", headers=IMAGE_CACHE)

    @get(
        "/{certificate_id:uuid}/face.pdf",
        operation_id="getCertificateFacePdf",
        media_type="application/pdf",
        summary="The certificate face as an A4 PDF",
        responses=error_responses(400, 401, 404),
    )
    async def face_pdf(
        self, certificate_id: FromPath[uuid.UUID], principal: PrincipalDep, services: ServicesDep
    ) -> Response[bytes]:
        cert = await visible_certificate(principal, certificate_id)
        data = await _face(services, cert, "pdf")
        disposition = f'inline; filename="certificate-{cert.serial}-v{cert.version}.pdf"'
        headers = {**IMAGE_CACHE, "Content-Disposition": disposition}
        return Response(data, media_type="application/pdf", headers=headers)

    @post(
        "/{certificate_id:uuid}/status",
        operation_id="changeCertificateStatus",
        status_code=200,
        summary="暂扣/恢复/撤销/吊销/注销 a certificate (or one component of a combined licence)",
        description="Decision makers and administrators; the holder may cancel (注销) their own. "
        "The status list, the audit log and the holder's notification change in the same "
        "transaction; a concurrent change gets a 409.",
        responses=error_responses(400, 401, 403, 404, 409),
    )
    async def change_status(
        self,
        certificate_id: FromPath[uuid.UUID],
        data: JSONBody[StatusChangeIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> CertificateOut:
        await visible_certificate(principal, certificate_id)
        cert = await lifecycle.change_status(
            services,
            principal,
            certificate_id,
            StatusAction(data.action),
            data.reason,
            component=data.component,
        )
        return _out(services, cert)

    @post(
        "/{certificate_id:uuid}/versions",
        operation_id="issueCertificateVersion",
        status_code=201,
        summary="变更/延续/补办: issue a new version; the old one is superseded",
        responses=error_responses(400, 401, 403, 404, 409, 422),
    )
    async def new_version(
        self,
        certificate_id: FromPath[uuid.UUID],
        data: JSONBody[NewVersionIn],
        principal: PrincipalDep,
        services: ServicesDep,
    ) -> CertificateOut:
        await visible_certificate(principal, certificate_id)
        changes = lifecycle.VersionChanges(data.holder_name, data.address, data.items)
        cert = await lifecycle.issue_new_version(
            services, principal, certificate_id, VersionKind(data.kind), data.reason, changes
        )
        return _out(services, cert)


async def _face(services: Services, cert: IssuedCertificate, kind: str) -> bytes:
    issuer = await services.issuers.get(cert.issuer_code)
    face = face_of(cert, issuer.name)
    url = verification_url(services.settings.base_url, cert.token)
    render = (
        (lambda: render_face_png(face, url))
        if kind == "png"
        else (lambda: render_face_pdf(face, url))
    )
    return await cached_render(
        services.settings.cache_dir, f"face-{kind}", face_cache_key(face, url), f".{kind}", render
    )
