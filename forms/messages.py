"""What the applicant reads when a value is wrong: one sentence saying what and how to fix it.

Keys are "<code>" or "<code>.<variant>"; the code part is the machine-readable FieldProblem.code,
the variant picks a more precise sentence (a credit code of the wrong length reads differently from
one with a wrong check character).  Templates take {label} (the field's Chinese label), {name} (its
identifier, for the English text and for integrators) and the parameters of the problem.
"""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "not_a_form": (
        "提交的表单内容无法识别，请刷新页面后重新填写。",
        "The submitted form could not be read; reload the page and fill it in again.",
    ),
    "unknown_field": (
        "表单中没有「{name}」这一项，请刷新页面后按当前表单重新填写。",
        'The form has no field "{name}"; reload the page and fill in the current form.',
    ),
    "required": (
        "「{label}」为必填项，请填写或选择。",
        '"{label}" ({name}) is required; fill it in or choose an option.',
    ),
    "wrong_type": (
        "「{label}」的内容类型不正确，应为{expected_zh}，请重新填写。",
        '"{label}" ({name}) has the wrong type of value; it should be {expected_en}.',
    ),
    "control_chars": (
        "「{label}」含有不可见的控制字符，请删除后重新输入（建议直接键入，不要从其他文档粘贴）。",
        '"{label}" ({name}) contains invisible control characters; delete them and type the '
        "value again rather than pasting it.",
    ),
    "too_long": (
        "「{label}」最多{max}个字，现有{length}个字，请精简。",
        '"{label}" ({name}) may have at most {max} characters; it has {length}. Shorten it.',
    ),
    "too_short": (
        "「{label}」至少需要{min}个字，请填写完整。",
        '"{label}" ({name}) needs at least {min} characters; complete it.',
    ),
    "bad_format": (
        "「{label}」的格式不正确。{help}",
        '"{label}" ({name}) is not in the expected format. {help}',
    ),
    "bad_credit_code.length": (
        "「{label}」应为18位，现为{length}位，请核对营业执照上的统一社会信用代码。",
        '"{label}" ({name}) must have 18 characters, not {length}; copy the unified social '
        "credit code from the business licence.",
    ),
    "bad_credit_code.charset": (
        "「{label}」只能由数字和大写英文字母组成（不使用I、O、S、V、Z，第3至8位为数字），"
        "请核对营业执照上的代码。",
        '"{label}" ({name}) may contain only digits and capital letters other than I, O, S, V '
        "and Z, with digits in positions 3 to 8; check the code on the business licence.",
    ),
    "bad_credit_code.check_char": (
        "「{label}」的校验位不正确，请核对营业执照上的18位代码。",
        '"{label}" ({name}) has a wrong check character; compare it with the 18-character code '
        "on the business licence.",
    ),
    "bad_id_number.length": (
        "「{label}」应为18位居民身份证号码，现为{length}位，请核对。",
        '"{label}" ({name}) must be an 18-character resident identity number, not {length} '
        "characters.",
    ),
    "bad_id_number.charset": (
        "「{label}」前17位应为数字，最后一位为数字或X，请核对身份证。",
        '"{label}" ({name}) must be 17 digits followed by a digit or X; check the identity card.',
    ),
    "bad_id_number.birth_date": (
        "「{label}」中的出生日期（第7至14位）不是有效日期，请核对身份证。",
        '"{label}" ({name}) contains an impossible birth date (characters 7 to 14); check the '
        "identity card.",
    ),
    "bad_id_number.check_char": (
        "「{label}」的校验位不正确，请核对身份证上的18位号码。",
        '"{label}" ({name}) has a wrong check character; compare it with the 18-character number '
        "on the identity card.",
    ),
    "bad_phone": (
        "「{label}」不是有效的电话号码，请填写11位手机号码，或带区号的固定电话"
        "（如0951-1234567，分机号用“-”连接）。",
        '"{label}" ({name}) is not a valid phone number; enter an 11-digit mobile number or a '
        "landline with its area code (e.g. 0951-1234567, extension after a hyphen).",
    ),
    "bad_email": (
        "「{label}」不是有效的电子邮箱地址，请按 name@example.com 的格式填写。",
        '"{label}" ({name}) is not a valid e-mail address; use the form name@example.com.',
    ),
    "bad_date": (
        "「{label}」不是有效日期，请按“年-月-日”格式填写，如2026-03-01。",
        '"{label}" ({name}) is not a valid date; use year-month-day, e.g. 2026-03-01.',
    ),
    "future_date": (
        "「{label}」不能晚于今天（{today}），请核对。",
        '"{label}" ({name}) cannot be later than today ({today}).',
    ),
    "past_date": (
        "「{label}」不能早于今天（{today}），请核对。",
        '"{label}" ({name}) cannot be earlier than today ({today}).',
    ),
    "not_a_number.integer": (
        "「{label}」应为整数，请只填写阿拉伯数字。",
        '"{label}" ({name}) must be a whole number; enter digits only.',
    ),
    "not_a_number.decimal": (
        "「{label}」应为数字（可带小数点，如120.5），请只填写数字。",
        '"{label}" ({name}) must be a number such as 120.5; enter digits and a decimal point only.',
    ),
    "too_many_decimals": (
        "「{label}」最多保留{places}位小数，请修改。",
        '"{label}" ({name}) may have at most {places} decimal places.',
    ),
    "out_of_range.between": (
        "「{label}」应在{min}至{max}之间，请核对。",
        '"{label}" ({name}) must be between {min} and {max}.',
    ),
    "out_of_range.min": (
        "「{label}」不能小于{min}，请核对。",
        '"{label}" ({name}) must be at least {min}.',
    ),
    "out_of_range.max": (
        "「{label}」不能大于{max}，请核对。",
        '"{label}" ({name}) must be at most {max}.',
    ),
    "not_an_option": (
        "「{label}」中有不在可选列表中的选项，请从列表中重新选择。",
        '"{label}" ({name}) contains a value that is not one of its options; choose from the list.',
    ),
    "too_many_items": (
        "「{label}」最多可选{max}项，现选了{count}项，请减少。",
        '"{label}" ({name}) allows at most {max} choices; {count} were chosen.',
    ),
}

# what a field of each kind expects, for "wrong_type"
EXPECTED: Final[dict[str, tuple[str, str]]] = {
    "text": ("文字", "text"),
    "integer": ("整数", "a whole number"),
    "decimal": ("数字", "a number"),
    "boolean": ("“是”或“否”", "true or false"),
    "options": ("从列表中选择的一项或多项", "a list of option values"),
}


def render(key: str, **params: object) -> tuple[str, str]:
    """The Chinese and English sentences for `key`."""
    zh, en = MESSAGES[key]
    return zh.format(**params), en.format(**params)
