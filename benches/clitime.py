#!/usr/bin/env python3
"""Runs one command line (its output dropped) and prints one JSON line in benches/report.py's
format: wall time, the child's user and system CPU time and its peak RSS (from wait4).

usage: clitime.py CLIENT WORKLOAD COMMAND [ARG...]
"""
import json
import os
import subprocess
import sys
import time


def main():
    client, workload, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    start = time.monotonic()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"clitime: {' '.join(cmd)} failed")
    print(json.dumps({"client": client, "workload": workload, "ops": 1, "wall_s": wall,
                      "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
                      "maxrss_kib": ru.ru_maxrss}))


if __name__ == "__main__":
    main()
