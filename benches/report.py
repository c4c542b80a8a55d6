#!/usr/bin/env python3
"""Turns benches/run.sh's results (JSON lines) into one markdown table: the median of every
figure over the runs, libvirt.so's value and each virtwire runtime's value with its ratio to it.

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
}
# (key, label, unit, format, higher is better)
TIMED = [
    ("rate", "calls/s", "", "{:.0f}", True),
    ("cpu", "client CPU per call", "µs", "{:.1f}", False),
    ("user", "user CPU per call", "µs", "{:.1f}", False),
    ("sys", "system CPU per call", "µs", "{:.1f}", False),
]
COUNTED = [
    ("syscalls", "syscalls per call", "", "{:.1f}", False),
    ("task_clock", "CPU per call (perf task-clock)", "µs", "{:.1f}", False),
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
            ops = r["ops"]
            runs[key]["rate"].append(ops / r["wall_s"])
            runs[key]["cpu"].append((r["user_s"] + r["sys_s"]) / ops * 1e6)
            runs[key]["user"].append(r["user_s"] / ops * 1e6)
            runs[key]["sys"].append(r["sys_s"] / ops * 1e6)
    return runs


def cell(values, fmt, base):
    if not values:
        return "—"
    med = statistics.median(values)
    text = fmt.format(med)
    if base:
        text += f" ({med / base:.2f}×)" if base > 0 else ""
    return text


def main():
    runs = load(sys.argv[1])
    n = max((len(v["rate"]) for v in runs.values()), default=0)
    print(f"Median of {n} runs; in parentheses: the ratio to libvirt.so.\n")
    print("| workload | figure | " + " | ".join(TITLES.get(c, c) for c in CLIENTS) + " |")
    print("|---|---|" + "---|" * len(CLIENTS))
    for w, title in WORKLOADS.items():
        for key, label, unit, fmt, _ in TIMED + COUNTED:
            if not any(runs[(w, c)][key] for c in CLIENTS):
                continue
            base_values = runs[(w, BASE)][key]
            base = statistics.median(base_values) if base_values else None
            what = label.replace("call", "listing") if w == "list-all" else label
            cells = [cell(runs[(w, c)][key], fmt, None if c == BASE else base) for c in CLIENTS]
            print(f"| {title} | {what}{' (' + unit + ')' if unit else ''} | "
                  + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
