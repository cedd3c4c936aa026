"""What the weekly reviews' triggers cost a single-row INSERT (issue 20): ``EXPLAIN ANALYZE`` of
one-row INSERTs into a generated database (``DATABASE_URL``, e.g. a bench database kept with
``BENCH_KEEP_DB=1``), each in its own rolled-back transaction, one per use case: a week of a
month the use case has no review in (the month sums' INSERT path), then a second week of that
month (the upsert's UPDATE path). Prints the median and mean of the ``reviews_weeklymonthsum_*``
trigger lines and of the execution time.

    DATABASE_URL=postgres://…/valuegate_bench_x .venv/bin/python -m benchmarks.trigger_cost 2000
"""

from __future__ import annotations

import os
import re
import statistics
import sys

import psycopg

#: Two weeks of one month that the generated data leaves empty (its reviews end today).
WEEKS = (("insert", "2027-W05", "2027-02-01"), ("upsert", "2027-W06", "2027-02-08"))
MONTH = "2027-02-01"
KEYS = ("id", "use_case_id", "week", "week_start", "month_start")


def main(count: int) -> None:
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM usecases_usecase ORDER BY id LIMIT %s", (count,)
            )
        ]
        columns = [
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'reviews_weeklyreview' ORDER BY ordinal_position"
            )
            if row[0] not in KEYS
        ]
        copied = ", ".join(columns)
        (template,) = conn.execute("SELECT min(id) FROM reviews_weeklyreview").fetchone()
        timings: dict[str, list[tuple[float, float]]] = {kind: [] for kind, _, _ in WEEKS}
        for use_case_id in ids:
            with conn.transaction(force_rollback=True):
                for kind, week, week_start in WEEKS:
                    plan = "\n".join(
                        row[0]
                        for row in conn.execute(
                            "EXPLAIN (ANALYZE) INSERT INTO reviews_weeklyreview "
                            f"(use_case_id, week, week_start, month_start, {copied}) "
                            f"SELECT %s, %s, %s, %s, {copied} FROM reviews_weeklyreview "
                            "WHERE id = %s",
                            (use_case_id, week, week_start, MONTH, template),
                        )
                    )
                    trigger = sum(
                        float(ms)
                        for ms in re.findall(
                            r"Trigger reviews_weeklymonthsum_\w+: time=([0-9.]+)", plan
                        )
                    )
                    total = float(re.search(r"Execution Time: ([0-9.]+)", plan).group(1))
                    timings[kind].append((trigger, total))
    for kind, rows in timings.items():
        trigger = [row[0] for row in rows]
        total = [row[1] for row in rows]
        print(
            f"{kind}: n={len(rows)} trigger median {statistics.median(trigger):.3f} ms "
            f"mean {statistics.mean(trigger):.3f}; execution median "
            f"{statistics.median(total):.3f} ms mean {statistics.mean(total):.3f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
