"""The offline verifier: what an inspector's phone says about a licence without a network.

It checks a certificate token (:mod:`certs.tokens`) against trust data fetched earlier: the
pinned anchor, the signed trust list (:mod:`certs.trust_list`) and each issuer's status list
(:mod:`certs.status_list`). The answer separates *genuine* (a key the trust list accepts for
this issuer signed it) from *valid* (genuine, in force today, not revoked, suspended or
superseded), and says *unknown* rather than guess when the data on the device cannot tell.

The trust data on the device is a :class:`~certs.trust_bundle.TrustBundle`, loaded from a
directory by :mod:`certs.trust_bundle`; photos are read by :mod:`certs.qr_reader`. Both modules'
names are re-exported here, where they began.

Verdicts and reasons (``OfflineVerdict.verdict`` / ``.reason``)
    ``valid``        ``valid``, or ``trust_list_stale`` when the trust list is past next_update
    ``not_valid``    ``revoked``, ``suspended``, ``superseded``, ``expired`` (``vu`` before today
                     in China), ``not_yet_valid`` (first day of validity after today)
    ``not_genuine``  ``malformed``, ``too_long``, ``unsupported_alg``, ``unknown_key``,
                     ``alg_mismatch``, ``bad_signature``, ``wrong_issuer`` (another issuer's key)
    ``unknown``      ``bad_claims``, ``revoked_key``, ``not_yet_valid_key``,
                     ``signed_after_retirement``, ``no_status_reference``, ``no_status_list``,
                     ``status_list_invalid``, ``status_list_stale``, ``index_beyond_list``,
                     ``unknown_status``
A revoked, suspended or superseded status outranks expiry, and expiry outranks an unknown status
(an expired licence is not valid whatever its status says).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, TypeAlias

from certs.claims import SHANGHAI, CertificateClaims, parse_day
from certs.qr import digits_to_token, token_from_url
from certs.qr_reader import MAX_IMAGE_BYTES as MAX_IMAGE_BYTES
from certs.qr_reader import MAX_IMAGE_PIXELS as MAX_IMAGE_PIXELS
from certs.qr_reader import NoQrFound as NoQrFound
from certs.qr_reader import read_qr_from_image as read_qr_from_image
from certs.status_list import INVALID, SUPERSEDED, SUSPENDED
from certs.tokens import MAX_TOKEN_LENGTH, TokenInvalid, verify_token
from certs.tokens import MESSAGES as TOKEN_MESSAGES
from certs.trust_bundle import ANCHOR_FILE as ANCHOR_FILE
from certs.trust_bundle import FETCHED_FILE as FETCHED_FILE
from certs.trust_bundle import STATUS_DIR as STATUS_DIR
from certs.trust_bundle import TRUST_LIST_FILE as TRUST_LIST_FILE
from certs.trust_bundle import TrustBundle as TrustBundle
from certs.trust_bundle import TrustBundleInvalid as TrustBundleInvalid
from certs.trust_bundle import build_trust_bundle as build_trust_bundle
from certs.trust_bundle import load_trust_bundle as load_trust_bundle
from certs.trust_bundle import save_trust_bundle as save_trust_bundle

# A verification URL is the prefix plus two digits a token character.
MAX_INPUT_CHARS: Final = 2 * MAX_TOKEN_LENGTH + 1024

Verdict: TypeAlias = Literal["valid", "not_valid", "not_genuine", "unknown"]
_STATUS_REASONS: Final = {INVALID: "revoked", SUSPENDED: "suspended", SUPERSEDED: "superseded"}
_RECHECK: Final = ("请联网核验。", " Please check online.")
# Status-unknown reasons below are fragments that follow this prefix.
_GENUINE_BUT: Final = (
    "证照为真，但无法确认当前状态：",
    "This licence is genuine, but its current status cannot be confirmed: ",
)
MESSAGES: Final[Mapping[str, tuple[str, str]]] = {
    **{str(reason): texts for reason, texts in TOKEN_MESSAGES.items()},
    "valid": ("证照真实有效。", "This licence is genuine and valid."),
    "trust_list_stale": (
        "证照真实有效，但本机核验数据已过更新期限，请尽快联网更新。",
        "This licence is genuine and valid, but this device's trust data is out of date.",
    ),
    "revoked": (
        "证照为真，但已被撤销、吊销或注销，不再有效。",
        "This licence is genuine but has been revoked or cancelled.",
    ),
    "suspended": ("证照为真，但目前处于暂扣状态。", "This licence is genuine but is suspended."),
    "superseded": (
        "证照为真，但已被新版本取代，请联网查看现行版本。",
        "This licence is genuine but has been replaced by a newer version; check online.",
    ),
    "expired": ("证照为真，但已超过有效期。", "This licence is genuine but has expired."),
    "not_yet_valid": ("证照为真，但尚未生效。", "This licence is genuine but not yet in force."),
    "wrong_issuer": (
        "签名密钥不属于证照上的发证机关，证照不可信。",
        "It was signed with a key that does not belong to the authority named on it.",
    ),
    "revoked_key": (
        "签发密钥已被吊销，无法确认真伪。",
        "It was signed with a key that has been revoked; it cannot be confirmed.",
    ),
    "not_yet_valid_key": (
        "签发密钥在本机核验数据中尚未启用，无法确认真伪。",
        "It was signed with a key this device's trust data does not show in use yet.",
    ),
    "signed_after_retirement": (
        "签发时间晚于签发密钥的停用时间，无法确认真伪。",
        "It was signed after its signing key had been retired; it cannot be confirmed.",
    ),
    "no_status_reference": ("证照未载明状态清单。", "the licence names no status list."),
    "no_status_list": ("本机没有其发证机关的状态清单。", "this device has no status list for it."),
    "status_list_invalid": ("本机的状态清单无效。", "the status list on this device is invalid."),
    "status_list_stale": ("本机的状态清单已过期。", "the status list on this device has expired."),
    "index_beyond_list": (
        "证照晚于本机的状态清单签发。",
        "it was issued after the status list on this device.",
    ),
    "unknown_status": ("状态值无法识别。", "the status value is not recognised."),
}


@dataclass(frozen=True)
class OfflineVerdict:
    genuine: bool
    verdict: Verdict
    reason: str
    zh: str
    en: str
    claims: CertificateClaims | None  # only when genuine: never display a forger's text
    status: int | None
    trust_age_seconds: int
    trust_note_zh: str
    trust_note_en: str
    warnings: tuple[str, ...] = ()  # trust_list_stale, status_list_refresh_due


def token_from_input(source: str | bytes) -> str:
    """The token in a bare token, a verification URL, its digits, or an image's QR code.

    ValueError for text that cannot hold a token; NoQrFound for bytes that are not text and
    hold no readable QR code.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        text = _as_text(data)
        if text is None:
            text = read_qr_from_image(data)
    else:
        text = source
    if len(text) > MAX_INPUT_CHARS:
        raise _TooLong(f"{len(text)} characters")
    text = text.strip()
    if "/V/" in text.upper():
        return token_from_url(text)
    if text.isascii() and text.isdigit():
        return digits_to_token(text)
    return text


