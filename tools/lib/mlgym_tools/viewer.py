"""open, goto, scroll_up, scroll_down, create and state: moving a window over one file."""
import json
import os

from . import files
from . import state as store
from .cli import UsageError, parse_line_number
from .window import WINDOW, centred_on, clamp_first, render


def open_file(argv):
    if len(argv) not in (1, 2):
        raise UsageError("usage: open <path> [<line>]")
    path = os.path.abspath(argv[0])
    files.check_text_file(path)
    total = files.count_lines(path)
    first = 1
    if len(argv) == 2:
        first = centred_on(_check_line(parse_line_number(argv[1]), total), total)
    _show(path, total, first)


def goto(argv):
    if len(argv) != 1:
        raise UsageError("usage: goto <line>")
    line = parse_line_number(argv[0])
    path, total, _ = current_file()
    _show(path, total, centred_on(_check_line(line, total), total))


def scroll_down(argv):
    _scroll(argv, "scroll_down", WINDOW, "(already at the end of the file)")


def scroll_up(argv):
    _scroll(argv, "scroll_up", -WINDOW, "(already at the top of the file)")


def create(argv):
    if len(argv) != 1:
        raise UsageError("usage: create <path>")
    path = os.path.abspath(argv[0])
    if os.path.lexists(path):
        raise UsageError(f"{path} already exists; use `open {argv[0]}` to view it")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "x", encoding="utf-8"):
        pass
    _show(path, 0, 1)


def state(argv):
    if argv:
        raise UsageError("usage: state")
    print(json.dumps({"open_file": store.load()["open_file"], "working_dir": os.getcwd()}))


def current_file():
    """(path, total lines, first visible line) of the open file, or a usage error."""
    saved = store.load()
    path = saved["open_file"]
    if path is None:
        raise UsageError("no file is open; use `open <path>` first")
    if not os.path.isfile(path):
        raise UsageError(f"the open file {path} no longer exists; open another file")
    total = files.count_lines(path)
    return path, total, clamp_first(saved["first_line"], total)


def _scroll(argv, name, delta, note):
    if argv:
        raise UsageError(f"usage: {name}")
    path, total, first = current_file()
    moved = clamp_first(first + delta, total)
    _show(path, total, moved)
    if moved == first:
        print(note)


def _check_line(line, total):
    if not 1 <= line <= total:
        raise UsageError(f"line {line} is out of range: the file has {total} lines")
    return line


def _show(path, total, first):
    print(render(path, total, first, files.read_range(path, first, WINDOW)))
    store.save(path, first)
