"""QR content, size and images, checked against qrcode's own arithmetic and a real decoder."""

from __future__ import annotations

import base64
import io
import json
import string
from collections.abc import Callable
from typing import Any

import pytest
import qrcode
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from qrcode import base, util
from qrcode.constants import ERROR_CORRECT_M

from certs._qr_codewords import codewords
from certs.claims import CertificateClaims
from certs.keys import SigningKey, VerifyingKey
from certs.qr import (
    MAX_QR_VERSION,
    QrTooDense,
    digits_to_token,
    qr_version_for,
    render_qr_image,
    render_qr_png,
    token_from_url,
    token_to_digits,
    verification_prefix,
    verification_url,
)
from certs.tokens import sign_token, verify_token

ClaimsFactory = Callable[..., CertificateClaims]
BASE_URL = "https://zwfw.yinchuan.gov.cn"
PREFIX = "HTTPS://ZWFW.YINCHUAN.GOV.CN/V/"
TOKEN_CHARS = string.ascii_letters + string.digits + "-_."
tokens = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=400)


def decode_png(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert len(results) == 1
    return str(results[0].text)


def qrcode_best_fit(prefix: str, digits: str) -> int:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    qr.add_data(util.QRData(prefix.encode(), mode=util.MODE_ALPHA_NUM))
    qr.add_data(util.QRData(digits.encode(), mode=util.MODE_NUMBER))
    return int(qr.best_fit())


@pytest.mark.parametrize(
    ("char", "digits"),
    [
        ("-", "00"),
        (".", "01"),
        ("0", "03"),
        ("9", "12"),
        ("A", "20"),
        ("Z", "45"),
        ("_", "50"),
        ("a", "52"),
        ("z", "77"),
    ],
)
def test_each_token_character_becomes_the_two_digits_of_its_code_point_minus_45(
    char: str, digits: str
) -> None:
    assert token_to_digits(char) == digits


@given(token=tokens)
def test_token_digits_round_trip_and_are_twice_as_long(token: str) -> None:
    digits = token_to_digits(token)
    assert len(digits) == 2 * len(token)
    assert digits.isdigit()
    assert digits_to_token(digits) == token


@pytest.mark.parametrize("token", ["a+b", "a/b", "ab==", "a b", "银川", "ａ"])
def test_token_to_digits_refuses_characters_outside_base64url_and_dot(token: str) -> None:
    with pytest.raises(ValueError):
        token_to_digits(token)


@pytest.mark.parametrize("digits", ["0", "123", "78", "99", "02", "13", "4647", "5151", "0a", "٠٠"])
def test_digits_to_token_refuses_odd_lengths_and_pairs_that_are_no_token_character(
    digits: str,
) -> None:
    with pytest.raises(ValueError):
        digits_to_token(digits)


@pytest.mark.parametrize(
    ("base_url", "prefix"),
    [
        (BASE_URL, PREFIX),
        (BASE_URL + "/", PREFIX),
        ("https://zwfw.yinchuan.gov.cn/zz", "HTTPS://ZWFW.YINCHUAN.GOV.CN/ZZ/V/"),
        ("https://xn--fiqs8s.cn", "HTTPS://XN--FIQS8S.CN/V/"),  # punycode of a Chinese domain
    ],
)
def test_verification_prefix_is_the_upper_case_base_url_and_the_v_route(
    base_url: str, prefix: str
) -> None:
    assert verification_prefix(base_url) == prefix


@pytest.mark.parametrize(
    "base_url",
    ["", "/", "https://a.cn/?x=1", "https://a.cn/#v", "https://a_b.cn", "https://中国.cn", "ſ"],
)
def test_verification_prefix_refuses_urls_outside_the_qr_alphanumeric_set(base_url: str) -> None:
    with pytest.raises(ValueError):
        verification_prefix(base_url)


@given(token=tokens)
def test_token_from_url_recovers_the_token_from_a_verification_url(token: str) -> None:
    assert token_from_url(verification_url(BASE_URL, token)) == token


def test_token_from_url_ignores_case_and_takes_digits_after_the_last_v_route() -> None:
    url = verification_url("https://a.cn/v/x", "abc")
    assert url == "HTTPS://A.CN/V/X/V/525354"
    assert token_from_url(url.lower()) == "abc"
    assert token_from_url(" https://a.cn/v/525354\n") == "abc"


@pytest.mark.parametrize(
    "url",
    [
        "https://a.cn/525354",
        "HTTPS://A.CN/V/",
        "HTTPS://A.CN/V/5253X",
        "HTTPS://A.CN/V/525",
        "HTTPS://A.CN/V/５２",
        "HTTPS://A.CN/V/99",
    ],
)
def test_token_from_url_refuses_urls_without_a_well_formed_digit_tail(url: str) -> None:
    with pytest.raises(ValueError):
        token_from_url(url)


def test_data_codeword_table_matches_qrcode_for_all_forty_versions() -> None:
    from certs.qr import _DATA_CODEWORDS_M

    for version in range(1, 41):
        blocks = base.rs_blocks(version, ERROR_CORRECT_M)
        assert _DATA_CODEWORDS_M[version - 1] == sum(block.data_count for block in blocks)


@given(
    prefix=st.text(alphabet=string.ascii_uppercase + string.digits + ":./-", max_size=60),
    digit_count=st.integers(min_value=1, max_value=5500),
)
def test_qr_version_for_agrees_with_the_version_qrcode_picks(prefix: str, digit_count: int) -> None:
    digits = ("31415926535897932384626433832795" * 200)[:digit_count]
    url = prefix + "/V/" + digits
    expected = qrcode_best_fit(prefix + "/V/", digits)
    assert qr_version_for(url, max_version=40) == expected
    if expected > MAX_QR_VERSION:
        with pytest.raises(QrTooDense) as caught:
            qr_version_for(url)
        assert caught.value.version == expected


def test_qr_version_for_reports_content_beyond_version_40() -> None:
    with pytest.raises(QrTooDense) as caught:
        qr_version_for(PREFIX + "1" * 8000, max_version=40)
    assert caught.value.version is None


@pytest.mark.parametrize("url", ["https://a.cn/V/123", "HTTPS://A.CN/123", "HTTPS://A.CN/V/12a"])
def test_qr_version_for_refuses_content_that_is_not_prefix_and_digits(url: str) -> None:
    with pytest.raises(ValueError):
        qr_version_for(url)


def test_typical_certificate_fits_within_version_22_and_decodes_back_to_a_valid_token(
    make_claims: ClaimsFactory, es256_key: SigningKey, published: dict[str, list[VerifyingKey]]
) -> None:
    token = sign_token(make_claims(), es256_key)
    url = verification_url(BASE_URL, token)
    version = qr_version_for(url)
    assert version <= MAX_QR_VERSION
    png = render_qr_png(url)
    assert png.startswith(b"\x89PNG")
    scanned = decode_png(png)
    assert scanned == url
    assert verify_token(token_from_url(scanned), published).claims == make_claims()
    side = (4 * version + 17 + 2 * 4) * 8
    assert Image.open(io.BytesIO(png)).size == (side, side)


# Certificates as the Yinchuan approval bureau issues them, measured the way issuing measures
# them: ES256, the largest serial (9999999999) and status-list index (2**32 - 1, no uri).
TYPICAL = ("银川悦来酒店有限公司", "宁夏回族自治区银川市金凤区北京中路168号", ("住宿场所",))
LONG = (
    "银川市悦来国际大酒店管理有限公司金凤分公司",
    "宁夏回族自治区银川市金凤区北京中路168号悦来大厦",
    ("住宿场所", "沐浴场所"),
)
LONGEST = (
    "宁夏回族自治区银川市悦来国际大酒店管理有限公司金凤区分公司",
    "宁夏回族自治区银川市金凤区北京中路168号悦来国际大厦A座1至5层",
    ("住宿场所", "沐浴场所", "美容店", "游泳场（馆）"),
)


def issued_url(claims: CertificateClaims, key: SigningKey) -> str:
    return verification_url(BASE_URL, sign_token(claims, key))


def test_the_measured_claims_are_the_worst_case_issuing_signs(
    make_qr_sized_claims: Callable[..., CertificateClaims], es256_key: SigningKey
) -> None:
    claims = make_qr_sized_claims(*TYPICAL)
    assert claims.identifier.endswith(".9999999999.001." + claims.identifier[-1])
    assert claims.number == "银审卫公证字〔2026〕第9999999999号"
    assert (claims.licence_name, claims.issuer) == ("公共场所卫生许可证", "银川市审批服务管理局")
    assert claims.status_list is not None
    assert (claims.status_list.idx, claims.status_list.uri) == (2**32 - 1, None)
    assert es256_key.alg == "ES256"
    text = sign_token(claims, es256_key).split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    assert not {"lt", "ic", "ver", "hct", "vf"} & set(payload)


def test_typical_hotel_certificate_fits_version_20(
    make_qr_sized_claims: Callable[..., CertificateClaims], es256_key: SigningKey
) -> None:
    assert qr_version_for(issued_url(make_qr_sized_claims(*TYPICAL), es256_key)) <= 20


def test_long_but_realistic_certificate_fits_version_22_renders_and_scans_back(
    make_qr_sized_claims: Callable[..., CertificateClaims],
    es256_key: SigningKey,
    published: dict[str, list[VerifyingKey]],
) -> None:
    claims = make_qr_sized_claims(*LONG)
    url = issued_url(claims, es256_key)
    version = qr_version_for(url)
    assert version <= MAX_QR_VERSION == 22
    png = render_qr_png(url)
    side = (4 * version + 17 + 2 * 4) * 8
    assert Image.open(io.BytesIO(png)).size == (side, side)
    scanned = decode_png(png)
    assert scanned == url
    verified = verify_token(token_from_url(scanned), published).claims
    assert verified == claims
    assert verified.holder == "银川市悦来国际大酒店管理有限公司金凤分公司"


def test_longest_realistic_certificate_needs_version_23_and_is_refused_before_issuing(
    make_qr_sized_claims: Callable[..., CertificateClaims], es256_key: SigningKey
) -> None:
    # signing succeeds (the token is far below 4096 characters): only the QR size check stops it,
    # and that check is arithmetic, so issuing can run it before anything is stored
    url = issued_url(make_qr_sized_claims(*LONGEST), es256_key)
    with pytest.raises(QrTooDense) as caught:
        qr_version_for(url)
    assert isinstance(caught.value, ValueError)
    assert (caught.value.version, caught.value.limit) == (23, 22)
    assert str(caught.value) == "the QR code would need version 23; the limit is 22"
    assert qr_version_for(url, max_version=40) == 23
    with pytest.raises(QrTooDense):
        render_qr_png(url)
    # the refusal is the camera limit, not a broken symbol: allowed a version 23, it scans
    assert decode_png(render_qr_png(url, box_size=4, max_version=23)) == url


def test_oversized_certificate_needs_version_29_and_renders_only_when_allowed(
    make_claims: ClaimsFactory,
    es256_key: SigningKey,
    oversized_certificate_fields: dict[str, Any],
) -> None:
    # ~40-character holder, ~60-character address, 8 items of ~10 characters, a status-list uri:
    # about 1 kB of JSON. Each payload byte costs ~8.9 bits of symbol (base64url, then 2 digits
    # a character) and version 22 holds 782 bytes at level M.
    url = verification_url(
        BASE_URL, sign_token(make_claims(**oversized_certificate_fields), es256_key)
    )
    with pytest.raises(QrTooDense) as caught:
        qr_version_for(url)
    assert caught.value.version == 29
    assert qr_version_for(url, max_version=40) == 29
    assert decode_png(render_qr_png(url, box_size=3, max_version=40)) == url


def test_absurd_certificate_is_refused_by_qr_version_for(
    make_claims: ClaimsFactory, es256_key: SigningKey
) -> None:
    url = verification_url(
        BASE_URL, sign_token(make_claims(items=["经营项目" * 10] * 20), es256_key)
    )
    with pytest.raises(QrTooDense, match="limit is 22"):
        qr_version_for(url)
    with pytest.raises(QrTooDense):
        render_qr_png(url)


def test_rendered_symbol_uses_the_version_qr_version_for_computed() -> None:
    for digit_count in (10, 300, 900, 1500, 1700):
        url = PREFIX + "0123456789" * (digit_count // 10)
        version = qr_version_for(url)
        image = render_qr_image(url, box_size=1, border=0)
        assert image.size == (4 * version + 17, 4 * version + 17)


def test_render_survives_the_all_zero_blocks_that_make_qrcode_raise_glog_0() -> None:
    url = PREFIX + "00" * 600  # the token "-" * 600: long zero runs fill whole RS blocks
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, mask_pattern=2)
    qr.add_data(util.QRData(PREFIX.encode(), mode=util.MODE_ALPHA_NUM))
    qr.add_data(util.QRData(b"00" * 600, mode=util.MODE_NUMBER))
    with pytest.raises(ValueError, match=r"glog\(0\)"):  # if this stops raising, drop the fallback
        qr.make()
    assert decode_png(render_qr_png(url)) == url
    assert token_from_url(url) == "-" * 600


@given(
    digits=st.text(alphabet="0123456789", min_size=1, max_size=1500),
    version_step=st.integers(min_value=0, max_value=3),
)
def test_fallback_codewords_equal_qrcode_codewords_whenever_qrcode_can_compute_them(
    digits: str, version_step: int
) -> None:
    segments = [
        util.QRData(PREFIX.encode(), mode=util.MODE_ALPHA_NUM),
        util.QRData(digits.encode(), mode=util.MODE_NUMBER),
    ]
    version = min(qr_version_for(PREFIX + digits, max_version=40) + version_step, 40)
    try:
        expected = util.create_data(version, ERROR_CORRECT_M, segments)
    except ValueError:  # glog(0): the case the fallback exists for
        return
    assert codewords(version, segments) == expected


def test_render_refuses_a_zero_box_size_or_a_negative_border() -> None:
    url = PREFIX + "525354"
    with pytest.raises(ValueError):
        render_qr_png(url, box_size=0)
    with pytest.raises(ValueError):
        render_qr_png(url, border=-1)


def test_rendered_image_is_black_on_white_one_bit_with_a_white_quiet_zone() -> None:
    image = render_qr_image(PREFIX + "525354", box_size=2, border=4)
    assert image.mode == "1"
    assert image.getpixel((0, 0)) == 255
    assert image.getpixel((8, 8)) == 0  # top-left corner of the finder pattern
