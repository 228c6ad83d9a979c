"""validate_form never raises, whatever JSON-like body it is given, and what it returns is safe."""

from __future__ import annotations

import datetime

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.catalogue import PermitType, load_catalogue
from forms.validation import FieldProblem, validate_form

CATALOGUE = load_catalogue()
FIELD_NAMES = sorted({spec.name for pt in CATALOGUE.values() for spec in pt.fields})
OPTION_VALUES = sorted(
    {option.value for pt in CATALOGUE.values() for spec in pt.fields for option in spec.options}
)

# JSON's scalars, plus strings near the shapes the validators look for, so the fuzz reaches past
# the type checks into the format checks
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from([*OPTION_VALUES, "true", "否", "2026-02-29", "1.005", "0951-5012345", ""])
    | st.from_regex(r"[0-9A-Za-z\-\. +]{0,24}", fullmatch=True)
)
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children),
    max_leaves=12,
)
forms = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), json_like, max_size=12)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(CATALOGUE)),
    forms,
    st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)),
)
def test_validate_form_never_raises_and_returns_storable_values(
    code: str, values: dict[str, object], today: datetime.date
) -> None:
    pt: PermitType = CATALOGUE[code]
    cleaned, problems = validate_form(pt, values, today=today)
    names = {spec.name for spec in pt.fields}
    assert set(cleaned) <= names
    assert all(isinstance(problem, FieldProblem) and problem.zh for problem in problems)
    # every field is either clean or has a problem, never both
    assert not set(cleaned) & {problem.field for problem in problems}
    # cleaned values survive JSON and UTF-8: no lone surrogates, no NaN
    assert msgspec.json.decode(msgspec.json.encode(cleaned)) == cleaned
    for problem in problems:
        problem.zh.encode("utf-8")
        problem.en.encode("utf-8")


@given(st.sampled_from(sorted(CATALOGUE)), json_like)
def test_validate_form_copes_with_a_body_that_is_not_an_object(code: str, body: object) -> None:
    cleaned, problems = validate_form(CATALOGUE[code], body, today=datetime.date(2026, 3, 2))  # type: ignore[arg-type]
    assert isinstance(cleaned, dict)
    assert isinstance(problems, list)
