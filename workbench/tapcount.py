#!/usr/bin/python3
"""Count leaf TAP results (kselftest, kselftest_harness, KUnit) in files.

Usage: tapcount.py STAGE FILE...  -> prints failing cases, then one line
"STAGE: P passed, F failed, S skipped" and writes build/results/STAGE.counts.

A parent line that only summarises nested subtests (KUnit suites) is not
counted again. Results must add up: a plan ("1..N") whose level does not
report exactly N results, a file (or a program, between the "# run:" and
"# exit:" lines written by run-tests.sh) that reports no result at all,
a program that exits non-zero without a failing case, and a VM that
failed around a program ("# vm-fail: RC NAME": crash, timeout, kernel
splat) are each one failure.
"""
import os
import re
import sys

RESULT = re.compile(r'^(\s*)(not ok|ok)\s+\d+\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(\w+)(.*))?$')
PLAN = re.compile(r'^(\s*)1\.\.(\d+)\s*(?:#.*)?$')
RUN = re.compile(r'^# run: (.*)$')
EXIT = re.compile(r'^# exit: (\d+) (.*)$')
VMFAIL = re.compile(r'^# vm-fail: (\d+) (.*)$')
KSFT_SKIP = 4


class Program:
    """The results of one program (or one file without run markers)."""

    def __init__(self, name):
        self.name = name
        self.plans = {}      # indent -> announced count (of the open block)
        self.seen = {}       # indent -> results counted at that level
        self.results = 0
        self.failed = False
        self.problems = []

    def close_level(self, indent):
        plan = self.plans.pop(indent, None)
        seen = self.seen.pop(indent, 0)
        if plan is not None and plan != seen:
            self.problems.append(f'plan says {plan} results, {seen} reported'
                                 f'{" (nested)" if indent else ""}')

    def close_deeper(self, indent):
        for level in sorted(i for i in set(self.plans) | set(self.seen) if i > indent):
            self.close_level(level)


def count(lines, stats, failures, src):
    prog = None
    last_indent = None

    def finish(p, rc=None):
        if p is None:
            return
        p.close_deeper(-1)
        problems = list(p.problems)
        if not p.results:
            problems.append('reported no result')
        if rc not in (None, 0, KSFT_SKIP) and not p.failed:
            problems.append(f'exited with status {rc}')
        for why in problems:
            stats['failed'] += 1
            failures.append(f'{src}: {p.name} {why}')

    for line in lines:
        line = line.rstrip('\n')
        m = VMFAIL.match(line)
        if m:
            stats['failed'] += 1
            failures.append(f'{src}: {m.group(2)}: its VM failed (exit {m.group(1)}: '
                            'crash, timeout or kernel splat)')
            continue
        m = RUN.match(line)
        if m:
            finish(prog)
            prog, last_indent = Program(m.group(1)), None
            continue
        m = EXIT.match(line)
        if m:
            if prog is None:
                prog = Program(m.group(2))
            finish(prog, int(m.group(1)))
            prog, last_indent = None, None
            continue
        if prog is None:
            prog = Program(src)
        m = PLAN.match(line)
        if m:
            indent = len(m.group(1).expandtabs())
            prog.close_deeper(indent)
            if indent in prog.plans:
                prog.close_level(indent)
            prog.plans[indent] = int(m.group(2))
            prog.seen[indent] = 0
            continue
        m = RESULT.match(line)
        if not m:
            continue
        indent = len(m.group(1).expandtabs())
        prog.seen[indent] = prog.seen.get(indent, 0) + 1
        if last_indent is not None and last_indent > indent:
            prog.close_deeper(indent)
            last_indent = indent
            continue  # summary of the nested results just counted
        last_indent = indent
        prog.results += 1
        directive = (m.group(4) or '').upper()
        if directive == 'SKIP':
            stats['skipped'] += 1
        elif m.group(2) == 'ok' or directive in ('XFAIL', 'TODO'):
            stats['passed'] += 1
        else:
            stats['failed'] += 1
            prog.failed = True
            failures.append(f'{src}: {line.strip()}')
    finish(prog)


def main():
    stage, files = sys.argv[1], sys.argv[2:]
    stats = {'passed': 0, 'failed': 0, 'skipped': 0}
    failures = []
    if not files:
        stats['failed'] += 1
        failures.append(f'{stage}: no result files')
    for name in files:
        with open(name, errors='replace') as f:
            count(f, stats, failures, os.path.basename(name))
    for f in failures:
        print(f'FAIL {f}')
    line = (f"{stats['passed']} passed, {stats['failed']} failed, "
            f"{stats['skipped']} skipped")
    print(f'{stage}: {line}')
    results = os.path.join(os.environ.get('BUILD', 'build'), 'results')
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, stage + '.counts'), 'w') as f:
        f.write(f"{stats['passed']} {stats['failed']} {stats['skipped']}\n")
    return 1 if stats['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
