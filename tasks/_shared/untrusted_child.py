"""Runs submitted (untrusted) Python code in a child process, for a trusted evaluator.

Shared by the evaluators that score submitted code: match_engine.py (the game tasks
battleOfSexes, prisonersDilemma, blotto) and 3SATTime/evaluate.py. Each of those task folders
holds a relative symlink to this file and lists it in evaluator_support_paths, so the harness
copies it (as a plain file) next to evaluate.py. The evaluator imports it from its own folder
(sys.path[0]) before any submitted code runs, then calls stop_imports_from() on that folder.

The submitted code never runs in the evaluator's process, where it could patch the scorer or
print a score of its own. Why each step below exists:

- harden_self(): the evaluator becomes non-dumpable, so a child running as the same user (when
  the evaluator is not root) cannot ptrace it or read its /proc/<pid>/fd, mem or environ; and it
  becomes a child subreaper, so processes the child leaves behind (even double-forked ones) are
  re-parented to the evaluator, where kill_leftovers() finds and kills them.
- stop_imports_from(): the evaluation folder is world-writable (the harness makes it sticky
  1777), so once the child runs it may drop e.g. a json.py there; the evaluator must import
  nothing more from that folder, even lazily on an error path.
- UntrustedChild copies the submission into a fresh private folder and runs it there, so it
  never gets the evaluation folder as its working directory or import path.
- As root, the child runs as `nobody` (UNPRIVILEGED_ID) with no supplementary groups and owns only
  its private folder: it can read neither the evaluator's hidden files (seed, answers) nor touch
  the evaluator's process or files.
- The child gets a minimal environment (no inherited secrets, fixed hash seed and locale), no
  user site-packages (-s) and writes no bytecode (-B), in a new session so that killing its
  process group kills everything it started.
- Protocol: one JSON object per line; the evaluator writes to the child's stdin and reads the
  child's stdout. The child program (child_program()) moves the protocol onto duplicated
  descriptors and points fd 0 at /dev/null and fd 1 at stderr, so whatever the submitted code
  reads or prints cannot corrupt or forge protocol messages.
- Every read has a deadline (select) and a size limit, so a hung, slow or flooding child fails
  with a clear message instead of stalling or exhausting the evaluator; its stderr is drained by
  a thread into a bounded tail (a full pipe would block the child, an unbounded buffer would eat
  memory), shown when it fails.
- close() kills the child's process group, then every process left below the evaluator, and
  removes the private folder.
"""

import collections
import ctypes
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

UNPRIVILEGED_ID = 65534  # `nobody`: the child runs as this user when the evaluator runs as root
# `nobody` may be unable to run this interpreter (e.g. one installed under /root): then the system's.
PYTHONS = (sys.executable, "/usr/local/bin/python3", "/usr/bin/python3")

CHILD_PROTOCOL = r'''proto_in = os.fdopen(os.dup(0), "rb")
proto_out = os.fdopen(os.dup(1), "w")
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.dup2(2, 1)  # whatever the submitted code prints goes to stderr, not into the protocol
sys.stdin = open(os.devnull)
sys.stdout = sys.stderr

def send(message):
    proto_out.write(json.dumps(message) + "\n")
    proto_out.flush()

'''


def child_program(body, imports=()):
    """The source of a child program: imports json, os, sys and `imports`, sets up the protocol
    (proto_in: the evaluator's lines, binary; proto_out: text to the evaluator; send(message):
    writes one JSON line), then runs `body`, which loads the submission, sends {"ready": true}
    and answers each line of proto_in with one line, or sends {"error": ...} and exits."""
    modules = ", ".join(sorted({"json", "os", "sys", *imports}))
    return "\nimport %s\n%s%s" % (modules, CHILD_PROTOCOL, body)


class ChildError(Exception):
    """The submitted code failed; the message says why, `details` (a traceback) may say where."""

    def __init__(self, message, details=""):
        super().__init__(message)
        self.details = details


