"""The DPLL solver that runs your heuristic (read-only: the evaluation always uses its own copy).

DPLL decides a CNF formula by search. At every node of the search tree it first applies unit
propagation (a clause with one literal left forces that literal), then asks the heuristic which
unassigned variable to branch on and which value to try first. When that branch fails it tries the
other value; when both fail it backtracks. A good heuristic finds a satisfying assignment with few
wrong turns, and proves unsatisfiability with a small search tree.

A formula is a list of clauses; a clause is a list of non-zero integers (DIMACS literals): 3 means
"variable 3 is true" and -3 "variable 3 is false". Variables are numbered 1..num_vars.

What the heuristic receives at a decision (the solver's own objects: read them, never change them):
  clauses             the clauses not yet satisfied, each reduced to its still-unassigned literals.
                      Unit propagation has already run, so every clause has at least 2 literals and
                      the list is not empty.
  assignments         dict {variable: bool} of the variables assigned so far
  conflict_count      dict {variable: int}: how often assigning that variable falsified a clause
  assignment_history  list of the assigned variables, oldest first
  level               list of decision levels, oldest first; each is the list of variables assigned
                      at that level (its decision variable first, then those propagated from it)
It returns (variable, value): an unassigned variable (1..num_vars) and the boolean value to try
first. A negative number is read as a literal, as in MLGym: (-3, True) sets variable 3 to False.
"""

import operator


class HeuristicError(Exception):
    """The heuristic returned something that is not a decision; the message says what."""


class DPLL:
    def __init__(self, clauses, heuristic_function, num_vars=None):
        self.heuristic_function = heuristic_function
        # Our own copy, so that nothing outside the solver shares its clause lists.
        self.formula = [list(dict.fromkeys(clause)) for clause in clauses]
        self.num_vars = num_vars if num_vars is not None else max(
            (abs(lit) for clause in self.formula for lit in clause), default=0)
        self.assignments = {}
        self.conflict_count = {}
        self.assignment_history = []
        self.level = []
        self.num_decisions = 0  # calls to the heuristic
        self.num_backtracks = 0  # branches that failed

    def solve(self):
        """True when the formula is satisfiable (self.assignments then satisfies it), else False."""
        if any(not clause for clause in self.formula):
            return False
        # A clause holding a literal and its negation is always true.
        clauses = [clause for clause in self.formula if not any(-lit in clause for lit in clause)]
        return self._search(clauses)

    def model(self):
        """The current assignment as a sorted list of true literals."""
        return [var if value else -var for var, value in sorted(self.assignments.items())]

    # --- search -------------------------------------------------------------------------------

    def _search(self, clauses):
        clauses = self._propagate(clauses)
        if clauses is None:
            return False
        if not clauses:
            return True
        variable, value = self._decide(clauses)
        for first_try in (True, False):
            literal = variable if (value if first_try else not value) else -variable
            mark = len(self.assignment_history)
            self.level.append([])
            reduced = self._assign(literal, clauses)
            if reduced is not None and self._search(reduced):
                return True
            self._undo(mark)
            self.num_backtracks += 1
        return False

    def _propagate(self, clauses):
        """Assign the literals of unit clauses until none is left. None on a conflict."""
        while clauses:
            for clause in clauses:
                if len(clause) == 1:
                    unit = clause[0]
                    break
            else:
                return clauses
            clauses = self._assign(unit, clauses)
        return clauses

    def _assign(self, literal, clauses):
        """Make `literal` true: drop the clauses it satisfies and remove its negation from the rest.
        Returns the reduced clauses, or None when a clause loses its last literal (a conflict)."""
        var = abs(literal)
        self.assignments[var] = literal > 0
        self.assignment_history.append(var)
        if self.level:
            self.level[-1].append(var)
        negated = -literal
        reduced = []
        for clause in clauses:
            if literal in clause:
                continue
            if negated in clause:
                if len(clause) == 1:
                    self.conflict_count[var] = self.conflict_count.get(var, 0) + 1
                    return None
                clause = [lit for lit in clause if lit != negated]
            reduced.append(clause)
        return reduced

    def _undo(self, mark):
        """Forget the last decision level: every assignment made since the history had `mark` entries."""
        for var in self.assignment_history[mark:]:
            self.assignments.pop(var, None)
        del self.assignment_history[mark:]
        self.level.pop()

    def _decide(self, clauses):
        self.num_decisions += 1
        choice = self.heuristic_function(
            clauses, self.assignments, self.conflict_count, self.assignment_history, self.level)
        try:
            variable, value = choice
        except (TypeError, ValueError):
            raise HeuristicError("heuristic_fn must return a (variable, value) pair, not %r" % (choice,))
        if isinstance(variable, bool):
            raise HeuristicError("heuristic_fn returned the variable %r, which is not an integer" % (variable,))
        try:
            variable = operator.index(variable)
        except TypeError:
            raise HeuristicError("heuristic_fn returned the variable %r, which is not an integer" % (variable,))
        if value not in (True, False):
            raise HeuristicError("heuristic_fn returned the value %r, which is not a boolean" % (value,))
        value = bool(value)
        if variable < 0:  # a literal: its variable takes the opposite value
            variable, value = -variable, not value
        if not 1 <= variable <= self.num_vars:
            raise HeuristicError("heuristic_fn returned the variable %d; the variables are 1..%d"
                                 % (variable, self.num_vars))
        if variable in self.assignments:
            raise HeuristicError("heuristic_fn returned the variable %d, which is already assigned" % variable)
        return variable, value
