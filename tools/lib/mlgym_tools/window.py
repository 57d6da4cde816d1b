"""The 100-line view of the open file that open/goto/scroll/edit print."""
WINDOW = 100
CR = "\r"


def clamp_first(first, total):
    """Keeps the window inside the file, so the last window is full rather than mostly empty."""
    return max(1, min(first, total - WINDOW + 1))


def centred_on(line, total):
    return clamp_first(line - WINDOW // 2, total)


def render(path, total, first, shown):
    """`shown` holds the file's lines first..first+len(shown)-1."""
    out = [f"[File: {path} ({total} lines total)]"]
    if total == 0:
        out.append("(this file is empty)")
        return "\n".join(out)
    if first > 1:
        out.append(f"({first - 1} more lines above)")
    for number, line in enumerate(shown, first):
        out.append(f"{number}:{line.rstrip(CR)}")  # CRLF files show like any other
    below = total - (first - 1 + len(shown))
    if below > 0:
        out.append(f"({below} more lines below)")
    return "\n".join(out)
