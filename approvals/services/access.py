"""Read use cases: who may see which case, certificate or file.

One answer for "missing" and "not yours" — a 404 either way — so ids cannot be
used to probe for other people's records. Approval-side staff see every case;
an applicant sees their own.
"""

from __future__ import annotations

import uuid

from approvals.domain.applications import Application
from approvals.domain.certificates import IssuedCertificate
from approvals.domain.errors import not_found
from approvals.domain.people import Principal
from approvals.repository import applications as app_repo
from approvals.repository import certificates as cert_repo
from approvals.repository import materials as material_repo
from approvals.repository.materials import MaterialRecord


async def visible_application(principal: Principal, application_id: uuid.UUID) -> Application:
    application = await app_repo.get_application(application_id)
    if application is None or not principal.can_read_case(application.applicant_id):
        raise not_found("该办件", "Application", "application_id")
    return application


async def visible_certificate(principal: Principal, certificate_id: uuid.UUID) -> IssuedCertificate:
    cert = await cert_repo.get_certificate(certificate_id)
    if cert is None:
        raise not_found("该证照", "Certificate", "certificate_id")
    if not principal.is_case_staff:
        application = await app_repo.get_application(cert.application_id)
        if application is None or application.applicant_id != principal.account_id:
            raise not_found("该证照", "Certificate", "certificate_id")
    return cert


async def visible_material(principal: Principal, material_id: uuid.UUID) -> MaterialRecord:
    record = await material_repo.get_material(material_id)
    if record is None or not principal.can_read_case(record.owner_id):
        raise not_found("该材料", "Material", "material_id")
    return record
