"""Results of a benchmark run as JSON and as the Markdown tables the README carries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FLOOR = "floor_one_query"
GROWTH_TARGET = 1.5


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def floor_of(results: dict[str, Any], name: str, key: str) -> float | None:
    """The floor's figure: the mean of its start and end measurements (machines here are noisy)."""
    values = [_num(results.get(n, {}).get(key)) for n in (name, f"{name}@end")]
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def ratio(value: Any, floor: float | None) -> float | None:
    v = _num(value)
    return round(v / floor, 1) if v is not None and floor else None


def verdict(info: dict[str, Any], result: dict[str, Any], p95_ratio: float | None) -> str:
    if not result.get("available"):
        return "not available"
    if result.get("errors") or result.get("probe_errors"):
        return "errors"
    misses = []
    target = _num(info.get("target_p95_ms"))
    p95 = _num(result.get("p95_ms"))
    if target is not None and p95 is not None and p95 > target:
        misses.append(f"p95 > {target:g} ms")
    target_ratio = _num(info.get("target_ratio"))
    if target_ratio is not None and p95_ratio is not None and p95_ratio > target_ratio:
        misses.append(f"> {target_ratio:g}× floor")
    if target is None and target_ratio is None:
        return ""
    return "missed: " + ", ".join(misses) if misses else "met"


def _ms(value: Any) -> str:
    v = _num(value)
    if v is None:
        return "–"
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def _queries(result: dict[str, Any]) -> str:
    lo, hi = result.get("queries_min"), result.get("queries_max")
    if lo is None:
        return "–"
    return str(lo) if lo == hi else f"{lo}–{hi}"


def _target(info: dict[str, Any]) -> str:
    parts = []
    if info.get("target_p95_ms") is not None:
        parts.append(f"≤ {info['target_p95_ms']:g} ms")
    if info.get("target_ratio") is not None:
        parts.append(f"≤ {info['target_ratio']:g}×")
    return ", ".join(parts) or "–"


