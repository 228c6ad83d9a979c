"""The automatic checks of the notice-and-commitment route (告知承诺, PRODUCT.md §3.1).

If every check passes the permit is issued in the same request with no staff
involved; if any fails the applicant is told every failed check at once, so a
single correction is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from approvals.domain.errors import DomainError, ErrorKind, Problem


@dataclass(frozen=True)
class CreditBar:
    """An active credit record (失信记录) that bars the commitment route."""

    reason: str
    barred_until: date | None  # None: until lifted by an administrator


@dataclass(frozen=True)
class CheckResult:
    code: str
    name_zh: str
    passed: bool
    problems: list[Problem] = field(default_factory=list)


def check_form(problems: Sequence[Problem]) -> CheckResult:
    return CheckResult("form_complete", "申请表填写完整、格式正确", not problems, list(problems))


def check_materials(missing: Sequence[tuple[str, str]]) -> CheckResult:
    return CheckResult(
        "materials_complete",
        "必需材料齐全",
        not missing,
        [
            Problem(
                "material_missing",
                f"缺少必需材料「{name}」，请上传后再提交。",
                f"The required material '{slot}' is missing; upload it and submit again.",
                f"materials.{slot}",
            )
            for slot, name in missing
        ],
    )


def check_credit_code(
    field_name: str, reason: str | None, *, reported: bool = False
) -> CheckResult:
    """A separate check from form validation: it names the GB 32100 rule itself.

    ``reported``: the form check already explained the problem with this field, so
    the check fails without repeating it.
    """
    if reported:
        return CheckResult("credit_code_valid", "统一社会信用代码有效", False)
    problems = []
    if reason is not None:
        problems.append(
            Problem(
                f"credit_code_{reason}",
                "统一社会信用代码无效（不符合 GB 32100 编码规则），请核对营业执照。",
                "The unified social credit code is not valid under GB 32100; check the "
                "business licence.",
                f"form.{field_name}",
            )
        )
    return CheckResult("credit_code_valid", "统一社会信用代码有效", not problems, problems)


def check_commitment(signed_digest: str, expected_digest: str, accepted: bool) -> CheckResult:
    problems = []
    if not accepted:
        problems.append(
            Problem(
                "commitment_not_accepted",
                "请阅读告知书并勾选同意承诺后再提交。",
                "Read the notice and accept the commitment before submitting.",
                "commitment.accepted",
            )
        )
    elif signed_digest != expected_digest:
        problems.append(
            Problem(
                "commitment_text_changed",
                "承诺书内容已更新，请重新阅读并签署最新版本。",
                "The commitment letter has changed; read and sign the current version.",
                "commitment.text_sha256",
            )
        )
    return CheckResult("commitment_signed", "已签署承诺书", not problems, problems)


def check_not_barred(bar: CreditBar | None) -> CheckResult:
    problems = []
    if bar is not None:
        until = f"{bar.barred_until:%Y年%m月%d日}" if bar.barred_until else "解除前"
        until_en = bar.barred_until.isoformat() if bar.barred_until else "it is lifted"
        problems.append(
            Problem(
                "commitment_barred",
                f"该主体因失信记录（{bar.reason}）在{until}前不得适用告知承诺方式，"
                "请改用一般程序申请。",
                f"This holder is barred from the commitment route until {until_en} by a credit "
                f"record ({bar.reason}); apply through the ordinary review procedure.",
                "form.credit_code",
            )
        )
    return CheckResult("not_barred", "未被限制适用告知承诺", not problems, problems)


def require_all_passed(results: Sequence[CheckResult]) -> None:
    failed = [r for r in results if not r.passed]
    if failed:
        names = "、".join(r.name_zh for r in failed)
        raise DomainError(
            ErrorKind.REFUSED,
            "automatic_checks_failed",
            f"自动核验未通过（{names}），请按提示逐项修改后重新提交。",
            f"{len(failed)} automatic check(s) failed: "
            + ", ".join(r.code for r in failed)
            + "; fix every listed problem and submit again.",
            problems=[p for r in failed for p in r.problems],
        )
