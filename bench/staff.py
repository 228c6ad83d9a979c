"""``python -m bench.staff``: the review team of a benchmark database, printed as JSON.

Run in the server's environment (``DATABASE_URL`` / ``APPROVALS_DATA_DIR``) after
``approvals setup --demo``. A bundle filed with ``uses_narcotics`` needs a reviewer and an
inspector of medical administration, radiation health and pharmacy administration beside
the window and the decision maker. The demo users hold every desk (``reviewer_rad``,
``inspector_pharm`` … since the seed has them); a desk whose demo user is missing (an
older seed) gets an account created here as ``tests/factories.py::staff_account``
creates one (``insert_account`` with the demo password, argon2-hashed once),
idempotently. Prints one JSON object, ``{"<desk>": {"username": …, "id": …}}``, for every
desk of the review journey.
"""

from __future__ import annotations

import asyncio
import json

REVIEW_DEPARTMENTS = ("medical_administration", "radiation_health", "pharmacy_administration")
DEMO_DESKS = {
    "applicant": "applicant",
    "window": "window",
    "decider": "decider",
    "reviewer:medical_administration": "reviewer",
    "inspector:medical_administration": "inspector",
}
# Desks whose demo user came later: the demo username, else one made here.
LATER_DESKS = {
    f"{role}:{dept}": (demo, f"bench_{role}_{dept}", role, dept)
    for dept, suffix in (("radiation_health", "rad"), ("pharmacy_administration", "pharm"))
    for role in ("reviewer", "inspector")
    for demo in (f"{role}_{suffix}",)
}


async def _team() -> dict[str, dict[str, str]]:
    from approvals.clock import SystemClock
    from approvals.domain.people import Role
    from approvals.persistence.transactions import transaction
    from approvals.repository import accounts
    from approvals.seed import DEMO_PASSWORD
    from approvals.services.auth import hash_password

    team: dict[str, dict[str, str]] = {}
    for desk, username in DEMO_DESKS.items():
        found = await accounts.account_by_username(username)
        if found is None:
            raise SystemExit(f"demo user {username!r} missing: run `approvals setup --demo`")
        team[desk] = {"username": username, "id": str(found.id)}
    hashed = ""
    for desk, (demo, username, role, dept) in LATER_DESKS.items():
        found = await accounts.account_by_username(demo)
        if found is not None and found.department == dept:
            team[desk] = {"username": demo, "id": str(found.id)}
            continue
        found = await accounts.account_by_username(username)
        if found is None:
            hashed = hashed or hash_password(DEMO_PASSWORD)
            async with transaction():
                account_id = await accounts.insert_account(
                    username=username,
                    display_name=f"压测{role}（{dept}）",
                    password_hash=hashed,
                    roles=frozenset({Role(role)}),
                    department=dept,
                    org_name="",
                    org_credit_code="",
                    phone="",
                    at=SystemClock().now(),
                )
        else:
            account_id = found.id
        team[desk] = {"username": username, "id": str(account_id)}
    return team


async def _main() -> dict[str, dict[str, str]]:
    from approvals.persistence.engine import current_engine, start_engine, stop_engine

    engine = current_engine()
    await start_engine(engine, 2)
    try:
        return await _team()
    finally:
        await stop_engine(engine)


if __name__ == "__main__":
    print("BENCH_TEAM " + json.dumps(asyncio.run(_main())))
