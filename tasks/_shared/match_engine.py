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

import importlib.util
import json
import os
import random
import sys
import time
from typing import Callable, NamedTuple, Optional

import untrusted_child  # from this folder, like this module: see untrusted_child's docstring

SEED_FILE = "eval_seed.txt"
DEV_SEED = 20240611
STRATEGY_SEED = 1234  # seeds the `random` module of the strategy's process
LOAD_TIMEOUT = 30.0  # seconds to import strategy.py
MOVE_TIMEOUT = 5.0  # seconds per move
TOTAL_TIMEOUT = 600.0  # seconds for the whole evaluation

# The strategy's process (see untrusted_child.child_program): loads strategy.py, then answers each
# {"history": ...} line with {"move": ...}.
CHILD_CODE = untrusted_child.child_program(imports=("operator", "random", "traceback"), body=r'''def fail(what):
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
''')


class Rules(NamedTuple):
    """What differs from one game task to the next; each evaluate.py supplies these."""

    check_move: Callable[[object], Optional[str]]  # why a row move is illegal, or None when legal
    payoff: Callable[[object, object], float]  # the row player's payoff for (row move, column move)
    rounds: int  # rounds per game; the history resets between games
    simulations: int  # games played; the score is the mean over games of the mean payoff per round


StrategyError = untrusted_child.ChildError  # the submitted strategy failed; the message says why


def load_opponent(task_dir):
    spec = importlib.util.spec_from_file_location("target", os.path.join(task_dir, "target.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # From here on, nothing is imported from this folder: the strategy process may write there.
    # (This module and untrusted_child were imported by evaluate.py before any strategy ran.)
    untrusted_child.stop_imports_from(task_dir)
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


class StrategyProcess(untrusted_child.UntrustedChild):
    """The submitted strategy, running in its own process in a private copy of its folder."""

    label = "strategy process"
    oversized = "the {label} sent an oversized message"
    malformed = "the {label} sent a malformed message: {line!r}"
    failed = "{error}"
    root_fallback_warning = ("evaluate.py: WARNING: no Python interpreter runnable by an unprivileged "
                             "user (tried {tried}); the strategy runs as root, unisolated")

    def __init__(self, strategy_path):
        super().__init__(strategy_path, "strategy.py")

    def start(self):
        code = CHILD_CODE.replace("__STRATEGY_SEED__", str(STRATEGY_SEED))
        reply = super().start(code, LOAD_TIMEOUT, "loading strategy.py")
        if reply.get("ready") is not True:
            raise StrategyError("unexpected first message from the strategy process: %r" % (reply,))

    def move(self, history, doing):
        self.send(json.dumps({"history": history}).encode() + b"\n", doing)
        reply = self.receive(MOVE_TIMEOUT, doing)
        if "move" not in reply:
            raise StrategyError("the strategy process sent no move while %s" % doing)
        return reply["move"]


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
    untrusted_child.harden_self()
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
