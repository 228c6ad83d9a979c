"""Shared fixtures for the certs tests: keys, a claims factory and realistic Chinese content."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from certs.claims import FORMAT_VERSION, CertificateClaims, StatusListRef
from certs.identifiers import build_identifier
from certs.keys import KeyAlgorithm, SigningKey, VerifyingKey, generate_private_key

TYPE_CODE = "11640100MB1234567X001"  # defining agency's credit code + 001
ISSUER_CODE = "11640100MB1234567X"

ClaimsFactory = Callable[..., CertificateClaims]


def _make_claims(**overrides: Any) -> CertificateClaims:
    """A small but real-looking public-place hygiene permit; override any field by name.

    ``serial`` and ``version`` build the identifier, which is where the licence type code, the
    issuer code and the version are read from: they are not claims of their own. Optional
    claims with a default (``hct`` = 001, ``vf`` = the issue date) are left at it, as issuing
    does, so a test that wants them on the wire says so.
    """
    serial = overrides.pop("serial", 123)
    version = overrides.pop("version", 1)
    fields: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "identifier": build_identifier(TYPE_CODE, ISSUER_CODE, serial, version),
        "number": "银卫公字〔2026〕第000123号",
        "licence_name": "公共场所卫生许可证",
        "holder": "银川市某某宾馆",
        "holder_code": "91640100MA76543210",
        "address": "银川市兴庆区解放西街1号",
        "items": ("住宿",),
        "issuer": "银川市行政审批服务局",
        "issued_at": 1_767_225_600,
        "issue_date": "2026-01-01",
        "valid_until": "2029-12-31",
    }
    fields.update(overrides)
    return CertificateClaims(**fields)


@pytest.fixture(scope="session")
def make_claims() -> ClaimsFactory:
    return _make_claims


@pytest.fixture(scope="session")
def es256_key() -> SigningKey:
    return SigningKey.from_private_key(generate_private_key(KeyAlgorithm.ES256))


@pytest.fixture(scope="session")
def eddsa_key() -> SigningKey:
    return SigningKey.from_private_key(generate_private_key(KeyAlgorithm.EDDSA))


@pytest.fixture(scope="session", params=[KeyAlgorithm.ES256, KeyAlgorithm.EDDSA], ids=str)
def signing_key(request: pytest.FixtureRequest) -> SigningKey:
    return SigningKey.from_private_key(generate_private_key(request.param))


@pytest.fixture(scope="session")
def published(es256_key: SigningKey, eddsa_key: SigningKey) -> dict[str, list[VerifyingKey]]:
    """What a verifier would build from our JWK Set: kid -> keys."""
    return {key.kid: [key.verifying_key()] for key in (es256_key, eddsa_key)}


@pytest.fixture(scope="session")
def make_qr_sized_claims() -> ClaimsFactory:
    """Claims as issuing builds them, at their longest: what the QR-size tests measure.

    Issuing sends neither ``vf`` nor ``hct`` nor ``jd``, sends ``vu`` and a status-list index
    without uri, and checks the QR size with the largest serial and index it could allocate.
    """

    def make(holder: str, address: str, items: tuple[str, ...]) -> CertificateClaims:
        return _make_claims(
            serial=9_999_999_999,
            number="银审卫公证字〔2026〕第9999999999号",
            licence_name="公共场所卫生许可证",
            issuer="银川市审批服务管理局",
            holder=holder,
            address=address,
            items=items,
            status_list=StatusListRef(idx=2**32 - 1),
        )

    return make


@pytest.fixture(scope="session")
def oversized_certificate_fields() -> dict[str, Any]:
    """Far beyond any real licence: ~40-character holder, ~60-character address, 8 items."""
    holder = "宁夏回族自治区银川市兴庆区塞上明珠国际大酒店餐饮娱乐管理有限责任公司第一分公司"
    address = (
        "宁夏回族自治区银川市兴庆区解放西街与民族北街交叉口东北角塞上明珠国际商业广场"
        "二号楼一至五层及地下一层东侧商铺（临街门面）"
    )
    items = (
        "住宿（客房及公共区）",
        "沐浴（含桑拿及足浴）",
        "美容美发（化妆美甲）",
        "游泳场所（室内泳池）",
        "健身房（瑜伽舞蹈室）",
        "歌舞厅（含卡拉OK）",
        "商场超市（生鲜食品）",
        "候诊室（门诊候诊厅）",
    )
    return {
        "holder": holder,
        "address": address,
        "items": items,
        "jurisdiction": "640104",
        "status_list": StatusListRef(idx=1_048_575, uri="https://zwfw.yinchuan.gov.cn/sl/1"),
    }


def _forge_token(key: SigningKey, header: bytes, payload: bytes) -> str:
    """Sign arbitrary header and payload bytes with a real key, bypassing sign_token's care."""
    signing_input = _b64url(header) + "." + _b64url(payload)
    return signing_input + "." + _b64url(key.sign(signing_input.encode("ascii")))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.fixture(scope="session")
def forge_token() -> Callable[[SigningKey, bytes, bytes], str]:
    return _forge_token
