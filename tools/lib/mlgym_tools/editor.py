"""edit and insert: change the open file from text on stdin, refusing Python edits that break it."""
import sys

from . import files, pycheck
from . import state as store
from .cli import UsageError, parse_line_number
from .viewer import current_file
from .window import WINDOW, centred_on, clamp_first, render

RULE = "-" * 60


def edit(argv):
    if len(argv) != 1 or argv[0].count(":") != 1:
        raise UsageError("usage: edit <start>:<end>  (the new text comes on stdin)")
    start_text, end_text = argv[0].split(":")
    start = parse_line_number(start_text, "start line")
    end = parse_line_number(end_text, "end line")
    path, total, first = current_file()
    # start may be one past the end (append), and end may reach it, so `edit 1:1` fills an empty file.
    if not 1 <= start <= end:
        raise UsageError(f"invalid range {start}:{end}: lines are numbered from 1 and start must not exceed end")
    if start > total + 1 or end > max(total, start):
        raise UsageError(f"range {start}:{end} is outside the file, which has {total} lines")
    return _apply(path, first, start - 1, end, _read_stdin("edit", argv[0], "end_of_edit"))


def insert(argv):
    if len(argv) != 1:
        raise UsageError("usage: insert <line>  (the new text comes on stdin; 0 inserts at the top)")
    after = parse_line_number(argv[0])
    path, total, first = current_file()
    if not 0 <= after <= total:
        raise UsageError(f"line {after} is out of range: insert after a line from 0 to {total}")
    return _apply(path, first, after, after, _read_stdin("insert", argv[0], "end_of_insert"))


def _read_stdin(name, arg, terminator):
    # Only a terminal can be told apart from "no text": bash feeds an empty heredoc from /dev/null.
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError(f"{name} reads the new text from stdin: {name} {arg} <<'{terminator}' ...")
    data = sys.stdin.buffer.read().decode(files.ENCODING, files.ERRORS)
    return files.split_lines(data) if data else []


def _apply(path, first, lo, hi, new_lines):
    """Replaces the 0-based slice lo:hi of the file with new_lines; returns the exit code."""
    old = files.read_all(path)
    if files.uses_crlf(old):
        new_lines = [line + "\r" for line in new_lines]
    proposed = old[:lo] + new_lines + old[hi:]
    # Keep the agent's view where it was when the edit starts inside it; otherwise move to the edit.
    edit_line = lo + 1
    view = first if first <= edit_line < first + WINDOW else edit_line - WINDOW // 2
    view = clamp_first(view, len(proposed))
    if path.endswith(".py"):
        problems = pycheck.new_problems(files.join_lines(old), files.join_lines(proposed), path)
        if problems:
            _report_rejected(path, old, proposed, problems, edit_line)
            return 1
    files.write_all(path, proposed)
    store.save(path, view)
    print(_window(path, proposed, view))
    print(
        "File updated. Check the lines above: indentation, duplicated or missing lines."
        " Edit again if anything is wrong."
    )
    return 0


def _report_rejected(path, old, proposed, problems, edit_line):
    print("Your edit was NOT applied: it introduces these errors:")
    print("\n".join(f"- {p}" for p in problems))
    print(f"\nThis is how the file would have looked after your edit:\n{RULE}")
    print(_window(path, proposed, centred_on(edit_line, len(proposed))))
    print(f"{RULE}\n\nThis is the original code, which is unchanged:\n{RULE}")
    print(_window(path, old, centred_on(edit_line, len(old))))
    print(f"{RULE}\nFix the errors and run your edit command again (check line numbers and indentation).")


def _window(path, lines, first):
    return render(path, len(lines), first, lines[first - 1 : first - 1 + WINDOW])
