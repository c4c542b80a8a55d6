#!/usr/bin/env python3
"""Turns benches/run.sh's results (JSON lines) into one markdown table: the median of every
figure over the runs, libvirt.so's value and each virtwire runtime's value with its ratio to
it, and the goal of issue 11 where it set one (✓: the median meets it).

usage: report.py RESULTS.jsonl
"""
import json
import statistics
import sys
from collections import defaultdict

BASE = "libvirt.so"
CLIENTS = [BASE, "virtwire-ct", "virtwire-mt"]
TITLES = {"virtwire-ct": "virtwire, current-thread", "virtwire-mt": "virtwire, multi-thread"}
WORKLOADS = {
    "seq-libversion": "sequential GetLibVersion",
    "seq-dominfo": "sequential DomainGetInfo",
    "xml-desc": "sequential DomainGetXMLDesc",
    "tasks-1": "1 task, GetLibVersion",
    "tasks-8": "8 tasks, one connection",
    "tasks-64": "64 tasks, one connection",
    "tasks-256": "256 tasks, one connection",
    "list-all": "ListAllDomains, 2000 domains",
    "stats-all": "GetAllDomainStats, 2000 domains",
    "download": "volume download (qemu, dir pool)",
    "upload": "volume upload (qemu, dir pool)",
    "connect-unix": "connect + close, unix",
    "connect-tcp": "connect + close, tcp",
    "connect-tls": "connect + close, tls",
    "cli-list": "`list --all`, 2000 domains: virsh / rvirsh",
}
# What one operation is called in each workload's labels.
OP = {"list-all": "listing", "stats-all": "call", "connect-unix": "connection",
      "connect-tcp": "connection", "connect-tls": "connection"}
# Goals (issue 11): (workload, figure) -> (ratio to libvirt.so, or absolute value, kind)
GOALS = {
    ("seq-libversion", "rate"): (1.25, "min"),
    ("seq-libversion", "cpu"): (0.75, "max"),
    ("seq-libversion", "user"): (0.2, "max"),
    ("seq-libversion", "syscalls"): (2.5, "abs-max"),
    ("tasks-64", "rate"): (1.3, "min"),
    ("tasks-64", "cpu"): (0.4, "max"),
    ("list-all", "rate"): (1.8, "min"),
    ("list-all", "cpu"): (0.1, "max"),
    ("stats-all", "rate"): (1.4, "min"),
    ("download", "rate"): (1.0, "min"),
    ("download", "cpu"): (0.25, "max"),
    ("connect-tls", "wall"): (0.5, "max"),
}


def figures(workload):
    """(key, label, format) of the timed figures of `workload`."""
    if workload in ("download", "upload"):
        return [("rate", "MiB/s", "{:.0f}"),
                ("cpu", "client CPU per GiB (ms)", "{:.0f}"),
                ("user", "user CPU per GiB (ms)", "{:.0f}"),
                ("sys", "system CPU per GiB (ms)", "{:.0f}")]
    if workload == "cli-list":
        return [("wall", "wall (ms)", "{:.0f}"),
                ("cpu", "CPU (ms)", "{:.0f}"),
                ("rss", "peak RSS (MiB)", "{:.1f}")]
    op = OP.get(workload, "call")
    rate = [("wall", f"ms per {op}", "{:.2f}")] if workload.startswith("connect") else \
        [("rate", f"{op}s/s", "{:.0f}")]
    return rate + [("cpu", f"client CPU per {op} (µs)", "{:.1f}"),
                   ("user", f"user CPU per {op} (µs)", "{:.1f}"),
                   ("sys", f"system CPU per {op} (µs)", "{:.1f}")]


COUNTED = [
    ("syscalls", "syscalls per call", "{:.1f}"),
    ("task_clock", "CPU per call (perf task-clock) (µs)", "{:.1f}"),
]


def load(path):
    runs = defaultdict(lambda: defaultdict(list))
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            key = (r["workload"], r["client"])
            if r.get("kind") == "counts":
                runs[key]["syscalls"].append(r["syscalls_per_op"])
                runs[key]["task_clock"].append(r["task_clock_us_per_op"])
                continue
            ops, w = r["ops"], r["workload"]
            # per GiB in ms for transfers (ops are MiB), per operation in µs otherwise
            per = 1024 * 1e3 / ops if w in ("download", "upload") else 1e6 / ops
            if w == "cli-list":
                per = 1e3
                runs[key]["rss"].append(r["maxrss_kib"] / 1024)
            runs[key]["rate"].append(ops / r["wall_s"])
            runs[key]["wall"].append(r["wall_s"] / ops * 1e3)
            runs[key]["cpu"].append((r["user_s"] + r["sys_s"]) * per)
            runs[key]["user"].append(r["user_s"] * per)
            runs[key]["sys"].append(r["sys_s"] * per)
    return runs


def met(goal, med, base):
    target, kind = goal
    if kind == "abs-max":
        return med <= target
    if not base:
        return False
    return med / base >= target if kind == "min" else med / base <= target


def cell(values, fmt, base, goal):
    if not values:
        return "—"
    med = statistics.median(values)
    text = fmt.format(med)
    if base is not None and base > 0:
        text += f" ({med / base:.2f}×)"
    if goal and base is not None:
        text += " ✓" if met(goal, med, base) else " ✗"
    return text


def goal_text(goal):
    if not goal:
        return ""
    target, kind = goal
    return {"min": f"≥ {target}×", "max": f"≤ {target}×", "abs-max": f"≤ {target}"}[kind]


def main():
    runs = load(sys.argv[1])
    n = max((len(v["rate"]) for v in runs.values()), default=0)
    print(f"Median of {n} runs; in parentheses: the ratio to libvirt.so; ✓/✗: the goal "
          "met or not.\n")
    print("| workload | figure | " + " | ".join(TITLES.get(c, c) for c in CLIENTS)
          + " | goal |")
    print("|---|---|" + "---|" * len(CLIENTS) + "---|")
    for w, title in WORKLOADS.items():
        for key, label, fmt in figures(w) + COUNTED:
            if not any(runs[(w, c)][key] for c in CLIENTS):
                continue
            base_values = runs[(w, BASE)][key]
            base = statistics.median(base_values) if base_values else None
            goal = GOALS.get((w, key))
            cells = [cell(runs[(w, c)][key], fmt, None if c == BASE else base,
                          None if c == BASE else goal) for c in CLIENTS]
            print(f"| {title} | {label} | " + " | ".join(cells) + f" | {goal_text(goal)} |")


if __name__ == "__main__":
    main()
