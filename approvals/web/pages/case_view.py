"""What every case page shows (applicant's and staff's): the case, its clocks and pauses,
its timeline in words, its certificates. Read through the same access check as the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from approvals.clock import SHANGHAI, local_date
from approvals.domain.people import Principal
from approvals.repository import certificates as cert_repo
from approvals.services.access import visible_application
from approvals.services.context import Services
from approvals.web.presenters import application_out, clocks_out, timeline_of
from approvals.web.schemas import ApplicationOut, TimelineEntry
from approvals.web.schemas_workflow import ClocksOut

# Audit actions in the words a case page uses.
ACTION_NAMES_ZH = {
    "application.submitted": "提交申请",
    "application.number": "分配办件编号",
    "application.accepted": "受理",
    "application.deemed_accepted": "逾期未处理，自收到申请之日起视为受理",
    "application.not_accepted": "不予受理",
    "application.correction_requested": "一次性告知补正",
    "application.resubmitted": "提交补正材料",
    "application.assigned": "分配承办人",
    "application.extended": "延长审批期限",
    "application.approved": "准予许可",
    "application.denied": "不予许可",
    "application.withdrawn": "撤回申请",
    "application.in_review": "进入审查",
    "application.inspection": "进入现场核查",
    "application.rectification": "限期整改",
    "application.awaiting_decision": "审查完毕，待决定",
    "review.decided": "出具审查意见",
    "review.escalated": "审查超时，提请科室负责人",
    "inspection.scheduled": "安排现场核查",
    "inspection.recorded": "记录现场核查结果",
    "inspection.completed": "现场核查完成",
    "inspection.rectification_ordered": "责令限期整改",
    "clock.paused": "暂停计时",
    "clock.resumed": "恢复计时",
    "commitment.accepted": "签署告知承诺书",
    "commitment.kept": "核查：承诺属实",
    "commitment.false": "核查：虚假承诺",
    "commitment.statement": "持证人陈述申辩",
    "certificate.issued": "颁发电子证照",
    "certificate.changed": "证照变更",
    "certificate.revoked": "撤销证照",
    "certificate.suspended": "暂停证照",
    "certificate.restored": "恢复证照",
    "certificate.cancelled": "注销证照",
    "material.uploaded": "上传材料",
    "supervision.claimed": "监管部门认领",
    "supervision.returned": "监管部门退回",
    "supervision.reassigned": "重新指派监管部门",
    "supervision.feedback": "监管部门反馈",
    "post_check.fulfilled": "事后核查：承诺已履行",
    "post_check.correction_ordered": "事后核查：责令限期改正",
}

CLOCK_STATE_ZH = {"on_time": "按时", "due_soon": "即将到期", "overdue": "已超期"}


@dataclass(frozen=True)
class TimelineItem:
    at: str  # local time, for people
    what: str
    actor: str
    reason: str


@dataclass(frozen=True)
class CaseView:
    case: ApplicationOut
    clocks: ClocksOut
    timeline: list[TimelineItem]

    @property
    def open_pause(self) -> Any:
        return next((p for p in self.clocks.pauses if p.ended_on is None), None)


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def timeline_items(entries: list[TimelineEntry]) -> list[TimelineItem]:
    return [
        TimelineItem(_local(e.at), ACTION_NAMES_ZH.get(e.action, e.action), e.actor_name, e.reason)
        for e in entries
    ]


async def case_view(
    services: Services, principal: Principal, application_id: uuid.UUID
) -> CaseView:
    """The case as the caller may see it (404 for someone else's case, as in the API)."""
    app = await visible_application(principal, application_id)
    certificates = await cert_repo.certificates_of_application(app.id)
    case = application_out(
        app,
        with_form=True,
        certificates=certificates,
        base_url=services.settings.base_url,
        today=local_date(services.clock.now()),
    )
    timeline = timeline_items(await timeline_of(app.id))
    return CaseView(case, await clocks_out(services, app), timeline)
