"""Benchmark: signing and verifying certificate tokens in-process, beside bare ``cryptography``.

Per algorithm (ES256, EdDSA), on one core: ``certs.tokens.sign_token`` and
``certs.tokens.verify_token`` on realistic claims (``bench.certdata``: 8,192 distinct
certificates, more than the 4,096 identifiers that ``certs.claims`` keeps parsed, cycled so
that every operation sees a certificate it has not just seen), beside the bare primitive
over the same signing inputs: ``ec.ECDSA(hashes.SHA256())`` on P-256 (DER signatures, as the
library gives them) or Ed25519. The ratio is certs / raw: how much of the time the primitive
leaves to our encoding, checks and base64url. The service's per-token signature cache is
shown as well: a hit is what the verification endpoint pays for a token it has seen.

Each figure is the best of three ``time.perf_counter`` loops of at least a second each.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from approvals.services.signature_cache import SignatureCache
from bench import certdata
from bench.registry import Options, Row, benchmark
from certs.claims import CertificateClaims
from certs.keys import KeyAlgorithm, SigningKey, VerifyingKey
from certs.tokens import sign_token, verify_token

DISTINCT = 8_192
ROUNDS, MIN_SECONDS = 3, 1.0
CERTS, RAW = "certs", "raw cryptography"
_ECDSA = ec.ECDSA(hashes.SHA256())


def rate(op: Callable[[int], object], rounds: int = ROUNDS) -> tuple[float, float]:
    """(best, worst) operations per second of ``op(i)`` over ``rounds`` loops of >= 1 s."""
    rates = []
    for _ in range(rounds):
        done, start = 0, time.perf_counter()
        while True:
            for i in range(done, done + 256):
                op(i)
            done += 256
            elapsed = time.perf_counter() - start
            if elapsed >= MIN_SECONDS:
                break
        rates.append(done / elapsed)
    return max(rates), min(rates)


def _raw_ops(
    key: SigningKey, inputs: Sequence[bytes]
) -> tuple[Callable[[int], object], Callable[[int], object]]:
    """Bare sign and verify over the same bytes (ES256: DER signatures, no r || s)."""
    private, n = key.private_key, len(inputs)
    if isinstance(private, ed25519.Ed25519PrivateKey):
        public_ed = private.public_key()
        ed_signatures = [private.sign(data) for data in inputs]
        return (
            lambda i: private.sign(inputs[i % n]),
            lambda i: public_ed.verify(ed_signatures[i % n], inputs[i % n]),
        )
    public_ec = private.public_key()
    der = [private.sign(data, _ECDSA) for data in inputs]
    return (
        lambda i: private.sign(inputs[i % n], _ECDSA),
        lambda i: public_ec.verify(der[i % n], inputs[i % n], _ECDSA),
    )


def _row(alg: str, what: str, best_worst: tuple[float, float], raw: float | None = None) -> Row:
    best, worst = best_worst
    ratio = best / raw if raw else None
    return Row(alg, what, 0, best, 1e6 / best, 1e6 / worst, 0, ratio)


def measure(alg: KeyAlgorithm, claims: Sequence[CertificateClaims]) -> list[Row]:
    key = certdata.signing_key(alg)
    published: dict[str, Sequence[VerifyingKey]] = {key.kid: [key.verifying_key()]}
    n = len(claims)
    tokens = [sign_token(c, key) for c in claims]
    inputs = [t.rsplit(".", 1)[0].encode("ascii") for t in tokens]
    raw_sign, raw_verify = _raw_ops(key, inputs)
    cache = SignatureCache(size=2 * n)
    for token in tokens:
        cache.verify(token, published.__getitem__)

    sign = rate(lambda i: sign_token(claims[i % n], key))
    sign_raw = rate(raw_sign)
    verify = rate(lambda i: verify_token(tokens[i % n], published))
    verify_raw = rate(raw_verify)
    hit = rate(lambda i: cache.verify(tokens[i % n], published.__getitem__))
    label = f"{alg} ({len(tokens[0])}-character tokens)"
    return [
        _row(label, f"sign: {CERTS} sign_token", sign, sign_raw[0]),
        _row(label, f"sign: {RAW}", sign_raw),
        _row(label, f"verify: {CERTS} verify_token", verify, verify_raw[0]),
        _row(label, f"verify: {RAW}", verify_raw),
        replace(
            _row(label, "verify: service SignatureCache hit", hit, verify_raw[0]),
            notes=["sha256 of the token and a dict look-up: what a token seen before costs"],
        ),
    ]


def _summary(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        if row.path.startswith(("sign: certs", "verify: certs")) and row.ratio is not None:
            alg, what = row.engine.split(" ")[0], row.path.split(":")[0]
            extra = ", DER <-> r || s" if alg == KeyAlgorithm.ES256 else ""
            lines.append(
                f"{alg} {what}: {row.requests_per_s:,.0f}/s; {1 - row.ratio:.0%} of the time is "
                f"outside the primitive (JSON, claim checks, base64url{extra})."
            )
    return lines


@benchmark(
    "tokens",
    "Token signing and verification, in-process on one core",
    legend=(
        "ops/s: best of three loops of ≥ 1 s (time.perf_counter); µs/op of the best and of "
        "the worst loop; ratio = certs / raw cryptography on the same signing inputs (for "
        "the cache row: cache hit / raw verify).",
        f"{DISTINCT:,} distinct realistic certificates (bench/certdata.py), cycled: no "
        "identifier-parse or other per-content cache is warm by accident.",
        "ES256 raw: ec.ECDSA(SHA256) on P-256 with DER signatures; sign_token also converts "
        "DER to r || s (and verify back). EdDSA raw: Ed25519 sign/verify.",
    ),
    goal=_summary,
    header=("algorithm", "operation", "ops/s", "µs/op best", "µs/op worst", "errors", "ratio"),
)
def tokens(opts: Options) -> list[Row]:
    del opts  # nothing of the command line applies to an in-process loop
    claims = certdata.many_claims(DISTINCT)
    rows: list[Row] = []
    for alg in (KeyAlgorithm.ES256, KeyAlgorithm.EDDSA):
        rows += measure(alg, claims)
    return rows
