#!/usr/bin/python3
"""Count leaf TAP results (kselftest, kselftest_harness, KUnit) in files.

Usage: tapcount.py STAGE FILE...  -> prints failing cases, then one line
"STAGE: P passed, F failed, S skipped" and writes build/results/STAGE.counts.
A parent line that only summarises nested subtests (KUnit suites) is not
counted again. "# exit: RC PROG" lines written by run-tests.sh turn a program
that died without reporting a failure into one failure.
"""
import os
import re
import sys

RESULT = re.compile(r'^(\s*)(not ok|ok)\s+\d+\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(\w+)(.*))?$')
EXIT = re.compile(r'^# exit: (\d+) (.*)$')
KSFT_SKIP = 4


def count(lines, stats, failures, src):
    last_indent = None
    failed_here = False
    for line in lines:
        line = line.rstrip('\n')
        m = EXIT.match(line)
        if m:
            rc = int(m.group(1))
            if rc not in (0, KSFT_SKIP) and not failed_here:
                stats['failed'] += 1
                failures.append(f'{src}: {m.group(2)} exited with status {rc}')
            failed_here = False
            last_indent = None
            continue
        m = RESULT.match(line)
        if not m:
            continue
        indent = len(m.group(1).expandtabs())
        if last_indent is not None and last_indent > indent:
            last_indent = indent
            continue  # summary of the nested results just counted
        last_indent = indent
        directive = (m.group(4) or '').upper()
        if directive == 'SKIP':
            stats['skipped'] += 1
        elif m.group(2) == 'ok' or directive in ('XFAIL', 'TODO'):
            stats['passed'] += 1
        else:
            stats['failed'] += 1
            failed_here = True
            failures.append(f'{src}: {line.strip()}')


def main():
    stage, files = sys.argv[1], sys.argv[2:]
    stats = {'passed': 0, 'failed': 0, 'skipped': 0}
    failures = []
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