def harden_self():
    """Keep same-user processes out of this one (no /proc/<pid>/fd, mem or ptrace access) and
    adopt any process the child leaves behind so that it can be killed before exiting."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER = 1
    except (OSError, AttributeError):
        pass


def stop_imports_from(folder):
    """Import nothing more from `folder` (nor the working directory): the child may write there.
    Call it once everything the evaluator needs from its folder has been imported."""
    folder = os.path.abspath(folder)
    sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.abspath(p) != folder]


def kill_leftovers():
    """Kill every process still below this one (including orphans re-parented to it)."""
    me = os.getpid()
    for _ in range(100):
        children = []
        for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == me:
                children.append(int(name))
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (OSError, ChildProcessError):
                pass


class UntrustedChild:
    """A submitted file, copied as `file_name` into a private folder and run there by a child
    program (see child_program) that talks line-JSON. Errors raise ChildError.

    Evaluators subclass it to word their error messages: the class attributes below are
    str.format templates (fields: label, doing, line, error, tried)."""

    label = "child process"  # how messages name the child: "the <label> exited (code 1) while ..."
    max_message = 1 << 20  # bytes of one protocol line
    stderr_chars = 2000  # how much of the child's stderr stderr_text() returns
    oversized = "the {label} sent an oversized message while {doing}"
    malformed = "the {label} sent a malformed message while {doing}: {line!r}"
    failed = "{doing} failed: {error}"  # the child sent {"error": ..., "traceback": ...}
    # Without an interpreter `nobody` can run: None refuses to run the child as root (it could
    # then read everything the evaluator hides); a warning template runs it as root regardless.
    root_fallback_warning = None

    def __init__(self, source_path, file_name):
        stem = os.path.splitext(file_name)[0]
        if not os.path.isfile(source_path):
            raise ChildError("no %s file at %s" % (stem, source_path))
        self.workdir = tempfile.mkdtemp(prefix=stem + "-")
        self.path = os.path.join(self.workdir, file_name)
        shutil.copyfile(source_path, self.path)
        self.buffer = b""
        self.stderr_tail = collections.deque(maxlen=64)
        self.process = None
        self.reader = None

    def start(self, code, timeout, doing):
        """Start `python -c code` and return its first message (it has `timeout` s to send it)."""
        self.process = self._spawn(code)
        self.reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self.reader.start()
        return self.receive(timeout, doing)

    def _spawn(self, code):
        command = [sys.executable, "-s", "-B", "-c", code]
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.workdir, "PYTHONHASHSEED": "0",
               "LC_ALL": "C.UTF-8"}
        options = dict(cwd=self.workdir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, close_fds=True, start_new_session=True)
        if os.geteuid() != 0:
            return subprocess.Popen(command, **options)
        for path in (self.workdir, self.path):
            os.chown(path, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
        tried = []
        for python in dict.fromkeys(PYTHONS):
            if not os.path.isfile(python):
                continue
            tried.append(python)
            try:
                return subprocess.Popen([python] + command[1:], user=UNPRIVILEGED_ID,
                                        group=UNPRIVILEGED_ID, extra_groups=[], **options)
            except PermissionError:
                continue
        if self.root_fallback_warning is None:
            raise ChildError("no Python interpreter here can run as an unprivileged user")
        print(self.root_fallback_warning.format(tried=", ".join(tried)), file=sys.stderr)
        return subprocess.Popen(command, **options)

    def _drain_stderr(self):
        stream = self.process.stderr
        while True:
            chunk = stream.read1(4096)
            if not chunk:
                return
            self.stderr_tail.append(chunk)

    def stderr_text(self):
        """The end of what the child wrote on stderr (its prints and tracebacks)."""
        return b"".join(self.stderr_tail).decode("utf-8", "replace")[-self.stderr_chars:]

    def send(self, line, doing=None):
        """Write one protocol line (bytes ending in a newline) to the child."""
        try:
            self.process.stdin.write(line)
            self.process.stdin.flush()
        except OSError:
            message = "the %s exited (code %s)" % (self.label, self.process.wait())
            raise ChildError(message + (" while %s" % doing if doing else ""))

    def receive(self, timeout, doing):
        """The child's next message, a dict, waiting at most `timeout` s; `doing` says for what."""
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise ChildError("timed out after %.0f s while %s" % (timeout, doing))
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise ChildError("the %s exited (code %s) while %s" % (self.label, self.process.wait(), doing))
            self.buffer += chunk
            if len(self.buffer) > self.max_message:
                raise ChildError(self.oversized.format(label=self.label, doing=doing))
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise ChildError(self.malformed.format(label=self.label, doing=doing, line=line[:200]))
        if "error" in reply:
            raise ChildError(self.failed.format(doing=doing, error=reply["error"]),
                             str(reply.get("traceback", "")))
        return reply

    def close(self):
        """Kill the child and everything it started, and remove its private folder."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
            self.process.wait()
        kill_leftovers()
        if self.reader is not None:
            self.reader.join(timeout=2)
        shutil.rmtree(self.workdir, ignore_errors=True)
