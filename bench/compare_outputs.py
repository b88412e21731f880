#!/usr/bin/env python3
"""Compare two picklefix binaries byte for byte on the same inputs.

A restructuring (or any change meant to keep behaviour) must leave every output the same. This
runs both binaries on each input and compares stdout, stderr and the exit code:

  * `check` in every format (text, `--format json`, `--format sarif`, `--format github`) on the
    Python 3.11 standard library (passed as one folder), every scenario's `before/` under
    ../shared/scenarios, all of ../shared/scenarios at once, `examples/` and `tests/fixtures`;
  * the same with `--quiet` on the standard library, all scenarios and `tests/fixtures`;
  * `fix --unsafe-fixes` (a dry run: the diff, nothing written) on the standard library, every
    scenario's `before/`, all scenarios at once, `examples/logscan` and `tests/fixtures`.

Both binaries run from the repository root with the same arguments, one after the other, with
no terminal (no progress bar, no colour). Prints a table and exits 1 when anything differs.

Usage: python3 bench/compare_outputs.py OLD_BINARY [NEW_BINARY]
       (NEW_BINARY defaults to target/release/picklefix; build it first)
"""

import argparse
import glob
import hashlib
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = os.path.join("..", "shared", "scenarios")
QUIET_INPUTS = ("stdlib", "all scenarios", "tests/fixtures")
FORMATS = [("text", []), ("json", ["--format", "json"]), ("sarif", ["--format", "sarif"]), ("github", ["--format", "github"])]


def stdlib():
    out = subprocess.run(
        ["python3", "-c", 'import sysconfig;print(sysconfig.get_paths()["stdlib"])'],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def inputs():
    """(label, path) for check, and the subset fix runs on."""
    lib = stdlib()
    scenarios = sorted(glob.glob(os.path.join(SCENARIOS, "*", "before")))
    check = [("stdlib", lib)]
    check += [(os.path.basename(os.path.dirname(s)), s) for s in scenarios]
    check += [("all scenarios", SCENARIOS), ("examples", "examples"), ("tests/fixtures", os.path.join("tests", "fixtures"))]
    fix = [("stdlib", lib)]
    fix += [(os.path.basename(os.path.dirname(s)), s) for s in scenarios]
    fix += [
        ("all scenarios", SCENARIOS),
        ("examples/logscan", os.path.join("examples", "logscan")),
        ("tests/fixtures", os.path.join("tests", "fixtures")),
    ]
    return check, fix


def run(binary, args, timeout):
    env = dict(os.environ)
    env.pop("PICKLEFIX_TIMINGS", None)
    env["NO_COLOR"] = "1"
    p = subprocess.run(
        [binary] + args,
        cwd=REPO,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=timeout,
    )
    return p.returncode, p.stdout, p.stderr


def digest(b):
    return hashlib.sha256(b).hexdigest()[:10]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new", nargs="?", default=os.path.join(REPO, "target", "release", "picklefix"))
    ap.add_argument("--timeout", type=int, default=900, help="seconds per run (default 900)")
    ap.add_argument("--show", type=int, default=20, help="differing lines to print per case")
    args = ap.parse_args()
    old, new = os.path.abspath(args.old), os.path.abspath(args.new)
    for b in (old, new):
        if not os.access(b, os.X_OK):
            sys.exit(f"compare_outputs: {b} is not an executable")
    check, fix = inputs()
    cases = []
    for label, path in check:
        for fmt, flags in FORMATS:
            cases.append((label, f"check {fmt}", ["check"] + flags + [path]))
    # `--quiet` drops the summary (and its count of fixable findings): what is left to render
    # decides whether fixes are needed at all.
    for label, path in check:
        if label in QUIET_INPUTS:
            for fmt, flags in FORMATS:
                cases.append((label, f"check -q {fmt}", ["check", "--quiet"] + flags + [path]))
    for label, path in fix:
        cases.append((label, "fix --unsafe-fixes", ["fix", "--unsafe-fixes", path]))
    rows = []
    failures = 0
    for label, what, argv in cases:
        a = run(old, argv, args.timeout)
        b = run(new, argv, args.timeout)
        same = a == b
        if not same:
            failures += 1
            print(f"DIFFERENT: {label}: {what}: exit {a[0]} vs {b[0]}", file=sys.stderr)
            for name, x, y in (("stdout", a[1], b[1]), ("stderr", a[2], b[2])):
                if x != y:
                    xl, yl = x.decode(errors="replace").splitlines(), y.decode(errors="replace").splitlines()
                    shown = 0
                    for i in range(max(len(xl), len(yl))):
                        l1 = xl[i] if i < len(xl) else "<none>"
                        l2 = yl[i] if i < len(yl) else "<none>"
                        if l1 != l2 and shown < args.show:
                            print(f"  {name} line {i + 1}:\n    old: {l1}\n    new: {l2}", file=sys.stderr)
                            shown += 1
        rows.append((label, what, "identical" if same else "DIFFERENT", f"{a[0]}/{b[0]}", len(a[1]), digest(a[1] + a[2])))
    widths = [max(len(str(r[i])) for r in rows + [("input", "command", "result", "exit", "stdout bytes", "sha256")]) for i in range(6)]
    header = ("input", "command", "result", "exit", "stdout bytes", "sha256")
    print(" | ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    print(f"\n{len(rows) - failures} of {len(rows)} identical (old {old}, new {new})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