def verify_offline(source: str | bytes, bundle: TrustBundle, *, now: int) -> OfflineVerdict:
    """Check a scanned code against ``bundle`` at ``now`` (Unix seconds).

    Returns a verdict for any input whatsoever, except image bytes in which no QR code can be
    read: those raise NoQrFound, whose zh/en ask for a better photo.
    """
    ctx = _Context(now - bundle.fetched_at, bundle.trust_list.is_stale(now))
    try:
        token = token_from_input(source)
        verified = verify_token(token, bundle.trust_list.keys_for)
    except NoQrFound:  # the photo, not the licence, is the problem: ask for a better one
        raise
    except _TooLong:
        return ctx.verdict("not_genuine", "too_long")
    except TokenInvalid as exc:  # bad_claims: our key signed it, but it cannot be read
        return ctx.verdict("unknown" if exc.reason == "bad_claims" else "not_genuine", exc.reason)
    except ValueError:
        return ctx.verdict("not_genuine", "malformed")
    claims = verified.claims
    entry = bundle.trust_list.entry_for(verified.key)
    if entry is None or entry.issuer != claims.issuer_code:
        return ctx.verdict("not_genuine", "wrong_issuer")
    problem = entry.signing_problem(claims.issued_at)
    if problem is not None:
        return ctx.verdict("unknown", problem)
    status, unknown, extra = _status(claims, bundle, now)
    today = datetime.fromtimestamp(now, SHANGHAI).date()
    genuine = _Genuine(claims, status, extra)
    if status in _STATUS_REASONS:
        return ctx.verdict("not_valid", _STATUS_REASONS[status], genuine)
    if claims.valid_until is not None and parse_day("vu", claims.valid_until) < today:
        return ctx.verdict("not_valid", "expired", genuine)
    if parse_day("vf", claims.starts) > today:
        return ctx.verdict("not_valid", "not_yet_valid", genuine)
    if unknown is not None:
        return ctx.verdict("unknown", unknown, genuine)
    return ctx.verdict("valid", "trust_list_stale" if ctx.stale else "valid", genuine)


