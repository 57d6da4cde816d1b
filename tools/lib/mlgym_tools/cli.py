"""Entry point shared by the scripts in tools/bin: dispatch and uniform error reporting."""
import os
import sys


class UsageError(Exception):
    """A mistake the agent can fix (bad arguments, no open file, line out of range)."""


def _commands():
    # Imported lazily so a tool only loads the modules it needs (each call is a fresh process).
    from . import editor, search, viewer

    return {
        "open": viewer.open_file,
        "goto": viewer.goto,
        "scroll_up": viewer.scroll_up,
        "scroll_down": viewer.scroll_down,
        "create": viewer.create,
        "state": viewer.state,
        "edit": editor.edit,
        "insert": editor.insert,
        "search_dir": search.search_dir,
        "search_file": search.search_file,
        "find_file": search.find_file,
    }


def run(name, argv):
    """Runs tool `name`; usage errors and OS errors go to stderr with exit code 1."""
    # Files may hold bytes that are not UTF-8 (kept as surrogates); never crash while printing them.
    sys.stdout.reconfigure(errors="replace")
    try:
        code = _commands()[name](argv)
    except BrokenPipeError:
        # The agent piped us into `head`; stop quietly like other shell commands do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except UsageError as err:
        print(f"{name}: {err}", file=sys.stderr)
        sys.exit(1)
    except OSError as err:
        print(f"{name}: {err.strerror or err}: {err.filename or ''}".rstrip(": "), file=sys.stderr)
        sys.exit(1)
    sys.exit(code or 0)


def parse_line_number(text, what="line"):
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{what} must be an integer, got {text!r}") from None
