"""Throughput of ``athar gazetteer resolve --jsonl`` after start-up (a script, not a test).

Builds a stream of distinct queries from the bundled data — community names respelt the
way other transliteration conventions would (articles, doubled letters, e/i, ou/u, -eh/-a)
with a governorate as context, plus some names that must stay unresolved — and feeds it
through the same JSON-lines code path as the CLI, timing everything after the data is
loaded and indexed.  Every query string is distinct, so the resolver's cache cannot help.

    .venv/bin/python bench/bench_gazetteer.py [--n 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time

from athar.cli_gazetteer import run_jsonl
from gazetteer import default_resolver

_RESPELL = (
    ("ou", "u"), ("u", "ou"), ("ee", "i"), ("i", "ee"), ("eh", "a"), ("a", "ah"),
    ("e", "i"), ("q", "k"), ("kh", "h"), ("ss", "s"), ("tt", "t"),
)


def respell(name: str, rng: random.Random) -> str:
    for old, new in rng.sample(_RESPELL, 3):
        if old in name:
            name = name.replace(old, new, 1)
    if rng.random() < 0.4:
        name = rng.choice(("al-", "Al ", "el-", "ad-")) + name
    return name


def make_queries(n: int, seed: int) -> list[dict[str, object]]:
    resolver = default_resolver()
    gazetteer = resolver.gazetteer
    rng = random.Random(seed)
    communities = [p for p in gazetteer.places.values() if p.kind == "community" and p.pcode]
    queries: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()
    while len(queries) < n:
        place = rng.choice(communities)
        unit = gazetteer.admins.get(place.adm1 or "")
        if rng.random() < 0.05:
            name = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(5, 9)))
        else:
            name = respell(place.name, rng)
        kind = rng.choice(("", " village", " town", ""))
        if rng.random() < 0.5:
            # Report style: a direction and the governorate.
            context = f"{rng.choice(('eastern', 'western', 'northern', 'southern'))} rural " \
                      f"{unit.name if unit else ''} governorate"
        else:
            # Event-dataset style: governorate, district, sub-district names.
            codes = (place.adm1, place.adm2, place.adm3)
            context = ", ".join(gazetteer.admins[c].name for c in codes if c in gazetteer.admins)
        key = (name + kind, context)
        if key in seen:
            continue
        seen.add(key)
        queries.append({"id": len(queries), "name": name + kind, "context": context})
    return queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    resolver = default_resolver()
    _ = resolver.index
    startup = time.perf_counter() - started
    queries = make_queries(args.n, args.seed)
    payload = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries)

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    cpu_started = time.process_time()
    bad = run_jsonl(io.StringIO(payload), out, err)
    elapsed = time.perf_counter() - started
    # CPU time is the fair "one core" figure on a shared machine; wall time is shown too.
    cpu = time.process_time() - cpu_started
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    resolved = sum(1 for a in answers if a["lat"] is not None)
    print(f"start-up (load + index): {startup:.2f} s")
    print(f"queries: {len(queries)}  resolved: {resolved}  bad lines: {bad}")
    print(f"throughput: {len(queries) / cpu:,.0f} names per CPU-second "
          f"({cpu / len(queries) * 1e3:.3f} ms per name, one core); "
          f"wall clock {len(queries) / elapsed:,.0f} names/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
