"""Scores checkpoints.msgpack on the gymnax environment Breakout-MinAtar
(episodes of at most 999 steps).

Usage: python3 evaluate.py [path/to/checkpoints.msgpack]   (default: checkpoints.msgpack next to
this file). rl_evaluation.py holds the scoring and the checks of the file; networks.py the network.
"""

import sys

sys.dont_write_bytecode = True  # so importing the helpers writes no __pycache__ where it is run
import rl_evaluation  # noqa: E402  (after the line above on purpose)

ENV_NAME = "Breakout-MinAtar"
MAX_FRAMES = 999  # steps played per episode, as in MLGym's evaluation of this task

if __name__ == "__main__":
    rl_evaluation.main(ENV_NAME, MAX_FRAMES, evaluator_path=__file__)
