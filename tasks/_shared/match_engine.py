"""Sandboxed match engine shared by the game tasks (battleOfSexes, prisonersDilemma, blotto).

Each task's evaluate.py holds only its game's rules (which moves are legal, what a round pays the
row player, how many rounds and games) and hands them to run_matches(); everything else about
scoring a strategy is the same for every game and lives here, once. The task folders hold a
relative symlink to this file and list it in evaluator_support_paths, so the harness copies it
(following the link) next to evaluate.py, in the trusted evaluation directory and read-only in
the agent's workspace.

The submitted strategy never runs inside this process. It runs in a child Python process that
receives each round's history as a JSON line on stdin and answers with its move on stdout, so it
cannot patch the evaluator, see the opponent's random state or print a score of its own.
The opponent's random generator is seeded from a hidden seed file when the evaluation harness
provides one (scores are then reproducible but cannot be predicted from this file), otherwise
from DEV_SEED: running evaluate.py in your workspace gives a close but not identical score.
"""

import collections
import ctypes
import importlib.util
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Callable, NamedTuple, Optional

SEED_FILE = "eval_seed.txt"
DEV_SEED = 20240611
STRATEGY_SEED = 1234  # seeds the `random` module of the strategy's process
LOAD_TIMEOUT = 30.0  # seconds to import strategy.py
MOVE_TIMEOUT = 5.0  # seconds per move
TOTAL_TIMEOUT = 600.0  # seconds for the whole evaluation
UNPRIVILEGED_ID = 65534  # `nobody`: the strategy runs as this user when the evaluator runs as root

CHILD_CODE = r'''
import json, operator, os, random, sys, traceback
proto_in = os.fdopen(os.dup(0), "rb")
proto_out = os.fdopen(os.dup(1), "w")
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.dup2(2, 1)  # anything the strategy prints goes to stderr, not into the protocol
sys.stdin = open(os.devnull)
sys.stdout = sys.stderr

def send(message):
    proto_out.write(json.dumps(message) + "\n")
    proto_out.flush()

def fail(what):
    send({"error": what + "\n" + traceback.format_exc()[-3000:]})
    sys.exit(1)

def plain(value):
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (int, float)):
        return plain(value.tolist())
    try:
        return operator.index(value)
    except TypeError:
        return value

random.seed(__STRATEGY_SEED__)
try:
    import strategy
    row_strategy = strategy.row_strategy
    if not callable(row_strategy):
        raise TypeError("row_strategy is not a function")
except BaseException:
    fail("strategy.py could not be loaded: it must define row_strategy(history).")
send({"ready": True})
for line in proto_in:
    history = [tuple(pair) for pair in json.loads(line)["history"]]
    try:
        move = plain(row_strategy(history))
    except BaseException:
        fail("row_strategy raised an exception:")
    try:
        text = json.dumps({"move": move})
    except (TypeError, ValueError):
        send({"error": "row_strategy returned %r, which is not a move." % (move,)})
        sys.exit(1)
    proto_out.write(text + "\n")
    proto_out.flush()
'''


class Rules(NamedTuple):
    """What differs from one game task to the next; each evaluate.py supplies these."""

    check_move: Callable[[object], Optional[str]]  # why a row move is illegal, or None when legal
    payoff: Callable[[object, object], float]  # the row player's payoff for (row move, column move)
    rounds: int  # rounds per game; the history resets between games
    simulations: int  # games played; the score is the mean over games of the mean payoff per round


class StrategyError(Exception):
    """The submitted strategy failed; the message says why."""


