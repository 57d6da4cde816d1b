"""Scores a submission of the gymnax RL tasks: checkpoints.msgpack, read with flax's msgpack
reader (plain arrays, no code, no pickle) into the task's own network code (networks.py).

Each of the 5 checkpoints plays the same EPISODES episodes (random starts drawn from the seed in
the hidden eval_seed.txt when the harness provides it, a development seed otherwise), actions
sampled from its policy, for at most `max_frames` steps; rewards after an episode's end are not
counted. Prints {"Reward Mean": ..., "Reward Std": ...} over all 5 x EPISODES episode returns.
A malformed submission exits with status 1 and says what is wrong on stderr.
"""

import json
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

import networks

NUM_CHECKPOINTS = 5
# Episodes per checkpoint. MLGYM_SCALE=paper plays as many as MLGym's evaluate.py: 256
# environments with each of 5 seeds (its prompt says 64). The small scale keeps 320 (64 x 5).
EPISODES = 1280 if os.environ.get("MLGYM_SCALE") == "paper" else 320
MAX_FILE_BYTES = 256 * 2**20
SEED_FILE = "eval_seed.txt"
DEVELOPMENT_SEED = 0


class SubmissionError(Exception):
    pass


def read_seed(task_dir):
    path = os.path.join(task_dir, SEED_FILE)
    if not os.path.exists(path):
        print("evaluate.py: no %s here, using the development seed" % SEED_FILE, file=sys.stderr)
        return DEVELOPMENT_SEED
    with open(path) as handle:
        return int(handle.read().strip())


def _plain_int(value):
    # msgpack gives Python ints; numpy integers arrive as numpy scalars or 0-d arrays.
    if isinstance(value, (np.ndarray, np.generic)) and value.shape == () \
            and value.dtype.kind in "iu":
        return int(value)
    return value


def _checked_params(got, want, where):
    """`got` converted to float32 arrays, after checking it has exactly the layout of `want`."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            raise SubmissionError("%s must be a mapping of %s" % (where, sorted(want)))
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        if missing or extra:
            raise SubmissionError("%s: missing %s, unexpected %s (the network built from "
                                  "network_config has %s)" % (where, missing, extra, sorted(want)))
        return {key: _checked_params(got[key], want[key], "%s/%s" % (where, key)) for key in want}
    numeric = isinstance(got, np.ndarray) and (got.dtype.kind in "fiu" or got.dtype.name == "bfloat16")
    if not numeric:
        raise SubmissionError("%s must be a numeric array" % where)
    if got.shape != tuple(want.shape):
        raise SubmissionError("%s has shape %s, the network needs %s"
                              % (where, got.shape, tuple(want.shape)))
    array = got.astype(np.float32)
    if not np.isfinite(array).all():
        raise SubmissionError("%s holds NaN or infinite values" % where)
    return array


def load_submission(path, env_name):
    """(model, params stacked over the checkpoints) from a submission file, or SubmissionError."""
    if not os.path.isfile(path):
        raise SubmissionError("no submission file at %s" % path)
    if os.path.getsize(path) > MAX_FILE_BYTES:
        raise SubmissionError("%s is larger than %d MB" % (path, MAX_FILE_BYTES // 2**20))
    with open(path, "rb") as handle:
        try:
            payload = serialization.msgpack_restore(handle.read())
        except Exception as err:  # any decoding problem is the submission's fault
            raise SubmissionError("%s is not a flax msgpack file: %s" % (path, err))
    if not isinstance(payload, dict) or not {"network_config", "checkpoints"} <= set(payload):
        raise SubmissionError('the file must hold a mapping with "network_config" and '
                              '"checkpoints"')
    network_config = payload["network_config"]
    if isinstance(network_config, dict):
        network_config = {key: _plain_int(value) for key, value in network_config.items()}
    problem = networks.check_network_config(network_config)
    if problem:
        raise SubmissionError(problem)
    checkpoints = payload["checkpoints"]
    indices = [str(i) for i in range(len(checkpoints))] if isinstance(checkpoints, dict) else None
    if indices is not None and set(checkpoints) == set(indices):  # to_state_dict stores lists so
        checkpoints = [checkpoints[i] for i in indices]
    if not isinstance(checkpoints, list) or len(checkpoints) != NUM_CHECKPOINTS:
        raise SubmissionError('"checkpoints" must be a list of %d parameter sets, one per '
                              'training seed' % NUM_CHECKPOINTS)
    model, _ = networks.get_model_ready(jax.random.PRNGKey(0), env_name, network_config)
    _, _, obs_shape, _, _ = networks.env_spec(env_name)
    template = jax.eval_shape(model.init, jax.random.PRNGKey(0), jnp.zeros(obs_shape))
    # Also accept the inner tree (trained_params["params"]) without flax's outer "params" level.
    checkpoints = [{"params": ckpt} if isinstance(ckpt, dict) and "params" not in ckpt else ckpt
                   for ckpt in checkpoints]
    params = [_checked_params(ckpt, template, "checkpoints[%d]" % i)
              for i, ckpt in enumerate(checkpoints)]
    return model, jax.tree_util.tree_map(lambda *leaves: np.stack(leaves), *params)


def episode_returns(model, env_name, max_frames, stacked_params, seed):
    """Returns of EPISODES episodes of each checkpoint, shape (NUM_CHECKPOINTS, EPISODES)."""
    env, env_params, _, _, continuous = networks.env_spec(env_name)
    reset = jax.vmap(env.reset, in_axes=(0, None))
    step = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def play(params, rng):
        reset_rng, rng = jax.random.split(rng)
        obs, state = reset(jax.random.split(reset_rng, EPISODES), env_params)

        def running(carry):
            frame, alive = carry[0], carry[4]
            return (frame < max_frames) & (alive.sum() > 0)

        def one_step(carry):
            frame, obs, state, rng, alive, total = carry
            rng, action_rng, step_rng = jax.random.split(rng, 3)
            pi = model.apply(params, obs, method="actor")
            action = networks.sample_action(action_rng, pi, continuous)
            obs, state, reward, done, _ = step(jax.random.split(step_rng, EPISODES), state, action,
                                               env_params)
            return frame + 1, obs, state, rng, alive * (1 - done), total + reward * alive

        carry = (0, obs, state, rng, jnp.ones(EPISODES), jnp.zeros(EPISODES))
        return jax.lax.while_loop(running, one_step, carry)[-1]

    # Same episodes (same starts and step keys) for every checkpoint.
    return jax.jit(jax.vmap(play, in_axes=(0, None)))(stacked_params, jax.random.PRNGKey(seed))


def main(env_name, max_frames, evaluator_path):
    task_dir = os.path.dirname(os.path.abspath(evaluator_path))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(task_dir, "checkpoints.msgpack")
    start = time.time()
    try:
        model, params = load_submission(path, env_name)
    except SubmissionError as err:
        print("evaluate.py: invalid submission: %s" % err, file=sys.stderr)
        sys.exit(1)
    returns = np.asarray(episode_returns(model, env_name, max_frames, params, read_seed(task_dir)))
    print("evaluate.py: %d checkpoints x %d episodes in %.1f s; mean return per checkpoint %s"
          % (NUM_CHECKPOINTS, EPISODES, time.time() - start,
             np.round(returns.mean(axis=1), 2).tolist()),
          file=sys.stderr)
    print(json.dumps({"Reward Mean": float(returns.mean()), "Reward Std": float(returns.std())}))
