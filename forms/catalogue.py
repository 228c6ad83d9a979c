"""The permit catalogue: loading the TOML definitions, versioning them, and resolving bundles.

A permit type (事项) is data, not code: `forms/catalogue/<code>.toml` holds its form, materials,
notice and commitment letter, time limits and certificate style.  Adding a permit type means adding
a file; the structure is in `forms.model` and re-exported here.

Versioning: `definition_digest` hashes the canonical JSON of a definition, so the version an
application was filed under changes exactly when (and only when) the definition changes.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeAlias

import msgspec

from forms.checks import permit_type_problems
from forms.model import (
    Component,
    Condition,
    FieldKind,
    FieldSpec,
    InspectionItem,
    MaterialSpec,
    Option,
    PermitType,
    Reviewer,
    Route,
    TimeLimit,
)

__all__ = [
    "DEFAULT_DIRECTORY",
    "Catalogue",
    "CatalogueError",
    "Component",
    "Condition",
    "FieldKind",
    "FieldSpec",
    "InspectionItem",
    "MaterialSpec",
    "Option",
    "PermitType",
    "Reviewer",
    "Route",
    "TimeLimit",
    "commitment_text_digest",
    "definition_digest",
    "load_catalogue",
    "select_checklist",
    "select_components",
    "select_materials",
    "select_reviewers",
]

Catalogue: TypeAlias = Mapping[str, PermitType]

DEFAULT_DIRECTORY = Path(__file__).with_name("catalogue")


class CatalogueError(Exception):
    """A catalogue file that cannot be used; the message names the file and every problem."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(f"{path}: " + "; ".join(self.problems))


def load_catalogue(directory: Path | None = None) -> dict[str, PermitType]:
    """Every `*.toml` in `directory` (default: the seed catalogue), keyed by permit-type code.

    All-or-nothing: one bad file raises CatalogueError, because a half-loaded catalogue would
    silently hide a permit type from applicants.
    """
    directory = DEFAULT_DIRECTORY if directory is None else directory
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise CatalogueError(directory, ["no *.toml permit-type definitions found"])
    catalogue: dict[str, PermitType] = {}
    for path in paths:
        pt = _load_file(path)
        # the file name is how an administrator finds a type again; keep it equal to the code
        if pt.code != path.stem:
            raise CatalogueError(path, [f"code {pt.code!r} differs from the file name"])
        catalogue[pt.code] = pt
    return catalogue


def _load_file(path: Path) -> PermitType:
    try:
        pt = msgspec.toml.decode(path.read_bytes(), type=PermitType)
    except (OSError, msgspec.DecodeError) as exc:
        raise CatalogueError(path, [str(exc)]) from exc
    problems = permit_type_problems(pt)
    if problems:
        raise CatalogueError(path, problems)
    return pt


def definition_digest(pt: PermitType) -> str:
    """SHA-256 (hex) of the definition's canonical JSON: the catalogue version of `pt`."""
    return hashlib.sha256(msgspec.json.encode(pt, order="deterministic")).hexdigest()


def commitment_text_digest(pt: PermitType) -> str:
    """SHA-256 (hex) of the commitment letter as UTF-8 in NFC.

    The applicant's client computes the same digest over the text it displayed and sends it with
    the signature; a mismatch means the applicant signed some other text.
    """
    text = unicodedata.normalize("NFC", pt.commitment_text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def select_components(pt: PermitType, values: Mapping[str, object]) -> list[Component]:
    """The components that apply, in definition order, given the *cleaned* form values."""
    return [c for c in pt.components if c.when is None or c.when.holds(values)]


def select_materials(pt: PermitType, components: Sequence[Component]) -> list[MaterialSpec]:
    """The upload slots to show: general ones, and those used by at least one applying component."""
    codes = {c.code for c in components}
    return [m for m in pt.materials if not m.components or codes.intersection(m.components)]


def select_checklist(pt: PermitType, components: Sequence[Component]) -> list[InspectionItem]:
    """The inspection items for these components (general items always apply)."""
    codes = {c.code for c in components}
    return [i for i in pt.checklist if i.component is None or i.component in codes]


def select_reviewers(pt: PermitType, components: Sequence[Component]) -> list[Reviewer]:
    """The parallel reviewers whose opinion is needed for these components."""
    codes = {c.code for c in components}
    return [r for r in pt.reviewers if r.component is None or r.component in codes]
