#!/usr/bin/env python3
"""Writes a test-driver node file with N domains (benches/run.sh's list-all workload).

usage: nodegen.py N OUT.xml
"""
import sys


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    parts = ["<node>\n  <cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes>"
             "<sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active></cpu>\n"
             "  <memory>4194304</memory>\n"]
    for i in range(n):
        parts.append(
            f"  <domain type='test'><name>bench{i:05d}</name>"
            f"<uuid>00000000-0000-4000-8000-{i:012x}</uuid>"
            "<memory unit='MiB'>128</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64'>hvm</type></os></domain>\n")
    parts.append("</node>\n")
    with open(out, "w") as f:
        f.write("".join(parts))


if __name__ == "__main__":
    main()
