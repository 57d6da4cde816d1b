"""Baseline branching heuristic for the DPLL solver in solver.py.

Improve `heuristic_fn`, keeping its name and signature: the solver calls it at every decision
with its current state and branches on the variable it returns, trying the returned value first.
  clauses             the clauses not yet satisfied, each reduced to its unassigned literals
                      (lists of ints: 3 means "x3 is true", -3 "x3 is false"; never empty here)
  assignments         dict {variable: bool} of the variables assigned so far
  conflict_count      dict {variable: int}: how often assigning that variable falsified a clause
  assignment_history  list of the assigned variables, oldest first
  level               list of decision levels, each the list of variables assigned at that level
Return (variable, value): an unassigned variable and the boolean value to try first.
These are the solver's own objects: read them, never modify them.
"""
import random


def heuristic_fn(clauses, assignments, conflict_count, assignment_history, level):
    # Reseeded at every call, so that the baseline makes the same choices on every run.
    random.seed(10)

    # Branch on a random variable among those that still occur in an unsatisfied clause...
    candidates = list(set(abs(lit) for clause in clauses for lit in clause))
    variable = random.choice(candidates)

    # ...and always try True first.
    value = True
    return variable, value
