"""Generates the 3-SAT instances of the 3SATTime task (MLGym ships none: its dataset.pkl is missing).

Usage: python3 prepare.py --out DIR [--small] [--source DIR]

Writes
  DIR/public/instances.jsonl       development instances, no answers (the agent's data/)
  DIR/hidden/test_instances.jsonl  the scored instances (never shown to the agent)
  DIR/hidden/test_answers.json     {"<name>": "SAT" | "UNSAT"} for the scored instances
One instance per line: {"name": ..., "num_vars": n, "num_clauses": m, "clauses": [[1, -5, 7], ...]}.

Instances are uniform random 3-SAT at the phase transition (m = round(4.26 n) clauses, each over 3
distinct variables with random signs), for n = 10, 15, 20, 25 and 30 variables: as many of each
size, half of them satisfiable and half unsatisfiable. Each is decided here by the complete
solver below (a satisfying assignment is checked against every clause before an instance is
labelled SAT); generation is seeded, so the output is the same on every run.

The full variant has MLGym's 24,000 scored instances (about a minute to prepare); --small has a few
hundred of each split, a prefix of the full variant's, and takes a few seconds. No network is used;
--source is accepted for uniformity with the other tasks and ignored.
"""

import argparse
import json
import os
import random
import sys
import time

SIZES = (10, 15, 20, 25, 30)  # numbers of variables
RATIO = 4.26  # clauses per variable: the satisfiability threshold of random 3-SAT
# Instances per size and label (SAT and UNSAT alike) in each split.
FULL = {"test": 2400, "dev": 240}  # 5 sizes x 2 labels x 2400 = 24,000 scored instances, as MLGym
SMALL = {"test": 50, "dev": 10}
SEED = "3SATTime-v1"


def random_formula(rng, num_vars):
    clauses = []
    for _ in range(round(RATIO * num_vars)):
        variables = rng.sample(range(1, num_vars + 1), 3)
        clauses.append([v if rng.random() < 0.5 else -v for v in variables])
    return clauses


# --- a complete solver, independent of the task's solver.py ---------------------------------------

def _set_true(clauses, literal):
    """The clauses once `literal` is true, or None when one of them becomes empty."""
    out = []
    for clause in clauses:
        if literal in clause:
            continue
        if -literal in clause:
            clause = [lit for lit in clause if lit != -literal]
            if not clause:
                return None
        out.append(clause)
    return out


def _dpll(clauses, model):
    # Unit propagation.
    while True:
        unit = next((clause[0] for clause in clauses if len(clause) == 1), None)
        if unit is None:
            break
        model.append(unit)
        clauses = _set_true(clauses, unit)
        if clauses is None:
            return False
    if not clauses:
        return True
    # Branch on the literal with the largest Jeroslow-Wang weight (short clauses count most).
    weight = {}
    for clause in clauses:
        w = 0.5 ** len(clause)
        for lit in clause:
            weight[lit] = weight.get(lit, 0.0) + w
    literal = max(weight, key=lambda lit: (weight[lit] + weight.get(-lit, 0.0), weight[lit], lit))
    for choice in (literal, -literal):
        depth = len(model)
        model.append(choice)
        reduced = _set_true(clauses, choice)
        if reduced is not None and _dpll(reduced, model):
            return True
        del model[depth:]
    return False


def decide(clauses):
    """'SAT' or 'UNSAT'; a SAT verdict is only returned once its assignment is checked."""
    model = []
    if not _dpll([list(clause) for clause in clauses], model):
        return "UNSAT"
    true = set(model)
    if any(-lit in true for lit in true) or not all(any(lit in true for lit in clause) for clause in clauses):
        raise AssertionError("the preparation solver returned a wrong assignment")
    return "SAT"


# --- generation -----------------------------------------------------------------------------------

def generate(split, per_label):
    """Instances of one split: per_label SAT and per_label UNSAT ones of every size, shuffled.
    Each (split, size) has its own random stream, kept in stream order, so that a smaller
    per_label gives a prefix of a larger one's instances (the small variant is part of the full)."""
    chosen = []
    for num_vars in SIZES:
        rng = random.Random("%s/%s/n%d" % (SEED, split, num_vars))
        kept = {"SAT": [], "UNSAT": []}
        while min(len(kept["SAT"]), len(kept["UNSAT"])) < per_label:
            clauses = random_formula(rng, num_vars)
            answer = decide(clauses)
            if len(kept[answer]) < per_label:
                kept[answer].append((num_vars, clauses, answer))
        chosen.extend(kept["SAT"] + kept["UNSAT"])
    random.Random("%s/%s/order" % (SEED, split)).shuffle(chosen)
    instances, answers = [], {}
    for index, (num_vars, clauses, answer) in enumerate(chosen):
        name = "%s-%05d" % (split, index)
        instances.append({"name": name, "num_vars": num_vars, "num_clauses": len(clauses), "clauses": clauses})
        answers[name] = answer
    return instances, answers


def write_jsonl(path, instances):
    with open(path, "w") as handle:
        for instance in instances:
            handle.write(json.dumps(instance, separators=(",", ":")) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output folder (public/ and hidden/ are written in it)")
    parser.add_argument("--small", action="store_true", help="a few hundred instances, for tests and demos")
    parser.add_argument("--source", help="ignored: this task's instances are generated, nothing is downloaded")
    args = parser.parse_args()
    if args.source:
        print("prepare.py: --source ignored: the instances are generated here", file=sys.stderr)
    counts = SMALL if args.small else FULL
    public, hidden = os.path.join(args.out, "public"), os.path.join(args.out, "hidden")
    os.makedirs(public, exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    started = time.monotonic()

    dev, _ = generate("dev", counts["dev"])  # the development answers are not published
    write_jsonl(os.path.join(public, "instances.jsonl"), dev)
    test, answers = generate("test", counts["test"])
    write_jsonl(os.path.join(hidden, "test_instances.jsonl"), test)
    with open(os.path.join(hidden, "test_answers.json"), "w") as handle:
        json.dump(answers, handle, indent=0, sort_keys=True)
    print("prepare.py: %d development and %d test instances (%d satisfiable) in %.0f s"
          % (len(dev), len(test), sum(a == "SAT" for a in answers.values()), time.monotonic() - started))


if __name__ == "__main__":
    main()
