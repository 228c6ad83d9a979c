"""Piccolo tables: the database schema and nothing else.

Rows become domain objects only in ``approvals.repository``. JSON payloads are
stored in JSONB columns but always written and read as msgspec-encoded text,
so both engines behave the same (PostgreSQL hands JSON back as ``str``).
Composite indexes (and composite unique constraints) are created by raw SQL in
the migration ``composite_indexes``: SQLite cannot add a table constraint after
``CREATE TABLE``, and an index means the same on both engines.
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    BigSerial,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Department(Table):
    code = Varchar(length=64, primary_key=True)
    name = Varchar(length=100)
    kind = Varchar(length=20, help_text="approval | review | supervision")
    created_at = Timestamptz()


class Issuer(Table):
    """An issuing authority; also holds its serial and status-list counters.

    One ``UPDATE … RETURNING`` on this row allocates both numbers of a new
    certificate, in a statement of its own (see
    ``repository.certificates.allocate_numbers_unless_barred``): never twice, but an
    issuance that fails afterwards leaves a gap.
    """

    code = Varchar(length=64, primary_key=True)
    name = Varchar(length=100)
    credit_code = Varchar(length=18, unique=True)
    jurisdiction = Varchar(length=12, help_text="admin-division code, e.g. 640100")
    last_serial = BigInt(default=0)
    last_status_index = BigInt(default=0)
    last_acceptance_no = BigInt(default=0, help_text="受理通知书 numbers, per issuer")


class Account(Table):
    id = UUID(primary_key=True)
    username = Varchar(length=64, unique=True)
    display_name = Varchar(length=100)
    password_hash = Varchar(length=200, secret=True)
    roles = Varchar(length=200, help_text="comma-separated role names")
    department = ForeignKey(Department, null=True, on_delete=OnDelete.restrict)
    org_name = Varchar(length=200, default="")
    org_credit_code = Varchar(length=18, default="")
    phone = Varchar(length=20, default="")
    is_active = Boolean(default=True)
    created_at = Timestamptz()


class LoginSession(Table):
    """A logged-in session; only the SHA-256 of its token is stored."""

    id = UUID(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    account = ForeignKey(Account, null=False, on_delete=OnDelete.restrict)
    kind = Varchar(length=10, help_text="cookie | bearer")
    csrf_token = Varchar(length=64)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class CatalogueEntry(Table):
    """One published version of a permit type's definition (forms.PermitType)."""

    code = Varchar(length=64)
    version = Integer()
    digest = Varchar(length=64)
    definition = JSONB()
    published_at = Timestamptz()
    is_current = Boolean(default=True)


class Application(Table):
    id = UUID(primary_key=True)
    number = Varchar(length=32, unique=True, help_text="办件编号 shown to people")
    permit_code = Varchar(length=64)
    catalogue_version = Integer()
    route = Varchar(length=20)
    status = Varchar(length=30)
    applicant = ForeignKey(Account, null=False, on_delete=OnDelete.restrict)
    holder_name = Varchar(length=200)
    holder_code = Varchar(length=18)
    form = JSONB()
    submitted_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    row_version = Integer(default=1, help_text="optimistic-concurrency counter")
    audit_seq = Integer(default=0, help_text="last audit entry in this case's chain")
    audit_head = Varchar(length=64, default="")
    updated_at = Timestamptz()
    department = Varchar(length=64, default="", help_text="the responsible department")
    assignee = Varchar(length=36, null=True, default=None, help_text="account id of the clerk")
    received_on = Date(null=True, default=None, help_text="day the complete filing arrived")
    accepted_on = Date(null=True, default=None)
    acceptance_no = Varchar(length=60, default="", help_text="受理通知书编号")
    promised_due = Date(null=True, default=None, help_text="承诺时限, pauses deducted")
    statutory_due = Date(null=True, default=None, help_text="法定时限, pauses and extension in")
    next_due = Date(null=True, default=None, help_text="the deadline staff work to now")
    due_provisional = Boolean(default=False, help_text="a deadline crosses an unscheduled year")
    extension_days = Integer(default=0)
    components = JSONB(default="[]", help_text="bundle components that apply")
    correction_items = JSONB(default="[]", help_text="the one-time correction notice")
    decision_reasons = Text(default="")


class CommitmentLetter(Table):
    """What the applicant signed, character for character, with its hash."""

    id = UUID(primary_key=True)
    application = ForeignKey(Application, null=False, unique=True, on_delete=OnDelete.restrict)
    text = Text()
    text_sha256 = Varchar(length=64)
    signer = ForeignKey(Account, null=False, on_delete=OnDelete.restrict)
    signer_name = Varchar(length=100)
    signed_at = Timestamptz()
    catalogue_version = Integer()


