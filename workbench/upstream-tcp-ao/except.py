#!/usr/bin/python3
"""Apply the listed exceptions to upstream's tcp_ao results on our kernel.

Usage: except.py EXCEPTIONS TAPFILE...   (files rewritten in place)

EXCEPTIONS has one rule a line: PROGRAM, a regular expression searched in
the text of a failed case, and the reason, separated by tabs (# starts a
comment). PROGRAM is the test program without _ipv4/_ipv6. A failed case
a rule matches becomes a skip that names the reason: it is reported as
skipped, never as passed. A program that stopped at such a case (an
"error" result, with fewer results than its plan) gets its cases that
never ran as skips with the same reason; so does a result that only the
success of an excused case prints (at most one per excused case). A
program whose only failures were excused exited non-zero for them: its
exit line says 0 and keeps the real status in a comment. Anything else
that failed stays failed. The rules that matched nothing this run are printed, so that the
list does not outlive what it excuses.
"""
import os
import re
import sys

RESULT = re.compile(r'^(not ok|ok) (\d+)(.*)$')
PLAN = re.compile(r'^1\.\.(\d+)$')


def load(path):
    rules = []
    for n, line in enumerate(open(path), 1):
        line = line.rstrip('\n')
        if not line.strip() or line.startswith('#'):
            continue
        prog, regex, reason = line.split('\t')
        rules.append({'prog': prog, 're': re.compile(regex), 'reason': reason,
                      'where': f'{path}:{n}', 'used': 0})
    return rules


def apply(path, rules):
    prog = re.sub(r'_ipv[46]\.tap$', '', os.path.basename(path))
    lines = open(path).read().splitlines()
    out, plan, results, stopped, excused, failed = [], None, 0, None, [], 0
    for line in lines:
        m = PLAN.match(line)
        if m and plan is None:
            plan = int(m.group(1))
        m = RESULT.match(line)
        if m:
            results += 1
        if m and m.group(1) == 'not ok':
            text = m.group(3).strip()
            rule = next((r for r in rules if r['prog'] == prog and r['re'].search(text)), None)
            if rule:
                rule['used'] += 1
                excused.append(rule)
                if text.startswith('# error'):
                    stopped = rule
                desc = text.replace('#', '').strip()
                line = f'ok {m.group(2)} {desc} # SKIP listed exception: {rule["reason"]}'
            else:
                failed += 1
        out.append(line)
    missing = plan - results if plan and results < plan else 0
    if missing and (stopped or len(excused) >= missing):
        # Before the totals: the cases the program never got to, or the
        # results only the excused cases' success would have printed.
        why = (f'stopped at a listed exception: {stopped["reason"]}' if stopped else
               'printed only when an excused case passes')
        last = max(i for i, l in enumerate(out) if RESULT.match(l))
        at = next((i for i, l in enumerate(out) if i > last and
                   re.match(r'# (Planned|Totals|exit:)', l)), len(out))
        out[at:at] = [f'ok {k} not run # SKIP {why}' for k in range(results + 1, plan + 1)]
    if excused and not failed:
        for i, line in enumerate(out):
            m = re.match(r'^# exit: ([1-9]\d*) (.*)$', line)
            if m:
                out[i:i + 1] = [f'# (exit status {m.group(1)}: only listed exceptions failed)',
                                f'# exit: 0 {m.group(2)}']
                break
    open(path, 'w').write('\n'.join(out) + '\n')


def main():
    rules = load(sys.argv[1])
    for path in sys.argv[2:]:
        apply(path, rules)
    for r in rules:
        if not r['used']:
            print(f'# exception not seen this run ({r["where"]}): {r["prog"]}: {r["reason"]}')


if __name__ == '__main__':
    main()
