#!/usr/bin/env python3
"""Benchmark picklefix against ruff on the CPython 3.11 standard library.

Builds the release binary, installs ruff in a throwaway venv (target/bench-venv), then times
alternating runs of

  * picklefix, parallel:        picklefix check --quiet --no-progress <stdlib>
  * picklefix, single thread:   the same with RAYON_NUM_THREADS=1
  * ruff:                       ruff check --select E,F --no-cache --quiet <stdlib>
  * picklefix fix, dry run:     picklefix fix --unsafe-fixes --quiet --no-progress <stdlib>

and prints, besides the ratios to ruff, the ratio of the fix dry run (every check/fix round,
the diff) to the parallel check (target: at most 2).

Each run is a fresh child process; its wall time is measured around spawn/wait4 and its peak
RSS is the child's ru_maxrss (KiB on Linux). Exit codes 0 and 1 (findings) are both fine.

<stdlib> is the folder lib/python3.11 itself, as a user would pass their project: both tools
skip folders named site-packages (and venv, build, dist, ...) by default, so the third-party
packages installed into that interpreter are left out. --include-site-packages also names the
entries of site-packages on the command line.

Standard library only. Usage: python3 bench/bench.py [--runs 7] [--json FILE]
"""

import argparse
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(REPO, "target", "release", "picklefix")
VENV = os.path.join(REPO, "target", "bench-venv")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def build():
    log("$ cargo build --release")
    subprocess.run(["cargo", "build", "--release"], cwd=REPO, check=True)
    if not os.access(BINARY, os.X_OK):
        sys.exit(f"bench: {BINARY} was not built")


def pyenv_root():
    try:
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")


def version_key(path):
    m = re.search(r"versions/(\d+)\.(\d+)\.(\d+)", path)
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)


def find_stdlib():
    root = pyenv_root()
    found = [p for p in glob.glob(os.path.join(root, "versions", "3.11.*", "lib", "python3.11")) if os.path.isdir(p)]
    if not found:
        sys.exit(f"bench: no Python 3.11 standard library under {root}/versions/3.11.*/lib/python3.11")
    return max(found, key=version_key)


