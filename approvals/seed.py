"""Reference data (departments, issuers, keys, catalogue) and the demo accounts.

Everything here is idempotent: ``approvals setup`` may run on every start.
The demo region is Yinchuan (银川市, admin division 640100), whose plan is the
heart of the product brief.
"""

from __future__ import annotations

from dataclasses import dataclass

from approvals.clock import Clock
from approvals.config import Settings
from approvals.domain.events import DomainEvent
from approvals.domain.people import Role
from approvals.persistence.transactions import transaction
from approvals.repository import accounts
from approvals.repository import certificates as cert_repo
from approvals.services.audit_log import append_to_chain
from approvals.services.auth import hash_password
from approvals.services.calendar import CalendarService, seed_from_chinesecalendar
from approvals.services.catalogue import publish_definitions
from approvals.services.keyring import CERTIFICATE, TRUST_LIST, KeyRing
from approvals.tables import Issuer
from forms.catalogue import load_catalogue

DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("health_approval", "市审批服务管理局卫生健康审批处", "approval"),
    ("medical_administration", "医政医管科", "review"),
    ("radiation_health", "放射卫生科", "review"),
    ("pharmacy_administration", "药政科", "review"),
    ("maternal_child_health", "妇幼健康科", "review"),
    ("health_informatics", "规划信息科", "review"),
    ("health_inspection", "市卫生健康综合监督执法局", "supervision"),
    ("market_regulation", "市市场监督管理局", "supervision"),
    ("medical_insurance", "市医疗保障局", "supervision"),
)

# code, name, unified social credit code (valid GB 32100 check character), jurisdiction
ISSUERS: tuple[tuple[str, str, str, str], ...] = (
    ("yinchuan_approval", "银川市审批服务管理局", "11640100MB1234567N", "640100"),
)

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - printed for the demo on purpose


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    roles: frozenset[Role]
    department: str | None = None
    org_name: str = ""
    org_credit_code: str = ""
    phone: str = ""


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "applicant",
        "申请人（银川悦来酒店有限公司）",
        frozenset({Role.APPLICANT}),
        org_name="银川悦来酒店有限公司",
        org_credit_code="91640100MA76XK2P0C",
        phone="13895000001",
    ),
    DemoUser("window", "窗口受理人员 王芳", frozenset({Role.WINDOW_STAFF}), "health_approval"),
    DemoUser(
        "reviewer",
        "审查人员 李强（医政医管）",
        frozenset({Role.REVIEWER}),
        "medical_administration",
    ),
    DemoUser("inspector", "勘验人员 张伟", frozenset({Role.INSPECTOR}), "medical_administration"),
    # The other departments of the 开办医疗机构 bundle (X-ray → radiation health,
    # narcotics → pharmacy administration) and the head a late opinion escalates to.
    DemoUser(
        "reviewer_rad", "审查人员 孙丽（放射卫生）", frozenset({Role.REVIEWER}), "radiation_health"
    ),
    DemoUser(
        "inspector_rad",
        "勘验人员 周杰（放射卫生）",
        frozenset({Role.INSPECTOR}),
        "radiation_health",
    ),
    DemoUser(
        "reviewer_pharm",
        "审查人员 吴静（药政管理）",
        frozenset({Role.REVIEWER}),
        "pharmacy_administration",
    ),
    DemoUser(
        "inspector_pharm",
        "勘验人员 郑浩（药政管理）",
        frozenset({Role.INSPECTOR}),
        "pharmacy_administration",
    ),
    DemoUser(
        "head_medical",
        "科室负责人 钱进（医政医管）",
        frozenset({Role.DEPARTMENT_HEAD}),
        "medical_administration",
    ),
    DemoUser("decider", "审批负责人 陈敏", frozenset({Role.DECISION_MAKER}), "health_approval"),
    DemoUser(
        "supervisor", "监管人员 刘洋（卫生监督）", frozenset({Role.SUPERVISOR}), "health_inspection"
    ),
    DemoUser("head", "科室负责人 赵磊", frozenset({Role.DEPARTMENT_HEAD}), "health_approval"),
    DemoUser("admin", "系统管理员", frozenset({Role.ADMIN}), "health_approval"),
)