class Material(Table):
    """An uploaded file; the bytes live under the data directory by hash."""

    id = UUID(primary_key=True)
    owner = ForeignKey(Account, null=False, on_delete=OnDelete.restrict)
    sha256 = Varchar(length=64)
    size = BigInt()
    content_type = Varchar(length=100)
    filename = Varchar(length=255)
    uploaded_at = Timestamptz()


class ApplicationMaterial(Table):
    id = UUID(primary_key=True)
    application = ForeignKey(Application, null=False, on_delete=OnDelete.restrict)
    slot = Varchar(length=64)
    material = ForeignKey(Material, null=False, on_delete=OnDelete.restrict)


class SigningKey(Table):
    kid = Varchar(length=64, primary_key=True)
    issuer = ForeignKey(Issuer, null=False, on_delete=OnDelete.restrict)
    purpose = Varchar(
        length=20, default="certificate", help_text="certificate | trust_list (signs that list)"
    )
    alg = Varchar(length=10)
    public_jwk = JSONB()
    private_blob = Bytea(secret=True, help_text="AES-GCM under the master secret")
    state = Varchar(length=10, help_text="pending | active | retired | revoked")
    created_at = Timestamptz()
    activated_at = Timestamptz(null=True, default=None)
    retired_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revocation_reason = Text(default="")


class Certificate(Table):
    id = UUID(primary_key=True)
    identifier = Varchar(length=120, unique=True, help_text="GB/T 36904 identifier")
    number = Varchar(length=100)
    serial = BigInt()
    version = Integer()
    issuer = ForeignKey(Issuer, null=False, on_delete=OnDelete.restrict)
    permit_code = Varchar(length=64)
    application = ForeignKey(Application, null=False, on_delete=OnDelete.restrict)
    licence_name = Varchar(length=100)
    licence_type_code = Varchar(length=21)
    holder_name = Varchar(length=200)
    holder_code = Varchar(length=18)
    holder_code_type = Varchar(length=3)
    address = Varchar(length=300)
    items = JSONB()
    issued_at = Timestamptz()
    issue_date = Date()
    valid_from = Date()
    valid_until = Date(null=True, default=None)
    status = Varchar(length=20)
    status_reason = Text(default="")
    status_changed_at = Timestamptz()
    status_index = BigInt()
    kid = Varchar(length=64)
    token = Text()
    post_check_pending = Boolean(default=False)
    supersedes = Varchar(length=36, null=True, default=None)
    superseded_by = Varchar(length=36, null=True, default=None)
    components = JSONB(
        default="[]",
        help_text="combined licence (多证合一): [{code, name, licence_type_code, status, "
        "status_index, status_reason, status_changed_at}]",
    )


class StatusList(Table):
    """An issuer's token status list (IETF draft): 2 bits per certificate status index.

    Only changes are written: a new certificate's bits are 0 (valid) until its
    status changes, and that change updates this row in the same transaction.
    """

    issuer = ForeignKey(Issuer, null=False, on_delete=OnDelete.restrict, unique=True)
    bits = Bytea(help_text="the uncompressed status array")
    version = BigInt(default=0)
    updated_at = Timestamptz()


class TrustListState(Table):
    """The trust list's sequence number: it only grows, once per change of content."""

    seq = BigInt()
    digest = Varchar(length=64)
    issued_at = Timestamptz()


class Notification(Table):
    """A message to an account (the holder is told of every status change)."""

    id = UUID(primary_key=True)
    recipient = ForeignKey(Account, null=False, on_delete=OnDelete.restrict)
    subject = Varchar(length=120, help_text="what it is about, e.g. certificates/<id>")
    title = Varchar(length=200)
    body = Text()
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


class AuditEntry(Table):
    """One link of a hash chain; chains are per case (see approvals.domain.audit)."""

    id = BigSerial(primary_key=True)
    chain = Varchar(length=80)
    seq = Integer()
    prev_hash = Varchar(length=64)
    entry_hash = Varchar(length=64)
    at = Timestamptz()
    actor_id = Varchar(length=36, default="")
    actor_name = Varchar(length=100, default="")
    action = Varchar(length=60)
    target_type = Varchar(length=30)
    target_id = Varchar(length=64)
    reason = Text(default="")
    data = JSONB()


class AuditChainHead(Table):
    """Head of a chain that has no aggregate row to carry it (e.g. an account)."""

    chain = Varchar(length=80, primary_key=True)
    seq = Integer()
    entry_hash = Varchar(length=64)


