"""The persistent SQLite engine: one writer at a time, readers see only committed data."""

from __future__ import annotations

import asyncio
from pathlib import Path

from piccolo.columns import Integer, Varchar
from piccolo.table import Table

from approvals.persistence.sqlite_engine import PersistentSQLiteEngine


def make_table(engine: PersistentSQLiteEngine) -> type[Table]:
    class Counter(Table, tablename="counter", db=engine):
        name = Varchar(length=20)
        value = Integer()

    return Counter


async def setup(tmp_path: Path) -> tuple[PersistentSQLiteEngine, type[Table]]:
    engine = PersistentSQLiteEngine(path=str(tmp_path / "t.sqlite3"))
    counter = make_table(engine)
    await counter.create_table()
    await counter.insert(counter(name="c", value=0))
    return engine, counter


async def test_concurrent_read_modify_write_transactions_never_lose_an_update(
    tmp_path: Path,
) -> None:
    engine, counter = await setup(tmp_path)

    async def increment() -> None:
        async with engine.transaction():
            rows = await counter.select(counter.value).where(counter.name == "c")
            await asyncio.sleep(0)  # let every other task try to interleave here
            await counter.update({counter.value: rows[0]["value"] + 1}).where(counter.name == "c")

    await asyncio.gather(*(increment() for _ in range(50)))
    assert (await counter.select(counter.value))[0]["value"] == 50
    engine.close()


async def test_an_open_transaction_is_invisible_to_readers_until_it_commits(tmp_path: Path) -> None:
    engine, counter = await setup(tmp_path)
    seen_during: list[int] = []
    entered = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with engine.transaction():
            await counter.update({counter.value: 7}).where(counter.name == "c")
            entered.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await entered.wait()
    seen_during.append((await counter.select(counter.value))[0]["value"])
    release.set()
    await task
    assert seen_during == [0]
    assert (await counter.select(counter.value))[0]["value"] == 7
    engine.close()


async def test_a_failed_transaction_rolls_back_and_frees_the_writer(tmp_path: Path) -> None:
    engine, counter = await setup(tmp_path)
    try:
        async with engine.transaction():
            await counter.update({counter.value: 99}).where(counter.name == "c")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert not engine.write_lock.locked()
    assert (await counter.select(counter.value))[0]["value"] == 0
    async with engine.transaction():
        await counter.update({counter.value: 1}).where(counter.name == "c")
    assert (await counter.select(counter.value))[0]["value"] == 1
    engine.close()


async def test_a_write_outside_a_transaction_waits_for_the_open_one(tmp_path: Path) -> None:
    engine, counter = await setup(tmp_path)
    order: list[str] = []
    entered = asyncio.Event()

    async def long_transaction() -> None:
        async with engine.transaction():
            entered.set()
            await asyncio.sleep(0.05)
            await counter.update({counter.value: 1}).where(counter.name == "c")
            order.append("transaction")

    async def lone_write() -> None:
        await entered.wait()
        await counter.update({counter.value: counter.value + 10}).where(counter.name == "c")
        order.append("lone write")

    await asyncio.gather(long_transaction(), lone_write())
    assert order == ["transaction", "lone write"]
    assert (await counter.select(counter.value))[0]["value"] == 11
    engine.close()
