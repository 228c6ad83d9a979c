"""The requests: distinct valid credit codes, the filing body, the demo applicant's token.

The body is what ``tests/factories.py::hygiene_application`` builds (the same
form, the commitment signed over the published digest) with the credit code
left as a hole that the wrk script fills with a different code per request.
"""

from __future__ import annotations

import json
import random
import urllib.request
from typing import Any

from approvals.seed import demo_hygiene_form
from forms.credit_code import make_credit_code

PERMIT_CODE = "public_place_hygiene"
DEMO_USER = "applicant"
DEMO_PASSWORD = "Demo@2026"
# GB 32100 body characters (no I, O, S, V, Z); 91 = enterprise, 640100 = Yinchuan.
_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_HOLE = "\u0000HOLE\u0000"


def credit_codes(count: int, seed: int = 2026) -> list[str]:
    """``count`` distinct valid unified social credit codes (reproducible)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    codes: list[str] = []
    while len(codes) < count:
        code = make_credit_code("91640100" + "".join(rng.choices(_BODY, k=9)))
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def hygiene_form(credit_code: str) -> dict[str, Any]:
    """The demo hotel's complete, valid 公共场所卫生许可 form, with this credit code."""
    return demo_hygiene_form(unit_name="银川悦来酒店有限公司第1分店", credit_code=credit_code)


def application_body(credit_code: str, commitment_sha256: str) -> dict[str, Any]:
    return {
        "permit_code": PERMIT_CODE,
        "form": hygiene_form(credit_code),
        "commitment": {
            "accepted": True,
            "signer_name": "马建国",
            "text_sha256": commitment_sha256,
        },
    }


def body_pieces(commitment_sha256: str) -> list[str]:
    """The JSON body split where the credit code goes."""
    text = json.dumps(
        application_body(_HOLE, commitment_sha256), ensure_ascii=False, separators=(",", ":")
    )
    hole = json.dumps(_HOLE)[1:-1]  # as json.dumps wrote it
    pieces = text.split(hole)
    if len(pieces) < 2:
        raise AssertionError("the body template has no credit-code hole")
    return pieces


def _call(base_url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base_url + path, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def login(base_url: str) -> str:
    """A bearer token of the demo applicant, from the service's own login endpoint."""
    answer = _call(base_url, "/api/auth/login", {"username": DEMO_USER, "password": DEMO_PASSWORD})
    return str(answer["token"])


def commitment_digest(base_url: str) -> str:
    return str(_call(base_url, f"/api/catalogue/{PERMIT_CODE}")["commitment_text_sha256"])