class AuditSeal(Table):
    """A keyed digest over a block of audit entries, chained to the last seal."""

    id = BigSerial(primary_key=True)
    first_entry_id = BigInt()
    last_entry_id = BigInt()
    entry_count = Integer()
    entries_digest = Varchar(length=64)
    prev_seal_hash = Varchar(length=64)
    seal_hash = Varchar(length=64)
    sealed_at = Timestamptz()


class OutboxEvent(Table):
    """An event to deliver to supervision systems, written in the business transaction."""

    id = BigSerial(primary_key=True)
    event_id = UUID(unique=True, help_text="CloudEvents id; stable across retries")
    type = Varchar(length=80)
    subject = Varchar(length=120)
    partition_key = Varchar(length=64, help_text="events with one key are delivered in order")
    time = Timestamptz()
    data = JSONB()
    permit_code = Varchar(length=64, default="", help_text="the case's permit type; '' if none")
    fanned_out = Boolean(default=False, help_text="deliveries made for every subscription")
    # On PostgreSQL a raw column ``tx`` (the writing transaction's id, migration
    # ``event_feed``) orders the pull feed so that no committed event is ever skipped.


class CalendarDay(Table):
    """A statutory holiday or a make-up working day (调休上班), as published."""

    day = Date(unique=True)
    kind = Varchar(length=10, help_text="holiday | workday")
    name = Varchar(length=50, default="")
    year = Integer(index=True)


class CalendarYear(Table):
    """A year whose schedule is loaded; other years count weekends only (provisional)."""

    year = Integer(unique=True)
    loaded_at = Timestamptz()
    source = Varchar(length=30, help_text="chinesecalendar | admin")
    note = Text(default="")


class ClockPause(Table):
    """Time deducted from a case's clocks (行政许可法 art. 45; waiting for corrections)."""

    id = UUID(primary_key=True)
    application = ForeignKey(Application, null=False, on_delete=OnDelete.restrict)
    reason = Varchar(length=30)
    note = Text(default="")
    started_on = Date()
    ended_on = Date(null=True, default=None)
    started_by = Varchar(length=100)
    ended_by = Varchar(length=100, default="")


class ReviewTask(Table):
    """One department's or specialty's opinion in the parallel review."""

    id = UUID(primary_key=True)
    application = ForeignKey(Application, null=False, on_delete=OnDelete.restrict)
    department = ForeignKey(Department, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100)
    component = Varchar(length=64, default="")
    status = Varchar(length=20, help_text="pending | passed | failed | inspect")
    opinion = Text(default="")
    items = JSONB(default="[]", help_text="what the joint inspection should check")
    decided_by = Varchar(length=36, default="")
    decided_by_name = Varchar(length=100, default="")
    decided_at = Timestamptz(null=True, default=None)
    due_on = Date()
    escalated_at = Timestamptz(null=True, default=None)
    row_version = Integer(default=1)


class Inspection(Table):
    """The one joint on-site inspection (联合现场核查) of a case."""

    id = UUID(primary_key=True)
    application = ForeignKey(Application, null=False, unique=True, on_delete=OnDelete.restrict)
    scheduled_for = Timestamptz()
    place = Varchar(length=300)
    inspectors = JSONB(help_text="[{department, account_id, name}]")
    checklist = JSONB(help_text="[{code, text, department, component, result, note}]")
    signoffs = JSONB(default="{}", help_text="{department: {by, name, at}}")
    report = Text(default="")
    status = Varchar(length=20, help_text="scheduled | completed")
    outcome = Varchar(length=20, default="", help_text="passed | failed | rectification")
    rectification_due = Date(null=True, default=None)
    row_version = Integer(default=1)


class CreditRecord(Table):
    """失信记录: a breach of trust that bars the holder from the commitment route."""

    id = UUID(primary_key=True)
    holder_code = Varchar(length=18, index=True)
    holder_name = Varchar(length=200)
    reason = Text()
    recorded_at = Timestamptz()
    barred_until = Date(null=True, default=None)
    source = Varchar(length=100, default="")