def harden_self():
    """Keep same-user processes out of this one (no /proc/<pid>/fd, mem or ptrace access) and
    adopt any process the strategy leaves behind so that it can be killed before exiting."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER = 1
    except (OSError, AttributeError):
        pass


def load_opponent(task_dir):
    spec = importlib.util.spec_from_file_location("target", os.path.join(task_dir, "target.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # From here on, nothing is imported from this folder: the strategy process may write there.
    # (This module itself was imported by evaluate.py before any strategy ran.)
    sys.path[:] = [p for p in sys.path if p not in ("", ".", task_dir)]
    return module.target_column_strategy


def read_seed(task_dir):
    path = os.path.join(task_dir, SEED_FILE)
    if not os.path.exists(path):
        print("evaluate.py: no %s here, using the development seed" % SEED_FILE, file=sys.stderr)
        return DEV_SEED
    with open(path) as handle:
        seed = int(handle.read().strip())
    try:
        os.chmod(path, 0o600)  # unreadable for the unprivileged strategy process
    except OSError:
        pass
    return seed


def kill_leftovers():
    """Kill every process this evaluator still has below it (including re-parented orphans)."""
    me = os.getpid()
    for _ in range(100):
        children = []
        for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == me:
                children.append(int(name))
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (OSError, ChildProcessError):
                pass


class StrategyProcess:
    """The submitted strategy, running in its own process in a private copy of its folder."""

    def __init__(self, strategy_path):
        if not os.path.isfile(strategy_path):
            raise StrategyError("no strategy file at %s" % strategy_path)
        self.workdir = tempfile.mkdtemp(prefix="strategy-")
        shutil.copyfile(strategy_path, os.path.join(self.workdir, "strategy.py"))
        self.buffer = b""
        self.stderr_tail = collections.deque(maxlen=64)
        self.process = None
        self.reader = None

    def start(self):
        self.process = self._spawn()
        self.reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self.reader.start()
        reply = self._receive(LOAD_TIMEOUT, "loading strategy.py")
        if reply.get("ready") is not True:
            raise StrategyError("unexpected first message from the strategy process: %r" % (reply,))

    def _spawn(self):
        command = [sys.executable, "-s", "-B", "-c", CHILD_CODE.replace("__STRATEGY_SEED__", str(STRATEGY_SEED))]
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.workdir, "PYTHONHASHSEED": "0",
               "LC_ALL": "C.UTF-8"}
        options = dict(cwd=self.workdir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, close_fds=True, start_new_session=True)
        if os.geteuid() == 0:
            # Running as root: the strategy runs as `nobody`, which can neither read the seed nor
            # touch this process or its files. `nobody` may be unable to run this interpreter
            # (e.g. one installed under /root): then try the system's.
            for path in (self.workdir, os.path.join(self.workdir, "strategy.py")):
                os.chown(path, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
            tried = []
            for python in (sys.executable, "/usr/local/bin/python3", "/usr/bin/python3"):
                if python in tried or not os.path.isfile(python):
                    continue
                tried.append(python)
                try:
                    return subprocess.Popen([python] + command[1:], user=UNPRIVILEGED_ID,
                                            group=UNPRIVILEGED_ID, extra_groups=[], **options)
                except PermissionError:
                    continue
            print("evaluate.py: WARNING: no Python interpreter runnable by an unprivileged user "
                  "(tried %s); the strategy runs as root, unisolated" % ", ".join(tried),
                  file=sys.stderr)
        return subprocess.Popen(command, **options)

    def _drain_stderr(self):
        stream = self.process.stderr
        while True:
            chunk = stream.read1(4096) if hasattr(stream, "read1") else stream.read(4096)
            if not chunk:
                return
            self.stderr_tail.append(chunk)

    def stderr_text(self):
        return b"".join(self.stderr_tail).decode("utf-8", "replace")[-2000:]

    def _receive(self, timeout, doing):
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise StrategyError("timed out after %.0f s while %s" % (timeout, doing))
            chunk = os.read(fd, 65536)
            if not chunk:
                code = self.process.wait()
                raise StrategyError("the strategy process exited (code %s) while %s" % (code, doing))
            self.buffer += chunk
            if len(self.buffer) > 1 << 20:
                raise StrategyError("the strategy process sent an oversized message")
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            raise StrategyError("the strategy process sent a malformed message: %r" % line[:200])
        if not isinstance(reply, dict):
            raise StrategyError("the strategy process sent a malformed message: %r" % line[:200])
        if "error" in reply:
            raise StrategyError(str(reply["error"]))
        return reply

    def move(self, history, doing):
        try:
            self.process.stdin.write(json.dumps({"history": history}).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            self.process.wait()
            raise StrategyError("the strategy process exited (code %s) while %s"
                                % (self.process.returncode, doing))
        reply = self._receive(MOVE_TIMEOUT, doing)
        if "move" not in reply:
            raise StrategyError("the strategy process sent no move while %s" % doing)
        return reply["move"]

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


def play(strategy, opponent, seed, rules):
    # The opponent draws from the global `random` module, seeded here once: the order of its calls
    # (one per round, games in order) fixes the score for a given seed, so keep this loop's order.
    random.seed(seed)
    started = time.monotonic()
    total = 0.0
    for game in range(1, rules.simulations + 1):
        if time.monotonic() - started > TOTAL_TIMEOUT:
            raise StrategyError("the evaluation took longer than %.0f s" % TOTAL_TIMEOUT)
        history = []
        game_payoff = 0
        for round_number in range(1, rules.rounds + 1):
            doing = "playing round %d of game %d" % (round_number, game)
            row_move = strategy.move(history, doing)
            problem = rules.check_move(row_move)
            if problem:
                raise StrategyError("row_strategy returned %r in round %d of game %d: %s"
                                    % (row_move, round_number, game, problem))
            column_move = opponent(list(history))
            history.append((row_move, column_move))
            game_payoff += rules.payoff(row_move, column_move)
        total += game_payoff / rules.rounds
    return total / rules.simulations


def fail(message, details=""):
    print("evaluate.py: the strategy failed: %s" % message, file=sys.stderr)
    if details.strip():
        print("--- stderr of the strategy (last lines) ---\n" + details, file=sys.stderr)
    sys.exit(1)


def matrix_game(row_payoffs, illegal_move):
    """The check_move and payoff of a game given by a payoff table (battleOfSexes,
    prisonersDilemma): row_payoffs[(row move, column move)] is the row player's payoff, the legal
    moves are the integers that name its rows, and illegal_move says so for any other move."""
    legal = {row_move for row_move, _ in row_payoffs}

    def check_move(move):
        if type(move) is not int or move not in legal:  # `type`, not isinstance: True is no move
            return illegal_move
        return None

    def payoff(row_move, column_move):
        return row_payoffs[(row_move, column_move)]

    return check_move, payoff


def run_matches(*, check_move, payoff, rounds, simulations, evaluator_path):
    """Score a strategy at one game: the whole of `python3 evaluate.py [path/to/strategy.py]`.

    check_move(move) returns why the row player's move is illegal, or None when it is legal;
    payoff(row_move, column_move) is the row player's payoff for one round. evaluator_path is the
    caller's __file__: target.py, the hidden seed file (when the harness provides one) and the
    default strategy.py are next to it. The strategy scored is sys.argv[1], else that strategy.py.

    Prints one JSON line on stdout, {"Score": <mean payoff per round>}, and returns. When the
    strategy cannot be loaded, crashes, answers too slowly or returns an illegal move, prints the
    reason on stderr and exits 1 without a score.
    """
    rules = Rules(check_move, payoff, rounds, simulations)
    task_dir = os.path.dirname(os.path.abspath(evaluator_path))
    harden_self()
    sys.dont_write_bytecode = True
    opponent = load_opponent(task_dir)
    seed = read_seed(task_dir)
    strategy_path = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(task_dir, "strategy.py")
    try:
        strategy = StrategyProcess(strategy_path)
    except StrategyError as error:
        fail(str(error))
    try:
        strategy.start()
        score = play(strategy, opponent, seed, rules)
    except StrategyError as error:
        strategy.close()
        fail(str(error), strategy.stderr_text())
    finally:
        strategy.close()
    print(json.dumps({"Score": round(score, 6)}))
    sys.stdout.flush()
