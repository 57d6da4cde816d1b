"""Scores heuristic.py: how long the DPLL solver of solver.py takes, with it, to decide every instance.

Usage: python3 evaluate.py [path/to/heuristic.py]   (default: heuristic.py next to this file)

The heuristic never runs inside this process. A child process (as the unprivileged user `nobody`
when this runs as root) loads solver.py from this folder and the heuristic, receives one formula
at a time on a pipe, solves it and answers SAT with its assignment, or UNSAT. This process times
each formula from sending it to receiving the answer, and checks every answer against the formula
as it read it itself, so nothing the heuristic does to the solver's data can fake a solution:
  SAT    the assignment must make every clause of the formula true;
  UNSAT  must agree with the known answer (hidden/test_answers.json).
A wrong answer, a crash, an invalid decision or a timeout fails the evaluation: the reason is printed
on stderr, naming the instance, and the exit status is 1, with no score.

Which instances: with hidden/ (the official evaluation, MLGYM_SPLIT set by the harness) the hidden
test instances; otherwise data/instances.jsonl, the development instances, whose UNSAT answers
cannot be checked for lack of labels. Prints one JSON line:
  {"Time": seconds for all instances, "Correct": n, "Incorrect": 0, "Decisions": heuristic calls}
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

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_INSTANCES = os.path.join(HERE, "hidden", "test_instances.jsonl")
TEST_ANSWERS = os.path.join(HERE, "hidden", "test_answers.json")
DEV_INSTANCES = os.path.join(HERE, "data", "instances.jsonl")
LOAD_TIMEOUT = 30.0  # seconds to import the solver and the heuristic
INSTANCE_TIMEOUT = 60.0  # seconds per instance
TOTAL_TIMEOUT = 1500.0  # seconds for all instances (the harness stops the evaluation at 1800)
UNPRIVILEGED_ID = 65534  # `nobody`

CHILD_CODE = r'''
import importlib.util, json, os, sys, traceback
proto_in = os.fdopen(os.dup(0), "rb")
proto_out = os.fdopen(os.dup(1), "w")
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.dup2(2, 1)  # whatever the heuristic prints goes to stderr, not into the protocol
sys.stdin = open(os.devnull)
sys.stdout = sys.stderr

def send(message):
    proto_out.write(json.dumps(message) + "\n")
    proto_out.flush()

def fail(what):
    kind, error = sys.exc_info()[:2]
    send({"error": "%s %s: %s" % (what, kind.__name__, error),
          "traceback": traceback.format_exc(limit=-4)[-2000:]})
    sys.exit(1)

spec = importlib.util.spec_from_file_location("solver", __SOLVER__)
solver = importlib.util.module_from_spec(spec)
sys.modules["solver"] = solver
spec.loader.exec_module(solver)
sys.path.insert(0, os.getcwd())
try:
    import heuristic
    heuristic_fn = heuristic.heuristic_fn
    if not callable(heuristic_fn):
        raise TypeError("heuristic_fn is not a function")
except BaseException:
    fail("heuristic.py could not be loaded (it must define heuristic_fn(clauses, assignments, "
         "conflict_count, assignment_history, level)):")
send({"ready": True})
for line in proto_in:
    job = json.loads(line)
    try:
        dpll = solver.DPLL(job["clauses"], heuristic_fn, job["num_vars"])
        sat = dpll.solve()
        reply = {"sat": sat is True, "model": dpll.model() if sat is True else [], "decisions": dpll.num_decisions}
    except solver.HeuristicError as error:
        send({"error": str(error)})
        sys.exit(1)
    except RecursionError:
        fail("the solver exceeded Python's recursion limit:")
    except BaseException:
        fail("the solver or heuristic_fn raised")
    try:
        text = json.dumps(reply)
    except (TypeError, ValueError):
        send({"error": "the solver's answer could not be encoded: %r" % (reply,)})
        sys.exit(1)
    proto_out.write(text + "\n")
    proto_out.flush()
'''


class Failure(Exception):
    """The submission failed; the message says why, `details` (a traceback) may say where."""

    def __init__(self, message, details=""):
        super().__init__(message)
        self.details = details


def harden_self():
    """Keep same-user processes out of this one and adopt orphans of the child, to kill them."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER = 1
    except (OSError, AttributeError):
        pass


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


