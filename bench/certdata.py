"""Realistic certificates for the in-process benchmarks: claims as issuing builds them, and faces.

The content is the demo issuer's 公共场所卫生许可证 as ``approvals setup --demo`` and the
issuance benchmark produce it (issuer 银川市审批服务管理局, a hotel in Yinchuan, the
commitment route's post-check note), with holder, number, serial, credit code and
status-list index varying per certificate, so that no two tokens or QR codes are alike and
no per-content cache (identifier parsing, glyphs, faces) is hit by accident.
"""

from __future__ import annotations

from datetime import date, timedelta

from bench import workload
from certs.claims import FORMAT_VERSION, CertificateClaims, StatusListRef
from certs.face import FaceData
from certs.identifiers import build_identifier
from certs.keys import KeyAlgorithm, SigningKey, generate_private_key
from certs.qr import verification_url
from certs.tokens import sign_token

# What the demo set-up registers: the national type code of the permit, the issuer.
TYPE_CODE = "11100000MB1A372603001"
ISSUER_CODE = "11640100MB1234567N"
ISSUER_NAME = "银川市审批服务管理局"
LICENCE_NAME = "公共场所卫生许可证"
BASE_URL = "https://zwfw.yinchuan.gov.cn"
ISSUED_AT = 1_795_392_000  # 2026-11-24 00:00 China time
ISSUE_DAY = date(2026, 11, 24)

_HOLDERS = (
    "银川悦来酒店有限公司",
    "宁夏塞上明珠宾馆有限责任公司",
    "银川市金凤区清泉沐浴中心",
    "银川兴庆区丽人美容美发店",
    "宁夏贺兰山温泉度假酒店",
    "银川西夏区蓝海游泳健身馆",
    "银川永宁县好客来旅馆",
    "宁夏六盘山饭店管理有限公司",
    "银川阅海湾商务酒店",
    "银川市灵武佳和足浴店",
)
_STREETS = ("北京中路", "解放西街", "民族北街", "正源街", "贺兰山西路", "文化东街", "宁安大街")
_ITEMS = (("住宿",), ("沐浴",), ("美容美发",), ("住宿", "游泳场所"), ("住宿",), ("游泳场所",))


def holder(i: int) -> str:
    return f"{_HOLDERS[i % len(_HOLDERS)]}第{i // len(_HOLDERS) + 1}分店"


def claims(i: int, credit_code: str) -> CertificateClaims:
    """Certificate ``i`` (serial ``i + 1``) as ``approvals.services.issuing.claims_of`` makes it."""
    serial = i + 1
    return CertificateClaims(
        format_version=FORMAT_VERSION,
        identifier=build_identifier(TYPE_CODE, ISSUER_CODE, serial, 1),
        number=f"银审卫公证字〔2026〕第{serial:06d}号",
        licence_name=LICENCE_NAME,
        holder=holder(i),
        holder_code=credit_code,
        address=f"宁夏回族自治区银川市金凤区{_STREETS[i % len(_STREETS)]}{i % 400 + 1}号",
        items=_ITEMS[i % len(_ITEMS)],
        issuer=ISSUER_NAME,
        issued_at=ISSUED_AT + 7 * i,
        issue_date=ISSUE_DAY.isoformat(),
        valid_from=ISSUE_DAY.isoformat(),
        valid_until=(ISSUE_DAY.replace(year=ISSUE_DAY.year + 5) - timedelta(days=1)).isoformat(),
        status_list=StatusListRef(idx=i),
    )


def many_claims(count: int) -> list[CertificateClaims]:
    return [claims(i, code) for i, code in enumerate(workload.credit_codes(count, seed=36904))]


def signing_key(alg: KeyAlgorithm) -> SigningKey:
    return SigningKey.from_private_key(generate_private_key(alg))


def face(c: CertificateClaims) -> FaceData:
    """The face of a certificate, as ``approvals.web.controllers.certificates.face_of`` fills it."""
    return FaceData(
        licence_name=c.licence_name,
        number=c.number,
        identifier=c.identifier,
        holder=c.holder,
        holder_code=c.holder_code,
        address=c.address,
        items=c.items,
        issuer=c.issuer,
        issue_date=c.issue_date,
        valid_from=c.starts,
        valid_until=c.valid_until,
        version=c.version,
        status_note="告知承诺审批，事后核查中",
    )


def faces_with_urls(count: int, key: SigningKey) -> list[tuple[FaceData, str]]:
    """``count`` distinct faces, each with the verification URL of its own signed token."""
    return [(face(c), verification_url(BASE_URL, sign_token(c, key))) for c in many_claims(count)]