@dataclass(frozen=True)
class _Genuine:
    claims: CertificateClaims
    status: int | None
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Context:
    age: int
    stale: bool

    def verdict(self, v: Verdict, reason: str, genuine: _Genuine | None = None) -> OfflineVerdict:
        zh, en = MESSAGES[reason]
        if genuine is not None and v == "unknown":
            zh, en = _GENUINE_BUT[0] + zh, _GENUINE_BUT[1] + en
        if v == "unknown" and reason != "bad_claims":
            zh, en = zh + _RECHECK[0], en + _RECHECK[1]
        flags = ("trust_list_stale",) if self.stale else ()
        note_zh, note_en = _trust_note(self.age, stale=self.stale)
        return OfflineVerdict(
            genuine=genuine is not None,
            verdict=v,
            reason=reason,
            zh=zh,
            en=en,
            claims=genuine.claims if genuine else None,
            status=genuine.status if genuine else None,
            trust_age_seconds=self.age,
            trust_note_zh=note_zh,
            trust_note_en=note_en,
            warnings=flags + (genuine.warnings if genuine else ()),
        )


def _status(
    claims: CertificateClaims, bundle: TrustBundle, now: int
) -> tuple[int | None, str | None, tuple[str, ...]]:
    """(status value, reason it is unknown or None, warnings) from the issuer's list."""
    ref, code = claims.status_list, claims.issuer_code
    if ref is None:
        return None, "no_status_reference", ()
    problem = bundle.status_problems.get(code)
    if problem is not None:
        return None, "status_list_stale" if problem == "expired" else "status_list_invalid", ()
    issuer = bundle.trust_list.issuer(code)
    token = bundle.status_lists.get(code)
    if token is None or issuer is None or token.uri != (ref.uri or issuer.status_list):
        return None, "no_status_list", ()
    if token.is_expired(now):
        return None, "status_list_stale", ()
    if ref.idx >= len(token.array):
        return None, "index_beyond_list", ()
    value = token.array.get(ref.idx)
    extra = ("status_list_refresh_due",) if token.is_refresh_due(now) else ()
    return value, None if value <= SUPERSEDED else "unknown_status", extra


def _trust_note(age: int, *, stale: bool) -> tuple[str, str]:
    if age < 0:
        return "核验数据晚于本机时间，请检查设备时间", "trust data is newer than this device clock"
    if age < 60:
        zh, en = "核验数据刚刚更新", "trust data was just updated"
    else:
        count, unit_zh, unit_en = next(
            (age // size, zh, en) for from_age, size, zh, en in _AGE_UNITS if age >= from_age
        )
        unit_en += "" if count == 1 else "s"
        zh, en = f"核验数据更新于 {count} {unit_zh}前", f"trust data is {count} {unit_en} old"
    if stale:
        return zh + "，已过更新期限", en + ", past its update date"
    return zh, en


# (from this age, count in units of, zh, en): hours up to two days read better than "1 day"
_AGE_UNITS: Final = (
    (2 * 86_400, 86_400, "天", "day"),
    (3_600, 3_600, "小时", "hour"),
    (60, 60, "分钟", "minute"),
)


class _TooLong(ValueError):
    pass


def _as_text(data: bytes) -> str | None:
    webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")) or webp:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