class SolverProcess:
    """The solver with the submitted heuristic, in its own process and a private folder."""

    def __init__(self, heuristic_path):
        if not os.path.isfile(heuristic_path):
            raise Failure("no heuristic file at %s" % heuristic_path)
        self.workdir = tempfile.mkdtemp(prefix="heuristic-")
        shutil.copyfile(heuristic_path, os.path.join(self.workdir, "heuristic.py"))
        self.buffer = b""
        self.stderr_tail = collections.deque(maxlen=64)
        self.process = None
        self.reader = None

    def start(self):
        code = CHILD_CODE.replace("__SOLVER__", repr(os.path.join(HERE, "solver.py")))
        command = [sys.executable, "-s", "-B", "-c", code]
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.workdir, "PYTHONHASHSEED": "0",
               "LC_ALL": "C.UTF-8"}
        options = dict(cwd=self.workdir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, close_fds=True, start_new_session=True)
        if os.geteuid() == 0:
            # As root: the heuristic runs as `nobody`, which can read neither the hidden answers
            # nor this process, and owns only its private folder.
            for path in (self.workdir, os.path.join(self.workdir, "heuristic.py")):
                os.chown(path, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
            # `nobody` may be unable to run this interpreter (one under /root, say): try the system's.
            for python in dict.fromkeys((sys.executable, "/usr/local/bin/python3", "/usr/bin/python3")):
                if not os.path.isfile(python):
                    continue
                try:
                    self.process = subprocess.Popen([python] + command[1:], user=UNPRIVILEGED_ID,
                                                    group=UNPRIVILEGED_ID, extra_groups=[], **options)
                    break
                except PermissionError:
                    continue
            else:
                # Never run it as root: it could then read the hidden answers.
                raise Failure("no Python interpreter here can run as an unprivileged user")
        else:
            self.process = subprocess.Popen(command, **options)
        self.reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self.reader.start()
        if self.receive(LOAD_TIMEOUT, "loading heuristic.py").get("ready") is not True:
            raise Failure("unexpected first message from the solver process")

    def _drain_stderr(self):
        stream = self.process.stderr
        while True:
            chunk = stream.read1(4096)
            if not chunk:
                return
            self.stderr_tail.append(chunk)

    def stderr_text(self):
        return b"".join(self.stderr_tail).decode("utf-8", "replace")[-1500:]

    def send(self, line):
        try:
            self.process.stdin.write(line)
            self.process.stdin.flush()
        except OSError:
            raise Failure("the solver process exited (code %s)" % self.process.wait())

    def receive(self, timeout, doing):
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise Failure("timed out after %.0f s while %s" % (timeout, doing))
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise Failure("the solver process exited (code %s) while %s" % (self.process.wait(), doing))
            self.buffer += chunk
            if len(self.buffer) > 1 << 22:
                raise Failure("the solver process sent an oversized message while %s" % doing)
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise Failure("the solver process sent a malformed message while %s: %r" % (doing, line[:200]))
        if "error" in reply:
            raise Failure("%s failed: %s" % (doing, reply["error"]), str(reply.get("traceback", "")))
        return reply

    def close(self):
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


def describe(instance):
    return "instance %s (%d variables, %d clauses)" % (
        instance["name"], instance["num_vars"], len(instance["clauses"]))


def check_model(instance, model):
    """Why `model` does not satisfy the instance, or None when it does."""
    if not isinstance(model, list) or any(type(lit) is not int for lit in model):
        return "its assignment is not a list of literals"
    true = set(model)
    for lit in true:
        if lit == 0 or abs(lit) > instance["num_vars"]:
            return "its assignment names %d, which is no literal of this formula" % lit
        if -lit in true:
            return "its assignment makes variable %d both true and false" % abs(lit)
    for index, clause in enumerate(instance["clauses"]):
        if not any(lit in true for lit in clause):
            return ("its assignment leaves clause %d %s unsatisfied (a heuristic must not change "
                    "the solver's data)" % (index, clause))
    return None


def run(solver, instances_path, answers):
    started = time.monotonic()
    total = 0.0
    correct = decisions = unchecked = 0
    with open(instances_path) as handle:
        for line in handle:
            if not line.strip():
                continue
            instance = json.loads(line)
            what = describe(instance)
            if time.monotonic() - started > TOTAL_TIMEOUT:
                raise Failure("the evaluation took longer than %.0f s (stopped before %s)" % (TOTAL_TIMEOUT, what))
            job = (json.dumps({"num_vars": instance["num_vars"], "clauses": instance["clauses"]},
                              separators=(",", ":")) + "\n").encode()
            # Timed: from sending the formula to receiving the complete answer.
            begin = time.perf_counter()
            solver.send(job)
            reply = solver.receive(INSTANCE_TIMEOUT, "solving " + what)
            total += time.perf_counter() - begin

            sat = reply.get("sat")
            if sat is True:
                problem = check_model(instance, reply.get("model"))
                if problem:
                    raise Failure("wrong answer on %s: the solver answered SAT, but %s." % (what, problem))
                if answers is not None and answers[instance["name"]] != "SAT":
                    raise AssertionError("%s is labelled UNSAT but has a solution: the task data is wrong" % what)
            elif sat is False:
                if answers is None:
                    unchecked += 1
                elif answers[instance["name"]] != "UNSAT":
                    raise Failure("wrong answer on %s: the solver answered UNSAT, but the formula is "
                                  "satisfiable." % what)
            else:
                raise Failure("the solver process sent no answer for %s" % what)
            correct += 1
            count = reply.get("decisions")
            decisions += count if type(count) is int else 0
    if unchecked:
        print("evaluate.py: %d UNSAT answers were not checked (no answers here; the official "
              "evaluation checks them)" % unchecked, file=sys.stderr)
    return {"Time": round(total, 3), "Correct": correct, "Incorrect": 0, "Decisions": decisions}


def fail(message, output="", details=""):
    # The reason goes last: the harness shows the agent only the end of stderr.
    if output.strip():
        print("--- output of the heuristic (last lines) ---\n%s" % "\n".join(output.strip().splitlines()[-5:]),
              file=sys.stderr)
    if details.strip():
        print("--- where ---\n%s" % details.strip(), file=sys.stderr)
    print("evaluate.py: the evaluation failed: %s" % message, file=sys.stderr)
    sys.exit(1)


def main():
    harden_self()
    sys.dont_write_bytecode = True
    if os.path.isdir(os.path.join(HERE, "hidden")):
        if os.geteuid() == 0:
            try:
                os.chmod(os.path.join(HERE, "hidden"), 0o700)  # out of reach of the heuristic's user
            except OSError:
                pass
        with open(TEST_ANSWERS) as handle:
            answers = json.load(handle)
        instances_path = TEST_INSTANCES
    elif os.environ.get("MLGYM_SPLIT"):
        fail("the hidden test instances (hidden/) are missing from the evaluation folder")
    else:
        print("evaluate.py: no hidden/ here: solving the development instances in data/", file=sys.stderr)
        answers = None
        instances_path = DEV_INSTANCES
    heuristic_path = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(HERE, "heuristic.py")
    try:
        solver = SolverProcess(heuristic_path)
    except Failure as error:
        fail(str(error))
    try:
        solver.start()
        metrics = run(solver, instances_path, answers)
    except Failure as error:
        solver.close()
        fail(str(error), solver.stderr_text(), error.details)
    finally:
        solver.close()
    print(json.dumps(metrics))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