def ensure_ruff():
    ruff = os.path.join(VENV, "bin", "ruff")
    if not os.access(ruff, os.X_OK):
        if not os.path.isdir(VENV):
            log(f"$ python3 -m venv {VENV}")
            subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        log("$ pip install ruff")
        subprocess.run([os.path.join(VENV, "bin", "python"), "-m", "pip", "install", "--quiet", "ruff"], check=True)
    version = subprocess.run([ruff, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    return ruff, version


# Folder names both tools skip while walking (ruff's default `exclude`, which picklefix copies).
SKIPPED = {".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints", ".mypy_cache",
           ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv",
           ".vscode", "__pypackages__", "_build", "buck-out", "build", "dist", "node_modules", "site-packages",
           "venv"}


def tree_paths(stdlib, include_site_packages):
    # One folder on the command line: files named explicitly are always parsed by picklefix,
    # so listing the top-level modules one by one would not be the normal use.
    if not include_site_packages:
        return [stdlib]
    site = os.path.join(stdlib, "site-packages")
    return [stdlib] + [os.path.join(site, name) for name in sorted(os.listdir(site))]


def count_python(paths):
    files = lines = 0
    for top in paths:
        if os.path.isfile(top):
            walk = [(os.path.dirname(top), [], [os.path.basename(top)])]
        else:
            walk = os.walk(top)
        for dirpath, dirs, names in walk:
            dirs[:] = [d for d in dirs if d not in SKIPPED]
            for name in names:
                if not name.endswith(".py"):
                    continue
                with open(os.path.join(dirpath, name), "rb") as f:
                    data = f.read()
                files += 1
                lines += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return files, lines


class Failed(Exception):
    pass


def measure(argv, env, timeout):
    """Run argv in a fresh child, output discarded. Returns (seconds, peak KiB, exit code)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        actions = [
            (os.POSIX_SPAWN_DUP2, devnull, 0),
            (os.POSIX_SPAWN_DUP2, devnull, 1),
            (os.POSIX_SPAWN_DUP2, devnull, 2),
        ]
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    finally:
        os.close(devnull)
    result = {}

    def wait():
        _, status, usage = os.wait4(pid, 0)
        result["end"] = time.perf_counter()
        result["status"] = status
        result["usage"] = usage

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    waiter.join(timeout)
    if waiter.is_alive():
        os.kill(pid, 9)
        waiter.join()
        raise Failed(f"{' '.join(argv[:3])} ... timed out after {timeout:.0f}s")
    code = os.waitstatus_to_exitcode(result["status"])
    return result["end"] - start, result["usage"].ru_maxrss, code


def summary_line(argv, env):
    """picklefix's own summary (stderr), from a run without --quiet."""
    out = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = [l.strip() for l in out.stderr.splitlines() if "scanned" in l]
    if lines:
        return lines[-1]
    rest = out.stderr.strip().splitlines()
    return f"(no summary line; exit {out.returncode}{': ' + rest[-1] if rest else ''})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="measured runs per command (default 7)")
    ap.add_argument("--json", metavar="FILE", help="also write the results to FILE as JSON")
    ap.add_argument("--stdlib", help="tree to check (default: pyenv's 3.11 lib/python3.11)")
    ap.add_argument("--include-site-packages", action="store_true", help="also check lib/python3.11/site-packages")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds allowed per run (default 1800)")
    ap.add_argument("--no-build", action="store_true", help="use the existing target/release/picklefix")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    if not args.no_build:
        build()
    stdlib = os.path.abspath(args.stdlib) if args.stdlib else find_stdlib()
    ruff, ruff_version = ensure_ruff()
    paths = tree_paths(stdlib, args.include_site_packages)
    files, lines = count_python(paths)
    log(f"tree: {stdlib}{'' if args.include_site_packages else ' (without site-packages)'}: {files} .py files, {lines} lines")

    base_env = dict(os.environ)
    base_env.pop("RAYON_NUM_THREADS", None)
    single_env = dict(base_env, RAYON_NUM_THREADS="1")
    commands = [
        ("picklefix (parallel)", [BINARY, "check", "--quiet", "--no-progress", *paths], base_env),
        ("picklefix (1 thread)", [BINARY, "check", "--quiet", "--no-progress", *paths], single_env),
        ("ruff check --select E,F", [ruff, "check", "--select", "E,F", "--no-cache", "--quiet", *paths], base_env),
        ("picklefix fix (dry run)", [BINARY, "fix", "--unsafe-fixes", "--quiet", "--no-progress", *paths], base_env),
    ]
    samples = {name: [] for name, _, _ in commands}
    codes = {name: set() for name, _, _ in commands}

    try:
        for name, argv, env in commands:
            log(f"warm-up: {name}")
            t, _, code = measure(argv, env, args.timeout)
            if code not in (0, 1):
                raise Failed(f"{name} exited with {code}")
            log(f"  {t:.2f}s")
        for i in range(args.runs):
            for name, argv, env in commands:
                t, kib, code = measure(argv, env, args.timeout)
                if code not in (0, 1):
                    raise Failed(f"{name} exited with {code}")
                samples[name].append({"seconds": t, "peak_kib": kib})
                codes[name].add(code)
                log(f"run {i + 1}/{args.runs}: {name}: {t:.2f}s, {kib / 1024:.0f} MiB")
    except Failed as e:
        sys.exit(f"bench: {e}")

    summary = summary_line([BINARY, "check", "--no-progress", *paths], base_env)

    rows = {}
    for name, _, _ in commands:
        ts = [s["seconds"] for s in samples[name]]
        ms = [s["peak_kib"] / 1024 for s in samples[name]]
        rows[name] = {"median_s": statistics.median(ts), "min_s": min(ts), "median_peak_mib": statistics.median(ms)}
    pf, pf1, rf, fx = (rows[name] for name, _, _ in commands)

    print()
    print(f"Tree:    {stdlib}{'' if args.include_site_packages else ' (site-packages excluded)'}")
    print(f"Files:   {files} .py files, {lines} lines")
    print(f"Tools:   picklefix {BINARY}; {ruff_version}; {args.runs} runs each after one warm-up, alternating")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print()
    width = max(len(name) for name in rows)
    print(f"{'command':<{width}}  {'median s':>9}  {'min s':>8}  {'median peak MiB':>15}  exit")
    for name, row in rows.items():
        exits = ",".join(str(c) for c in sorted(codes[name]))
        print(f"{name:<{width}}  {row['median_s']:>9.3f}  {row['min_s']:>8.3f}  {row['median_peak_mib']:>15.1f}  {exits}")
    print()
    ratios = {
        "time_parallel_over_ruff": pf["median_s"] / rf["median_s"],
        "time_single_over_ruff": pf1["median_s"] / rf["median_s"],
        "memory_parallel_over_ruff": pf["median_peak_mib"] / rf["median_peak_mib"],
        "memory_single_over_ruff": pf1["median_peak_mib"] / rf["median_peak_mib"],
        "parallel_speedup": pf1["median_s"] / pf["median_s"],
        "fix_over_check": fx["median_s"] / pf["median_s"],
    }
    print(f"picklefix/ruff time   (median): parallel {ratios['time_parallel_over_ruff']:.2f}x, "
          f"1 thread {ratios['time_single_over_ruff']:.2f}x")
    print(f"picklefix/ruff memory (median): parallel {ratios['memory_parallel_over_ruff']:.2f}x, "
          f"1 thread {ratios['memory_single_over_ruff']:.2f}x")
    print(f"picklefix parallel speed-up over 1 thread: {ratios['parallel_speedup']:.2f}x")
    print(f"picklefix fix (dry run) / check time (median): {ratios['fix_over_check']:.2f}x (target <= 2)")
    print(f"picklefix summary: {summary}")
    if pf["median_s"] > rf["median_s"]:
        print(f"NOTE: picklefix is slower than ruff ({pf['median_s']:.2f}s vs {rf['median_s']:.2f}s median)")
    if ratios["fix_over_check"] > 2:
        print(f"NOTE: fix takes more than twice check's time ({fx['median_s']:.2f}s vs {pf['median_s']:.2f}s median)")
    if pf["median_peak_mib"] > 2 * rf["median_peak_mib"]:
        print(f"NOTE: picklefix uses more than twice ruff's memory "
              f"({pf['median_peak_mib']:.0f} MiB vs {rf['median_peak_mib']:.0f} MiB median peak)")

    if args.json:
        result = {
            "tree": stdlib,
            "site_packages_included": args.include_site_packages,
            "files": files,
            "lines": lines,
            "runs": args.runs,
            "ruff_version": ruff_version,
            "cpus": os.cpu_count(),
            "commands": {
                name: {"argv": [argv[0], *argv[1:argv.index(paths[0])], "<tree>"],
                       "env": {"RAYON_NUM_THREADS": env["RAYON_NUM_THREADS"]} if "RAYON_NUM_THREADS" in env else {},
                       "samples": samples[name], "exit_codes": sorted(codes[name]), **rows[name]}
                for name, argv, env in commands
            },
            "ratios": ratios,
            "picklefix_summary": summary,
        }
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