def demo_hygiene_form(**overrides: object) -> dict[str, object]:
    """A complete, valid 公共场所卫生许可 form for a hotel (tests, benchmarks, the README)."""
    form: dict[str, object] = {
        "unit_name": "银川悦来酒店有限公司",
        "credit_code": "91640100MA76XK2P0C",
        "legal_representative": "马建国",
        "legal_representative_id": "640104198001010013",
        "contact_name": "马建国",
        "contact_phone": "13895000001",
        "district": "jinfeng",
        "premises_address": "宁夏回族自治区银川市金凤区北京中路168号",
        "floor_area": "1250.5",
        "staff_count": 35,
        "hygiene_manager": "李娟",
        "permit_items": ["accommodation"],
        "room_count": 120,
        "has_central_air_conditioning": True,
        "has_secondary_water_supply": False,
    }
    form.update(overrides)
    return form


async def seed_reference_data(settings: Settings, clock: Clock) -> None:
    now = clock.now()
    async with transaction():
        for code, name, kind in DEPARTMENTS:
            await accounts.upsert_department(code, name, kind, now)
        for code, name, credit_code, jurisdiction in ISSUERS:
            if not await Issuer.exists().where(Issuer.code == code):
                await Issuer.insert(
                    Issuer(code=code, name=name, credit_code=credit_code, jurisdiction=jurisdiction)
                )
        published = await publish_definitions(load_catalogue(), now)
    for code, version in published.items():
        print(f"catalogue: published {code} v{version}")
    await ensure_signing_keys(settings, clock)
    years = await seed_from_chinesecalendar(CalendarService(), clock.now())
    if years:
        print(f"calendar: loaded holiday schedules for {years[0]}–{years[-1]}")


async def ensure_signing_keys(settings: Settings, clock: Clock) -> None:
    """On first set-up give every issuer an active certificate key, and the deployment a
    trust-list key (held by the first issuer). Rotation later is ``approvals keys``."""
    rows = await cert_repo.signing_key_rows()
    active = {(r["purpose"], r["issuer"]) for r in rows if r["state"] == "active"}
    ring = KeyRing(settings.secret)
    wanted = [(CERTIFICATE, code) for code, *_ in ISSUERS] + [(TRUST_LIST, ISSUERS[0][0])]
    for purpose, code in wanted:
        if (purpose, code) not in active and not (
            purpose == TRUST_LIST and any(p == TRUST_LIST for p, _ in active)
        ):
            async with transaction():
                kid = await ring.create_key(code, clock.now(), state="active", purpose=purpose)
            print(f"keys: created and activated {purpose} key {kid} ({code})")


async def seed_demo_users(clock: Clock, password_hash: str | None = None) -> list[str]:
    """Create the demo accounts that do not exist yet; returns the usernames created."""
    created = []
    hashed = password_hash or hash_password(DEMO_PASSWORD)
    for user in DEMO_USERS:
        if await accounts.account_by_username(user.username) is not None:
            continue
        async with transaction():
            account_id = await accounts.insert_account(
                username=user.username,
                display_name=user.display_name,
                password_hash=hashed,
                roles=user.roles,
                department=user.department,
                org_name=user.org_name,
                org_credit_code=user.org_credit_code,
                phone=user.phone,
                at=clock.now(),
            )
            await append_to_chain(
                f"account:{account_id}",
                [
                    DomainEvent(
                        "account.created",
                        clock.now(),
                        "system",
                        data={
                            "username": user.username,
                            "roles": sorted(r.value for r in user.roles),
                        },
                    )
                ],
                actor_id="",
                actor_name="系统初始化",
                target_type="account",
                target_id=str(account_id),
            )
        created.append(user.username)
    return created