def rows(volume: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per scenario (floors first, measured at start and end), with ratios and verdict."""
    results: dict[str, Any] = volume["results"]
    floor_p50 = floor_of(results, FLOOR, "p50_ms")
    floor_p95 = floor_of(results, FLOOR, "p95_ms")
    out = []
    for name, info in volume["scenarios"].items():
        for key in (name, f"{name}@end"):
            if key not in results:
                continue
            result = results[key]
            p95_ratio = ratio(result.get("p95_ms"), floor_p95)
            out.append(
                {
                    "key": key,
                    "name": name,
                    "title": info["title"] + (" (end)" if key.endswith("@end") else ""),
                    "role": info.get("role") or "",
                    "available": bool(result.get("available")),
                    "reason": result.get("reason", ""),
                    "note": info.get("note") or "",
                    "rps": result.get("rps"),
                    "p50_ms": result.get("p50_ms"),
                    "p95_ms": result.get("p95_ms"),
                    "p99_ms": result.get("p99_ms"),
                    "requests": result.get("requests"),
                    "errors": result.get("errors"),
                    "queries": _queries(result),
                    "db_ms": result.get("db_ms_median"),
                    "p50_ratio": ratio(result.get("p50_ms"), floor_p50),
                    "p95_ratio": p95_ratio,
                    "target": _target(info),
                    "verdict": verdict(info, result, p95_ratio),
                }
            )
    return out


def growth(volumes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per scenario: p95 at the largest volume over p95 at the smallest (raw and floor-relative)."""
    if len(volumes) < 2:
        return []
    small, large = volumes[0], volumes[-1]
    small_rows = {r["key"]: r for r in rows(small)}
    out = []
    for row in rows(large):
        if row["key"].endswith("@end") or not row["available"]:
            continue
        before = small_rows.get(row["key"])
        if before is None or not before["available"]:
            continue
        raw = ratio(row["p95_ms"], _num(before["p95_ms"]))
        relative = ratio(row["p95_ratio"], _num(before["p95_ratio"]))
        judged = large["scenarios"].get(row["name"], {}).get("kind") != "floor"
        out.append(
            {
                "name": row["name"],
                "title": row["title"],
                "p95_small": before["p95_ms"],
                "p95_large": row["p95_ms"],
                "growth": raw,
                "growth_vs_floor": relative,
                "verdict": ("met" if raw is not None and raw <= GROWTH_TARGET else "missed") if judged else "",
            }
        )
    return out


def markdown(run: dict[str, Any]) -> str:
    m = run["machine"]
    s = run["settings"]
    lines = [
        f"Measured {run['date']} on {m['cpu']}, {m['cores']} cores, {m['memory']} RAM; {m['os']}; "
        f"PostgreSQL {m['postgresql']}, Python {m['python']}, Django {m['django']}. "
        f"gunicorn {s['workers']} {s['worker_class']} workers, DEBUG off, persistent connections, Redis cache; "
        f"locust {s['users']} users without think time, {s['duration_s']} s per scenario. "
        "p50/p95/p99 in ms; ×floor = p95 over the one-query floor's p95 (mean of its start and end runs); "
        "queries and DB ms per request from a separate single-request pass (no load).",
        "",
    ]
    for volume in run["volumes"]:
        gen = volume.get("generation", {})
        if gen.get("seed_s") is not None:
            made = f"generated by `seed_demo --volume {volume['volume']}` in {gen['seed_s']} s"
            made += f" (+ migrate {gen.get('migrate_s')} s, VACUUM ANALYZE {gen.get('vacuum_analyze_s')} s"
            if gen.get("rebuild_stats_s") is not None:
                made += f", dashboard summary `rebuild_stats` {gen['rebuild_stats_s']} s"
            made += ")"
            if gen.get("reused"):
                made += f", on {str(gen.get('generated_at', ''))[:10]}; reused"
        else:
            made = "generated elsewhere and reused (generation time not recorded by this suite)"
        if gen.get("stats_refresh_skipped"):
            made += "; dashboards' summary NOT refreshed for this run (--no-stats-refresh): read as it was"
        if gen.get("stats_refresh_s") is not None:
            made += f"; dashboards' summary brought up to date before the run in {gen['stats_refresh_s']} s"
        loads = [_num(r.get("loadavg_before")) for r in volume["results"].values()]
        present = [v for v in loads if v is not None]
        load_text = (
            f" Machine load average (1 min) before each scenario: {min(present):.1f}–{max(present):.1f}"
            f" on {m['cores']} cores."
            if present
            else ""
        )
        lines += [
            f"### {volume['suggestions']:,} suggestions (`{volume['database']}`)",
            "",
            f"Data {made}.{load_text}",
            "",
            "| scenario | role | req/s | p50 | p95 | p99 | errors | queries | DB ms | ×floor | target | result |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
        ]
        notes = []
        for row in rows(volume):
            if not row["available"]:
                lines.append(
                    f"| {row['title']} | {row['role']} | – | – | – | – | – | – | – | – | {row['target']} | "
                    f"not available: {row['reason']} |"
                )
                continue
            ratio_text = f"{row['p95_ratio']}×" if row["p95_ratio"] is not None else "–"
            lines.append(
                f"| {row['title']} | {row['role']} | {row['rps']} | {_ms(row['p50_ms'])} | {_ms(row['p95_ms'])} | "
                f"{_ms(row['p99_ms'])} | {row['errors']} | {row['queries']} | {_ms(row['db_ms'])} | {ratio_text} | "
                f"{row['target']} | "
                f"{row['verdict']} |"
            )
            if row["note"] and not row["key"].endswith("@end"):
                notes.append(f"- {row['title']}: {row['note']}.")
        lines += ["", *notes, ""]
    grown = growth(run["volumes"])
    if grown:
        small, large = run["volumes"][0]["suggestions"], run["volumes"][-1]["suggestions"]
        lines += [
            f"### Growth {small:,} → {large:,} suggestions (target ≤ {GROWTH_TARGET}× on p95)",
            "",
            "| scenario | p95 small | p95 large | growth | growth of ×floor | result |",
            "|---|--:|--:|--:|--:|---|",
        ]
        for g in grown:
            lines.append(
                f"| {g['title']} | {_ms(g['p95_small'])} | {_ms(g['p95_large'])} | {g['growth']}× | "
                f"{g['growth_vs_floor']}× | {g['verdict']} |"
            )
        lines.append("")
    sweep = run.get("sweep") or {}
    if sweep.get("available"):
        lines += [
            "### Reminder sweep (`make bench-sweep`)",
            "",
            "```",
            sweep_summary(sweep.get("output", "")),
            "```",
            "",
        ]
    return "\n".join(lines)


def sweep_summary(output: str) -> str:
    """The figures of `make bench-sweep`'s output, without the build and install chatter around them."""
    lines = output.strip().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Deadline sweep")), None)
    if start is None:
        return output.strip()
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        block.append(line)
    return "\n".join(block)


def problems(run: dict[str, Any]) -> list[str]:
    """Everything that makes the run fail: error responses, a scenario that could not run."""
    found = []
    for volume in run["volumes"]:
        for key, result in volume["results"].items():
            if not result.get("available"):
                continue
            if result.get("errors"):
                found.append(f"{volume['database']} {key}: {result['errors']} errors {result.get('error_kinds')}")
            for error in result.get("probe_errors", [])[:5]:
                found.append(f"{volume['database']} {key} (query-count pass): {error}")
            if not result.get("requests"):
                found.append(f"{volume['database']} {key}: no request completed")
    sweep = run.get("sweep") or {}
    if sweep.get("available") and sweep.get("exit_code"):
        found.append(f"make bench-sweep exited with {sweep['exit_code']}")
    return found


def write(run: dict[str, Any], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    if run["mode"] == "smoke":
        stem = "smoke"
    else:
        sizes = "-".join(str(v["database"]) for v in run["volumes"])
        stem = f"{run['date'][:10]}-{run['mode']}" + (f"-{sizes}" if run["mode"] == "partial" else "")
    for volume in run["volumes"]:
        volume["rows"] = rows(volume)
    run["growth"] = growth(run["volumes"])
    text = f"# Benchmark results ({run['mode']})\n\n{markdown(run)}"
    paths = [directory / f"{stem}.json", directory / f"{stem}.md"]
    paths[0].write_text(json.dumps(run, indent=1, ensure_ascii=False))
    paths[1].write_text(text)
    if run["mode"] == "full":
        for suffix, content in (("json", json.dumps(run, indent=1, ensure_ascii=False)), ("md", text)):
            target = directory / f"latest.{suffix}"
            target.write_text(content)
            paths.append(target)
    return paths
