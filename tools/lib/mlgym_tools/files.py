"""Reading and writing text files line by line.

Lines are split on "\n" only, like grep, sed and wc, so line numbers agree with the shell. Bytes that
are not UTF-8 survive an edit unchanged (surrogateescape).
"""
import itertools
import os

from .cli import UsageError

ENCODING = "utf-8"
ERRORS = "surrogateescape"


def check_text_file(path):
    if not os.path.exists(path):
        raise UsageError(f"file {path} not found")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory (use ls, find_file or search_dir)")
    with open(path, "rb") as f:
        head = f.read(8192)
    if b"\0" in head:
        raise UsageError(f"{path} looks like a binary file; these tools show text files only")


def count_lines(path):
    # Streams the bytes: data files in a workspace can be far larger than the sandbox's memory.
    count = 0
    last = b"\n"
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)


def read_range(path, first, n):
    """Lines first..first+n-1 (1-based) without their line endings."""
    with open(path, "rb") as f:
        return [_decode(raw) for raw in itertools.islice(f, first - 1, first - 1 + n)]


def read_all(path):
    with open(path, "rb") as f:
        text = f.read().decode(ENCODING, ERRORS)
    return split_lines(text)


def split_lines(text):
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def write_all(path, lines):
    with open(path, "wb") as f:
        f.write(join_lines(lines).encode(ENCODING, ERRORS))


def join_lines(lines):
    return "".join(line + "\n" for line in lines)


def uses_crlf(lines):
    return bool(lines) and lines[0].endswith("\r")


def _decode(raw):
    return raw.decode(ENCODING, ERRORS).rstrip("\n")
