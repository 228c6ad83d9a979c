"""The legal deadlines that act by themselves.

Intake silence becomes acceptance (art. 32), a co-review past its limit goes to
the department head, and an unclaimed supervision item is reminded, escalated and
pressed from above (督办). Both sweeps re-read each case under its row lock, so every
process may run them, as often as it likes, and a restart never fires one twice.
"""

from __future__ import annotations

from approvals.services import intake, post_checks, review, supervision
from approvals.services.context import Services


async def run_deadline_sweeps(services: Services) -> dict[str, int]:
    return {
        "deemed_accepted": await intake.accept_overdue_intakes(services),
        "reviews_escalated": await review.escalate_overdue_reviews(services),
        **{
            f"items_{mark}": count
            for mark, count in (await supervision.sweep_unclaimed(services)).items()
        },
        "post_checks_late": await post_checks.sweep_late(services),
    }
