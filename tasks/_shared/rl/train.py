"""Train the 5 checkpoints of the submission with PPO and save them to checkpoints.msgpack.

Usage (from the workspace):
    python src/train.py [--config src/config.yaml] [--out checkpoints.msgpack] [--max-steps N]
--max-steps N stops after N optimizer steps (minibatch gradient steps; one PPO update makes
epoch_ppo x n_minibatch of them): a quick check, the submission is still written.
At MLGYM_SCALE=paper the workspace's src/config.yaml is MLGym's, with its full training budget.
The 5 checkpoints are 5 independent trainings from different seeds (they train side by side).
To try another algorithm, replace train_ppo below by your own function that returns trained
params of the same network (see networks.py) and keep the saving step.
"""

import argparse
import time

import jax
import numpy as np

from helpers import load_config, save_checkpoints
from networks import env_spec, get_model_ready
from policy import train_ppo

NUM_CHECKPOINTS = 5  # the evaluator expects exactly this many
SEED = 42


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="src/config.yaml")
    parser.add_argument("--out", default="checkpoints.msgpack")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="stop after this many optimizer steps (default: the config's budget)")
    args = parser.parse_args()
    config = load_config(args.config)
    env_name, train_config = config["env_name"], config["train_config"]
    network_config = train_config["network_config"]
    env, env_params, _, _, continuous = env_spec(env_name)

    init_rngs = jax.random.split(jax.random.PRNGKey(SEED), 2 * NUM_CHECKPOINTS)
    model, _ = get_model_ready(init_rngs[0], env_name, network_config)
    # One parameter set per seed, stacked on a leading axis (vmap over seeds).
    params = jax.vmap(lambda rng: get_model_ready(rng, env_name, network_config)[1])(
        init_rngs[:NUM_CHECKPOINTS])
    start = time.time()
    params, log = train_ppo(init_rngs[NUM_CHECKPOINTS:], train_config, model, params, env,
                            env_params, continuous, max_steps=args.max_steps)
    print("training took %.0f s" % (time.time() - start))
    checkpoints = [jax.tree_util.tree_map(lambda x, i=i: np.asarray(x[i]), params)
                   for i in range(NUM_CHECKPOINTS)]
    save_checkpoints(args.out, network_config, checkpoints)
    if log:
        print("last training returns per seed: %s" % np.round(log[-1][1], 2).tolist())


if __name__ == "__main__":
    main()
