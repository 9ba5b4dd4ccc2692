"""Start-up time of `slrbench --help` and `slrbench list` against `python -c pass`, in one run.

The commands that only read the registry must stay fast: they never import torch. Prints the
median wall time of each command over interleaved repetitions, the ratio to the bare
interpreter, and which heavy modules (if any) each command imported.

    python benchmarks/perf/cli_startup.py [--repeats 15]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "slrbench --help": [sys.executable, "-m", "slrbench", "--help"],
    "slrbench list": [sys.executable, "-m", "slrbench", "list"],
    "slrbench list --json": [sys.executable, "-m", "slrbench", "list", "--json"],
}
HEAVY = ("torch", "numpy", "pandas", "transformers", "gensim")
BUDGET_SECONDS = 1.0


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def heavy_imports(command: list[str]) -> list[str]:
    """Modules of HEAVY that `python -X importtime` saw imported by the command."""
    traced = subprocess.run([command[0], "-X", "importtime", *command[1:]], capture_output=True, text=True)
    names = {line.rsplit("|", 1)[-1].strip() for line in traced.stderr.splitlines() if "|" in line}
    return sorted(name for name in names if name.split(".")[0] in HEAVY and "." not in name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for name, command in COMMANDS.items():  # warm the file cache once
        wall_time(command)
    for _ in range(repeats):
        for name, command in COMMANDS.items():  # interleaved, so machine noise hits all alike
            times[name].append(wall_time(command))
    baseline = statistics.median(times["python -c pass"])
    print(f"{'command':<24}{'median s':>10}{'ratio':>8}  heavy imports")
    failed = False
    for name, command in COMMANDS.items():
        median = statistics.median(times[name])
        heavy = heavy_imports(command) if name != "python -c pass" else []
        print(f"{name:<24}{median:>10.3f}{median / baseline:>8.1f}  {', '.join(heavy) or '-'}")
        failed |= bool(heavy) or (name != "python -c pass" and median > BUDGET_SECONDS)
    print(f"budget: every slrbench command under {BUDGET_SECONDS:.1f} s, no heavy imports -> {'FAIL' if failed else 'ok'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
