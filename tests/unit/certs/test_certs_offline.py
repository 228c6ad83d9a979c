"""The offline verifier against a trust bundle built here from real keys, lists and QR images."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from certs.claims import CertificateClaims, StatusListRef
from certs.keys import KeyAlgorithm, SigningKey, generate_private_key, jwks
from certs.offline import (
    NoQrFound,
    OfflineVerdict,
    TrustBundle,
    TrustBundleInvalid,
    build_trust_bundle,
    load_trust_bundle,
    read_qr_from_image,
    save_trust_bundle,
    token_from_input,
    verify_offline,
)
from certs.qr import render_qr_png, token_to_digits, verification_url
from certs.status_list import INVALID, SUPERSEDED, SUSPENDED, StatusArray, sign_status_list
from certs.tokens import sign_token
from certs.trust_list import Issuer, TrustListInvalid, build_trust_list, sign_trust_list
from certs.trust_list import trusted_key as entry

ClaimsFactory = Callable[..., CertificateClaims]
T0 = 1_767_225_600  # 2026-01-01 08:00 in China
HOUR, DAY = 3_600, 86_400
NOW = T0 + 3 * HOUR
BASE_URL = "https://zwfw.example.gov.cn"
ISSUER_A = "11640100MB1234567X"  # the issuer code in conftest's certificates
ISSUER_B = "11640200MB7654321Y"
fuzz = settings(
    max_examples=int(os.environ.get("CERTS_FUZZ_EXAMPLES", "200")),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)


def new_key(alg: KeyAlgorithm = KeyAlgorithm.ES256) -> SigningKey:
    return SigningKey.from_private_key(generate_private_key(alg))


def issuer(code: str) -> Issuer:
    return Issuer(
        code=code,
        name="银川市行政审批服务局",
        credit_code=code,
        jurisdiction="640100",
        status_list=f"{BASE_URL}/status/{code}",
    )


@dataclass
class World:
    """One deployment: an anchor, issuer A's keys in every state, issuer B's key, statuses."""

    anchor: SigningKey = field(default_factory=lambda: new_key(KeyAlgorithm.EDDSA))
    active: SigningKey = field(default_factory=new_key)
    retired: SigningKey = field(default_factory=lambda: new_key(KeyAlgorithm.EDDSA))
    revoked: SigningKey = field(default_factory=new_key)
    pending: SigningKey = field(default_factory=new_key)
    other_issuer: SigningKey = field(default_factory=new_key)
    statuses: Mapping[int, int] = field(
        default_factory=lambda: {1: INVALID, 2: SUSPENDED, 3: SUPERSEDED}
    )

    def trust_list_token(self, *, next_update: int = T0 + 2 * DAY) -> str:
        a, created = ISSUER_A, T0 - 400 * DAY
        keys = [
            entry(
                self.active.verifying_key(),
                issuer=a,
                state="active",
                created=created,
                activated=T0 - 30 * DAY,
            ),
            entry(
                self.retired.verifying_key(),
                issuer=a,
                state="retired",
                created=created,
                activated=created,
                retired=T0 - 30 * DAY,
                not_after=T0 + 1000 * DAY,
            ),
            entry(
                self.revoked.verifying_key(),
                issuer=a,
                state="revoked",
                created=created,
                activated=created,
                revoked=T0 - 5 * DAY,
            ),
            entry(self.pending.verifying_key(), issuer=a, state="pending", created=T0 - DAY),
            entry(
                self.other_issuer.verifying_key(),
                issuer=ISSUER_B,
                state="active",
                created=created,
                activated=created,
            ),
        ]
        trust_list = build_trust_list(
            seq=1,
            iat=T0,
            next_update=next_update,
            issuers=[issuer(ISSUER_A), issuer(ISSUER_B)],
            keys=keys,
        )
        return sign_trust_list(trust_list, self.anchor)

    def status_token(
        self, *, key: SigningKey | None = None, exp: int = T0 + 7 * DAY, size: int = 1024
    ) -> str:
        array = StatusArray(bits=2, size=size)
        for index, value in self.statuses.items():
            array.set(index, value)
        return sign_status_list(
            f"{BASE_URL}/status/{ISSUER_A}", array, key or self.active, iat=T0, ttl=DAY, exp=exp
        )

    def bundle(self, *, status: dict[str, str] | None = None, **trust: Any) -> TrustBundle:
        statuses = {ISSUER_A: self.status_token()} if status is None else status
        return build_trust_bundle(
            jwks([self.anchor.verifying_key()]),
            self.trust_list_token(**trust),
            statuses,
            fetched_at=T0,
            source=BASE_URL,
        )


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def bundle(world: World) -> TrustBundle:
    return world.bundle()


@pytest.fixture(scope="module")
def certificate(make_claims: ClaimsFactory) -> Callable[..., CertificateClaims]:
    def make(idx: int = 0, **overrides: Any) -> CertificateClaims:
        return make_claims(status_list=StatusListRef(idx=idx), **overrides)

    return make


def check(token: str | bytes, bundle: TrustBundle, now: int = NOW) -> OfflineVerdict:
    return verify_offline(token, bundle, now=now)


# --- verdicts -------------------------------------------------------------------------------


def test_certificate_signed_by_an_active_key_with_status_zero_is_valid_and_shows_its_claims(
    world: World, bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    claims = certificate(idx=0)
    result = check(sign_token(claims, world.active), bundle)
    assert (result.genuine, result.verdict, result.reason, result.status) == (
        True,
        "valid",
        "valid",
        0,
    )
    assert result.claims == claims
    assert result.zh == "证照真实有效。"
    assert result.trust_age_seconds == 3 * HOUR
    assert (result.trust_note_zh, result.trust_note_en) == (
        "核验数据更新于 3 小时前",
        "trust data is 3 hours old",
    )
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("idx", "reason", "status"),
    [(1, "revoked", INVALID), (2, "suspended", SUSPENDED), (3, "superseded", SUPERSEDED)],
)
def test_genuine_certificate_whose_status_bit_is_set_is_not_valid_with_that_reason(
    world: World,
    bundle: TrustBundle,
    certificate: Callable[..., CertificateClaims],
    idx: int,
    reason: str,
    status: int,
) -> None:
    result = check(sign_token(certificate(idx=idx), world.active), bundle)
    assert (result.genuine, result.verdict, result.reason, result.status) == (
        True,
        "not_valid",
        reason,
        status,
    )
    assert result.claims is not None


def test_certificate_past_its_valid_until_day_in_shanghai_is_expired_though_its_bit_is_zero(
    world: World, bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    token = sign_token(certificate(idx=0, valid_until="2026-01-02"), world.active)
    last_minute_in_china = T0 + 40 * HOUR - 60  # 2026-01-02 23:59 in China, 15:59 UTC
    first_minute_after = T0 + 40 * HOUR  # 2026-01-03 00:00 in China, still 01-02 in UTC
    assert check(token, bundle, last_minute_in_china).verdict == "valid"
    result = check(token, bundle, first_minute_after)
    assert (result.verdict, result.reason, result.genuine) == ("not_valid", "expired", True)


def test_revocation_outranks_expiry_and_expiry_outranks_a_missing_status_list(
    world: World, certificate: Callable[..., CertificateClaims]
) -> None:
    later = T0 + 2 * DAY - 1
    revoked_and_expired = sign_token(certificate(idx=1, valid_until="2026-01-01"), world.active)
    expired = sign_token(certificate(idx=0, valid_until="2026-01-01"), world.active)
    assert check(revoked_and_expired, world.bundle(), later).reason == "revoked"
    assert check(expired, world.bundle(status={}), later).reason == "expired"


def test_certificate_whose_validity_starts_tomorrow_is_not_yet_valid(
    world: World, bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    token = sign_token(certificate(valid_from="2026-01-02"), world.active)
    assert check(token, bundle).reason == "not_yet_valid"


def test_certificate_signed_with_a_revoked_key_is_unknown_and_asks_for_an_online_check(
    world: World, bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    result = check(sign_token(certificate(issued_at=T0 - 60 * DAY), world.revoked), bundle)
    assert (result.genuine, result.verdict, result.reason) == (False, "unknown", "revoked_key")
    assert result.claims is None
    assert "联网" in result.zh and "online" in result.en


def test_certificate_signed_with_a_still_pending_key_is_unknown_not_yet_valid_key(
    world: World, bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    result = check(sign_token(certificate(), world.pending), bundle)
    assert (result.genuine, result.verdict, result.reason) == (
        False,
        "unknown",
        "not_yet_valid_key",
    )


def test_retired_key_still_vouches_for_certificates_signed_before_its_retirement(
    world: World, bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    token = sign_token(certificate(issued_at=T0 - 31 * DAY), world.retired)
    assert check(token, bundle).verdict == "valid"


def test_certificate_signed_after_its_keys_retirement_is_flagged_unknown(
    world: World, bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    result = check(sign_token(certificate(issued_at=T0 - 29 * DAY), world.retired), bundle)
    assert (result.genuine, result.verdict, result.reason) == (
        False,
        "unknown",
        "signed_after_retirement",
    )


def test_certificate_naming_issuer_a_but_signed_with_issuer_bs_key_is_not_genuine(
    world: World, bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    result = check(sign_token(certificate(), world.other_issuer), bundle)
    assert (result.genuine, result.verdict, result.reason) == (False, "not_genuine", "wrong_issuer")


def test_certificate_signed_with_a_key_missing_from_the_trust_list_is_not_genuine(
    bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    result = check(sign_token(certificate(), new_key()), bundle)
    assert (result.verdict, result.reason, result.claims) == ("not_genuine", "unknown_key", None)


def test_certificate_with_an_edited_holder_is_not_genuine_bad_signature(
    world: World, bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    header, _, signature = sign_token(certificate(), world.active).split(".")
    _, payload, _ = sign_token(certificate(holder="别人的宾馆"), world.active).split(".")
    result = check(f"{header}.{payload}.{signature}", bundle)
    assert (result.verdict, result.reason) == ("not_genuine", "bad_signature")


def test_trust_list_signed_by_another_anchor_is_refused_when_the_bundle_is_built(
    world: World,
) -> None:
    impostor = World(anchor=new_key(), active=world.active)
    with pytest.raises(TrustListInvalid) as caught:
        build_trust_bundle(
            jwks([world.anchor.verifying_key()]),
            impostor.trust_list_token(),
            {},
            fetched_at=T0,
            source=BASE_URL,
        )
    assert caught.value.reason == "unknown_anchor"


def test_missing_status_list_leaves_a_genuine_certificate_unknown_with_its_claims(
    world: World, certificate: Callable[..., CertificateClaims]
) -> None:
    result = check(sign_token(certificate(), world.active), world.bundle(status={}))
    assert (result.genuine, result.verdict, result.reason) == (True, "unknown", "no_status_list")
    assert result.claims is not None and result.status is None
    assert result.zh.startswith("证照为真")


def test_status_list_past_its_exp_at_scan_time_makes_the_status_unknown_stale(
    world: World, certificate: Callable[..., CertificateClaims]
) -> None:
    bundle = world.bundle(status={ISSUER_A: world.status_token(exp=T0 + DAY)})
    token = sign_token(certificate(), world.active)
    assert check(token, bundle, T0 + DAY - 1).verdict == "valid"
    assert check(token, bundle, T0 + DAY).reason == "status_list_stale"


def test_status_list_already_expired_when_fetched_is_recorded_and_reported_stale(
    world: World, certificate: Callable[..., CertificateClaims]
) -> None:
    bundle = world.bundle(status={ISSUER_A: world.status_token(exp=T0)})
    assert bundle.status_problems == {ISSUER_A: "expired"}
    assert check(sign_token(certificate(), world.active), bundle).reason == "status_list_stale"


def test_status_list_signed_by_another_issuers_key_is_refused(
    world: World, certificate: Callable[..., CertificateClaims]
) -> None:
    bundle = world.bundle(status={ISSUER_A: world.status_token(key=world.other_issuer)})
    assert ISSUER_A not in bundle.status_lists
    assert check(sign_token(certificate(), world.active), bundle).reason == "status_list_invalid"


def test_index_beyond_the_published_list_is_unknown_not_silently_valid(
    world: World, bundle: TrustBundle, certificate: Callable[..., CertificateClaims]
) -> None:
    result = check(sign_token(certificate(idx=1024), world.active), bundle)
    assert (result.verdict, result.reason) == ("unknown", "index_beyond_list")


def test_certificate_without_a_status_reference_is_unknown(
    world: World, bundle: TrustBundle, make_claims: ClaimsFactory
) -> None:
    assert check(sign_token(make_claims(), world.active), bundle).reason == "no_status_reference"


def test_stale_trust_list_keeps_a_valid_verdict_but_says_so_in_reason_warnings_and_note(
    world: World, certificate: Callable[..., CertificateClaims]
) -> None:
    bundle = world.bundle()
    result = check(sign_token(certificate(), world.active), bundle, T0 + 3 * DAY)
    assert (result.verdict, result.reason) == ("valid", "trust_list_stale")
    assert "trust_list_stale" in result.warnings and "status_list_refresh_due" in result.warnings
    assert result.trust_note_zh == "核验数据更新于 3 天前，已过更新期限"
    assert result.trust_note_en == "trust data is 3 days old, past its update date"


@pytest.mark.parametrize(
    ("age", "zh", "en"),
    [
        (5, "核验数据刚刚更新", "trust data was just updated"),
        (60, "核验数据更新于 1 分钟前", "trust data is 1 minute old"),
        (47 * HOUR, "核验数据更新于 47 小时前", "trust data is 47 hours old"),
        (
            -120,
            "核验数据晚于本机时间，请检查设备时间",
            "trust data is newer than this device clock",
        ),
    ],
)
def test_trust_note_tells_the_age_of_the_trust_data_in_words(
    world: World, bundle: TrustBundle, age: int, zh: str, en: str
) -> None:
    result = check("anything", bundle, T0 + age)
    assert (result.trust_note_zh, result.trust_note_en) == (zh, en)


# --- the trust directory --------------------------------------------------------------------


def test_saved_trust_directory_loads_back_into_the_same_verdicts(
    world: World, tmp_path: Path, certificate: Callable[..., CertificateClaims]
) -> None:
    save_trust_bundle(
        tmp_path,
        jwks([world.anchor.verifying_key()]),
        world.trust_list_token(),
        {ISSUER_A: world.status_token()},
        T0,
        BASE_URL,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "anchor.jwk",
        "fetched.json",
        "status",
        "trust-list.jwt",
    ]
    assert json.loads((tmp_path / "fetched.json").read_text()) == {
        "fetched_at": T0,
        "source": BASE_URL,
    }
    loaded = load_trust_bundle(tmp_path)
    assert loaded.source == BASE_URL and loaded.fetched_at == T0
    assert check(sign_token(certificate(idx=2), world.active), loaded).reason == "suspended"


def test_saving_again_removes_status_lists_no_longer_published(
    world: World, tmp_path: Path
) -> None:
    anchors = jwks([world.anchor.verifying_key()])
    save_trust_bundle(
        tmp_path,
        anchors,
        world.trust_list_token(),
        {ISSUER_A: world.status_token(), ISSUER_B: "x"},
        T0,
        BASE_URL,
    )
    save_trust_bundle(tmp_path, anchors, world.trust_list_token(), {}, T0, BASE_URL)
    assert list((tmp_path / "status").iterdir()) == []


def test_issuer_code_that_would_escape_the_status_directory_is_refused(
    world: World, tmp_path: Path
) -> None:
    with pytest.raises(ValueError):
        save_trust_bundle(tmp_path, {}, "t", {"../../etc/passwd": "x"}, T0, BASE_URL)


@pytest.mark.parametrize("damage", ["missing", "garbled", "huge"])
def test_missing_or_garbled_trust_directory_raises_trust_bundle_invalid_with_messages(
    world: World, tmp_path: Path, damage: str
) -> None:
    save_trust_bundle(
        tmp_path, jwks([world.anchor.verifying_key()]), world.trust_list_token(), {}, T0, BASE_URL
    )
    target = tmp_path / "fetched.json"
    if damage == "missing":
        target.unlink()
    else:
        target.write_bytes(b"\xff{" if damage == "garbled" else b" " * 70_000)
    with pytest.raises(TrustBundleInvalid) as caught:
        load_trust_bundle(tmp_path)
    assert caught.value.zh and caught.value.en


# --- QR images and other inputs -------------------------------------------------------------


@pytest.fixture(scope="module")
def revoked_url(world: World, certificate: Callable[..., CertificateClaims]) -> str:
    return verification_url(BASE_URL, sign_token(certificate(idx=1), world.active))


def test_qr_code_read_from_the_rendered_png_verifies_like_the_token(
    revoked_url: str, bundle: TrustBundle
) -> None:
    png = render_qr_png(revoked_url)
    assert read_qr_from_image(png) == revoked_url
    assert check(png, bundle).reason == "revoked"


def test_qr_code_read_from_a_downscaled_rotated_low_quality_jpeg_photo(
    revoked_url: str, bundle: TrustBundle
) -> None:
    symbol = Image.open(io.BytesIO(render_qr_png(revoked_url))).convert("L")
    photo = symbol.resize((symbol.width * 45 // 100,) * 2, Image.Resampling.BILINEAR)
    photo = photo.rotate(3, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    out = io.BytesIO()
    photo.convert("RGB").save(out, "JPEG", quality=40)
    assert read_qr_from_image(out.getvalue()) == revoked_url
    assert check(out.getvalue(), bundle).reason == "revoked"


def test_very_small_photo_is_read_by_the_enlarged_variant(revoked_url: str) -> None:
    symbol = Image.open(io.BytesIO(render_qr_png(revoked_url))).convert("L")
    photo = symbol.resize((symbol.width // 5,) * 2, Image.Resampling.BILINEAR)  # 1.6 px/module
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=60)
    assert read_qr_from_image(out.getvalue()) == revoked_url


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,  # a truncated PNG
        b"\xff\xd8\xff\xe0garbage",
        b"GIF89a\x01\x00\x01\x00\x80\xff\xfe",  # a format we do not open
        bytes(range(256)),
    ],
)
def test_bytes_that_are_not_a_readable_image_raise_no_qr_found_with_messages(data: bytes) -> None:
    with pytest.raises(NoQrFound) as caught:
        token_from_input(data)
    assert caught.value.zh and caught.value.en
    assert isinstance(caught.value, ValueError)  # one handler serves every refusal


@pytest.mark.parametrize("size", [(8000, 7000), (12000, 12000)])
def test_image_claiming_tens_of_megapixels_is_refused_as_too_large_before_decoding(
    size: tuple[int, int],
) -> None:
    out = io.BytesIO()
    Image.new("1", size, 1).save(out, "PNG")  # ~20-40 kB of PNG, 56-144 million pixels
    with pytest.raises(NoQrFound) as caught:
        read_qr_from_image(out.getvalue())
    assert caught.value.reason == "too_large"


def test_image_without_a_qr_code_raises_no_qr_found(bundle: TrustBundle) -> None:
    out = io.BytesIO()
    Image.linear_gradient("L").save(out, "PNG")
    with pytest.raises(NoQrFound) as caught:
        check(out.getvalue(), bundle)
    assert caught.value.reason == "no_qr"


def test_url_digits_utf8_bytes_and_padded_text_all_yield_the_same_token(
    world: World, certificate: Callable[..., CertificateClaims]
) -> None:
    token = sign_token(certificate(), world.active)
    url = verification_url(BASE_URL, token)
    inputs: list[str | bytes] = [token, f" {token}\n", url, url.lower(), url.encode()]
    inputs.append(token_to_digits(token))
    assert {token_from_input(value) for value in inputs} == {token}


def test_text_that_is_no_certificate_code_is_not_genuine_malformed(bundle: TrustBundle) -> None:
    for text in ["", "https://weixin.qq.com/r/abc", "HTTPS://X/V/12345", "你好"]:
        assert check(text, bundle).reason == "malformed"
    assert check("A" * 1_000_000, bundle).reason == "too_long"


# --- fuzz: any input gives a verdict or NoQrFound -------------------------------------------


def verdict_or_no_qr(source: str | bytes, bundle: TrustBundle) -> OfflineVerdict | None:
    try:
        result = verify_offline(source, bundle, now=NOW)
    except NoQrFound:
        return None
    assert result.zh and result.en and result.trust_note_zh
    assert result.genuine == (result.claims is not None)
    return result


@fuzz
@given(source=st.one_of(st.text(max_size=10_000), st.binary(max_size=5_000)))
def test_random_text_and_bytes_give_a_verdict_or_no_qr_found(
    source: str | bytes, bundle: TrustBundle
) -> None:
    result = verdict_or_no_qr(source, bundle)
    assert result is None or not result.genuine


@fuzz
@given(data=st.data())
def test_genuine_token_or_url_cut_or_edited_anywhere_is_never_called_genuine(
    data: st.DataObject,
    world: World,
    bundle: TrustBundle,
    certificate: Callable[..., CertificateClaims],
) -> None:
    token = sign_token(certificate(), world.active)
    source = data.draw(st.sampled_from([token, verification_url(BASE_URL, token)]))
    position = data.draw(st.integers(0, len(source) - 1))
    if data.draw(st.booleans()):
        mutated = source[:position]
    else:
        mutated = source[:position] + data.draw(st.characters()) + source[position + 1 :]
    if token_from_input_or_none(mutated) == token:
        return  # e.g. a case change in the URL prefix, or whitespace at an end
    result = verdict_or_no_qr(mutated, bundle)
    assert result is not None and not result.genuine


def token_from_input_or_none(source: str) -> str | None:
    try:
        return token_from_input(source)
    except ValueError:
        return None


@fuzz
@given(
    pixels=st.binary(min_size=48 * 48, max_size=48 * 48),
    fmt=st.sampled_from(["PNG", "JPEG"]),
    cut=st.integers(0, 400),
)
def test_random_and_truncated_images_give_no_qr_found_or_a_verdict(
    pixels: bytes, fmt: str, cut: int, bundle: TrustBundle
) -> None:
    out = io.BytesIO()
    Image.frombytes("L", (48, 48), pixels).save(out, fmt)
    encoded = out.getvalue()
    for data in (encoded, encoded[: len(encoded) - cut]):
        verdict_or_no_qr(data, bundle)
