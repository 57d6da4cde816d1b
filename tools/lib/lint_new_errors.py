"""Decides which flake8 errors an edit introduced: the lint gate of `edit` and `insert` (mlgym.sh).

Usage: lint_new_errors.py AFTER BEFORE FIRST LAST COUNT
  AFTER, BEFORE  files holding flake8's output for the edited file and for the file before the edit
  FIRST..LAST    the span of the edit (1-based, inclusive) that MLGym's tools pass
  COUNT          the number of lines the edit wrote there

Prints `- <code> <message>` for every error of AFTER that BEFORE does not excuse, nothing when the
edit is clean. As in MLGym, an error of BEFORE above FIRST excuses the same error at the same place,
one below LAST excuses it moved by the change in length, one inside FIRST..LAST excuses nothing, and
an error is the same when file, line, column and message all match.
"""

import sys
from typing import NamedTuple


class LintError(NamedTuple):
    path: str
    line: int
    column: int
    message: str


def parse(text):
    errors = []
    for raw in text.splitlines():
        entry = raw.strip()
        if not entry:
            continue
        # "<path>:<line>:<column>: <message>"; the column may be missing.
        location, _, message = entry.partition(": ")
        fields = location.split(":")
        if len(fields) not in (2, 3):
            raise ValueError(f"not a flake8 error line: {entry}")
        column = int(fields[2]) if len(fields) == 3 else 0
        errors.append(LintError(fields[0], int(fields[1]), column, message))
    return errors


def excused(before, first, last, count):
    growth = count - (last - first + 1)
    kept = []
    for error in before:
        if error.line < first:
            kept.append(error)
        elif error.line > last:
            kept.append(error._replace(line=error.line + growth))
    return kept


def main(argv):
    after_path, before_path, first, last, count = argv
    with open(after_path) as after_file, open(before_path) as before_file:
        after_text, before_text = after_file.read(), before_file.read()
    errors = parse(after_text)
    if before_text:
        old = set(excused(parse(before_text), int(first), int(last), int(count)))
        errors = [error for error in errors if error not in old]
    print("\n".join(f"- {error.message}" for error in errors))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except ValueError as err:
        # flake8 did not run (not installed, crashed): MLGym's gate then lets the edit through.
        print(f"lint gate: {err}", file=sys.stderr)
        sys.exit(2)
