"""How long `smarchive --version` and `smarchive --help` take, from process start to exit.

Usage: .venv/bin/python benchmarks/startup.py [--runs N]
Target: median under 0.3 s for both. Each run is a fresh interpreter (what a person typing the
command pays); one warm-up run is not counted, so the figures are for a warm file cache. Prints
min, median and max wall seconds per command.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {"--version": ["--version"], "--help": ["--help"]}
TARGET_S = 0.3


def time_once(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "smarchive", *args], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    slow = False
    for name, argv in COMMANDS.items():
        time_once(argv)  # warm-up: file cache, .pyc files
        runs = [time_once(argv) for _ in range(args.runs)]
        median = statistics.median(runs)
        slow |= median >= TARGET_S
        print(f"smarchive {name:9} min {min(runs):.3f} s  median {median:.3f} s  max {max(runs):.3f} s "
              f"({args.runs} runs; target < {TARGET_S} s)")
    sys.exit(1 if slow else 0)


if __name__ == "__main__":
    main()
