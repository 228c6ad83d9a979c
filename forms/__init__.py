"""The permit catalogue: permit types as data, their forms and materials, and form validation.

A pure library (msgspec and the standard library only): `approvals/` and `certs/` import it; it
imports neither, nor any web framework or ORM.

    forms.catalogue    load_catalogue, digests, bundle resolution (re-exports the model)
    forms.model        the Structs a catalogue file decodes into
    forms.checks       cross-checks run when a catalogue file loads
    forms.validation   validate_form and FieldProblem
    forms.cleaning     per-kind cleaning behind validate_form
    forms.messages     the Chinese and English problem sentences
    forms.credit_code  GB 32100 unified social credit codes
    forms.id_number    GB 11643 resident identity numbers
    forms/catalogue/   the seed permit types, one TOML file each
"""
