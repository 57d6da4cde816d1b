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

import json
import os
import sys
import time

sys.dont_write_bytecode = True  # so importing untrusted_child writes no __pycache__ where it is run
# untrusted_child.py is a copy of tasks/_shared/untrusted_child.py next to this file (sys.path[0]);
# main() imports nothing more from this folder once the heuristic can run.
import untrusted_child  # noqa: E402  (after the line above on purpose)

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_INSTANCES = os.path.join(HERE, "hidden", "test_instances.jsonl")
TEST_ANSWERS = os.path.join(HERE, "hidden", "test_answers.json")
DEV_INSTANCES = os.path.join(HERE, "data", "instances.jsonl")
LOAD_TIMEOUT = 30.0  # seconds to import the solver and the heuristic
INSTANCE_TIMEOUT = 60.0  # seconds per instance
TOTAL_TIMEOUT = 1500.0  # seconds for all instances (the harness stops the evaluation at 1800)

# The solver's process (see untrusted_child.child_program): loads solver.py and heuristic.py, then
# answers each formula with {"sat": ..., "model": ..., "decisions": ...}.
CHILD_CODE = untrusted_child.child_program(imports=("importlib.util", "traceback"), body=r'''def fail(what):
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
''')


Failure = untrusted_child.ChildError  # the message says why, `details` (a traceback) may say where


class SolverProcess(untrusted_child.UntrustedChild):
    """The solver with the submitted heuristic, in its own process and a private folder. As root,
    the heuristic runs as `nobody`, which can read neither the hidden answers nor this process;
    without an interpreter `nobody` can run, it does not run at all (never as root, where it could
    read the hidden answers: root_fallback_warning stays None)."""

    label = "solver process"
    max_message = 1 << 22
    stderr_chars = 1500

    def __init__(self, heuristic_path):
        super().__init__(heuristic_path, "heuristic.py")

    def start(self):
        code = CHILD_CODE.replace("__SOLVER__", repr(os.path.join(HERE, "solver.py")))
        if super().start(code, LOAD_TIMEOUT, "loading heuristic.py").get("ready") is not True:
            raise Failure("unexpected first message from the solver process")


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
    untrusted_child.harden_self()
    # From here on, nothing is imported from this folder: the heuristic's process may write there.
    untrusted_child.stop_imports_from(HERE)
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