class Subscription(Table):
    """A supervision department's endpoint: what it wants pushed, and how it is signed."""

    id = UUID(primary_key=True)
    department = ForeignKey(Department, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100)
    url = Varchar(length=500)
    event_types = JSONB(help_text="exact CloudEvents types or 'prefix.*' patterns")
    # The secrets in force, encrypted under the master secret: during a rotation the old
    # one signs beside the new one until it expires.
    secrets = Bytea()
    rate_limit_per_s = Integer(default=50)
    status = Varchar(length=10, default="active", help_text="active | disabled")
    disabled_reason = Varchar(length=300, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    row_version = Integer(default=1)


class Delivery(Table):
    """One event for one subscription: pending until a 2xx, or dead after the schedule."""

    id = BigSerial(primary_key=True)
    subscription = ForeignKey(Subscription, null=False, on_delete=OnDelete.restrict)
    event = BigInt(help_text="outbox_event.id")
    event_id = UUID(help_text="the CloudEvents id and webhook-id")
    partition_key = Varchar(length=64)
    status = Varchar(length=10, default="pending", help_text="pending | delivered | dead")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    lease_until = Timestamptz(null=True, default=None)
    leased_by = Varchar(length=64, default="")
    last_status = Integer(null=True, default=None)
    last_error = Varchar(length=500, default="")
    created_at = Timestamptz()
    delivered_at = Timestamptz(null=True, default=None)
    dead_at = Timestamptz(null=True, default=None)


class DeliveryAttempt(Table):
    """The attempts log: every request made for a delivery and what came of it."""

    id = BigSerial(primary_key=True)
    delivery = BigInt()
    attempt = Integer()
    at = Timestamptz()
    worker = Varchar(length=64)
    status_code = Integer(null=True, default=None)
    error = Varchar(length=500, default="")
    duration_ms = Integer()


class SupervisionItem(Table):
    """One approval event for one supervision department to claim, check and feed back on."""

    id = UUID(primary_key=True)
    event_id = UUID(help_text="the pushed event (CloudEvents id) this item is for")
    event_name = Varchar(length=60, help_text="e.g. certificate.issued")
    application = UUID()
    certificate = UUID(null=True, default=None)
    permit_code = Varchar(length=64)
    department = ForeignKey(Department, null=False, on_delete=OnDelete.restrict)
    title = Varchar(length=300)
    holder_name = Varchar(length=200, default="")
    status = Varchar(length=10, default="pending", help_text="pending|claimed|returned|closed")
    pushed_at = Timestamptz()
    claim_due = Date()
    claimed_by = Varchar(length=36, default="")
    claimed_by_name = Varchar(length=100, default="")
    claimed_at = Timestamptz(null=True, default=None)
    returned_reason = Varchar(length=500, default="")
    returned_at = Timestamptz(null=True, default=None)
    result = Varchar(length=30, default="", help_text="the follow-up's outcome, when closed")
    feedback = Text(default="")
    closed_at = Timestamptz(null=True, default=None)
    reminded_at = Timestamptz(null=True, default=None)
    escalated_at = Timestamptz(null=True, default=None)
    supervised_at = Timestamptz(null=True, default=None, help_text="督办: pressed from above")
    row_version = Integer(default=1)


class PostCheck(Table):
    """事后核查 of a commitment permit: whether what the holder committed to is true."""

    id = UUID(primary_key=True)
    application = UUID()
    certificate = UUID()
    holder_id = UUID(help_text="the applicant account, who may make a statement")
    holder_code = Varchar(length=18)
    holder_name = Varchar(length=200)
    permit_code = Varchar(length=64)
    department = ForeignKey(Department, null=False, on_delete=OnDelete.restrict)
    due_on = Date()
    status = Varchar(
        length=20,
        default="open",
        help_text="open|fulfilled|correction_ordered|statement_period|revoked|kept",
    )
    checked_by_name = Varchar(length=100, default="")
    finding = Text(default="")
    evidence = JSONB(default="[]", help_text="material ids")
    correction_due = Date(null=True, default=None)
    statement_due = Date(null=True, default=None)
    statement = Text(default="")
    statement_at = Timestamptz(null=True, default=None)
    decision_reasons = Text(default="")
    decided_at = Timestamptz(null=True, default=None)
    overdue_at = Timestamptz(
        null=True, default=None, help_text="when the sweep found it (or its correction) late"
    )
    created_at = Timestamptz()
    row_version = Integer(default=1)


ALL_TABLES: tuple[type[Table], ...] = (
    Department,
    Issuer,
    Account,
    LoginSession,
    CatalogueEntry,
    Application,
    CommitmentLetter,
    Material,
    ApplicationMaterial,
    SigningKey,
    Certificate,
    AuditEntry,
    AuditChainHead,
    AuditSeal,
    OutboxEvent,
    CreditRecord,
    StatusList,
    TrustListState,
    Notification,
    CalendarDay,
    CalendarYear,
    ClockPause,
    ReviewTask,
    Inspection,
    Subscription,
    Delivery,
    DeliveryAttempt,
    SupervisionItem,
    PostCheck,
)

# Columns made by raw SQL in a migration, that no table class declares (see there).
RAW_COLUMNS: dict[str, frozenset[str]] = {"outbox_event": frozenset({"tx"})}
