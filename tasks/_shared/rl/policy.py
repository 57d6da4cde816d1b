"""PPO (clipped surrogate, GAE, value clipping) for gymnax environments, in JAX.

One PPO update = collect `n_steps` steps in each of `num_train_envs` parallel environments, then
`epoch_ppo` passes over that batch in `n_minibatch` minibatches. The update is one jitted function,
vmapped over the training seeds, so all seeds train side by side and JAX compiles once.
gymnax environments reset themselves when an episode ends.
"""

import time
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from networks import entropy, log_prob, sample_action


class Runner(NamedTuple):
    params: Any
    opt_state: Any
    obs: Any
    env_state: Any
    rng: Any
    episode_return: Any  # running return of the current episode of each environment
    last_return: Any  # return of the last finished episode of each environment (nan before)


def make_ppo(config, model, env, env_params, continuous):
    """Return (init, update, num_updates): init(rng, params) -> Runner; update(Runner) ->
    (Runner, metrics). Both work on one seed; vmap them to train several."""
    n_envs, n_steps = int(config["num_train_envs"]), int(config["n_steps"])
    n_minibatch, n_epochs = int(config["n_minibatch"]), int(config["epoch_ppo"])
    gamma, lam = float(config["gamma"]), float(config["gae_lambda"])
    clip_eps = float(config["clip_eps"])
    num_updates = max(1, int(config["num_train_steps"]) // (n_envs * n_steps))
    schedule = optax.linear_schedule(float(config["lr_begin"]), float(config["lr_end"]),
                                     num_updates * n_epochs * n_minibatch)
    tx = optax.chain(optax.clip_by_global_norm(float(config["max_grad_norm"])),
                     optax.adam(schedule, eps=1e-5))
    reset = jax.vmap(env.reset, in_axes=(0, None))
    step = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def init(rng, params):
        rng, reset_rng = jax.random.split(rng)
        obs, env_state = reset(jax.random.split(reset_rng, n_envs), env_params)
        return Runner(params, tx.init(params), obs, env_state, rng, jnp.zeros(n_envs),
                      jnp.full(n_envs, jnp.nan))

    def env_step(runner, _):
        rng, act_rng, step_rng = jax.random.split(runner.rng, 3)
        value, pi = model.apply(runner.params, runner.obs)
        action = sample_action(act_rng, pi, continuous)
        obs, env_state, reward, done, _ = step(jax.random.split(step_rng, n_envs), runner.env_state,
                                               action, env_params)
        episode_return = runner.episode_return + reward
        transition = dict(obs=runner.obs, action=action, log_pi=log_prob(pi, action, continuous),
                          value=value, reward=reward, done=done.astype(jnp.float32))
        runner = runner._replace(obs=obs, env_state=env_state, rng=rng,
                                 episode_return=episode_return * (1 - done),
                                 last_return=jnp.where(done, episode_return, runner.last_return))
        return runner, transition

    def gae(traj, last_value):
        def backwards(carry, t):
            advantage, next_value = carry
            delta = t["reward"] + gamma * next_value * (1 - t["done"]) - t["value"]
            advantage = delta + gamma * lam * (1 - t["done"]) * advantage
            return (advantage, t["value"]), advantage

        _, advantages = jax.lax.scan(backwards, (jnp.zeros_like(last_value), last_value), traj,
                                     reverse=True)
        return advantages, advantages + traj["value"]

    def loss_fn(params, batch):
        value, pi = model.apply(params, batch["obs"])
        # Value loss, clipped around the rollout's value estimate like the policy ratio.
        value_clipped = batch["value"] + jnp.clip(value - batch["value"], -clip_eps, clip_eps)
        value_loss = 0.5 * jnp.maximum((value - batch["target"]) ** 2,
                                       (value_clipped - batch["target"]) ** 2).mean()
        advantage = batch["advantage"]
        advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
        ratio = jnp.exp(log_prob(pi, batch["action"], continuous) - batch["log_pi"])
        actor_loss = -jnp.minimum(ratio * advantage,
                                  jnp.clip(ratio, 1 - clip_eps, 1 + clip_eps) * advantage).mean()
        ent = entropy(pi, continuous).mean()
        total = (actor_loss + float(config["critic_coeff"]) * value_loss
                 - float(config["entropy_coeff"]) * ent)
        return total, dict(value_loss=value_loss, actor_loss=actor_loss, entropy=ent)

    def minibatch_step(carry, batch):
        params, opt_state = carry
        (_, losses), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), losses

    def update(runner, opt_steps=None):
        """One PPO update. `opt_steps` (static) stops it after that many minibatch steps, fewer
        than the full epoch_ppo x n_minibatch (only for --max-steps)."""
        runner, traj = jax.lax.scan(env_step, runner, None, n_steps)
        advantage, target = gae(traj, model.apply(runner.params, runner.obs, method="critic"))
        batch = dict(obs=traj["obs"], action=traj["action"], log_pi=traj["log_pi"],
                     value=traj["value"], advantage=advantage, target=target)
        batch = jax.tree_util.tree_map(lambda x: x.reshape((n_envs * n_steps,) + x.shape[2:]),
                                       batch)

        def shuffled(rng):
            order = jax.random.permutation(rng, n_envs * n_steps)
            return jax.tree_util.tree_map(
                lambda x: x[order].reshape((n_minibatch, -1) + x.shape[1:]), batch)

        def epoch(carry, rng):
            return jax.lax.scan(minibatch_step, carry, shuffled(rng))

        rng, epoch_rng = jax.random.split(runner.rng)
        epoch_rngs = jax.random.split(epoch_rng, n_epochs)
        carry = (runner.params, runner.opt_state)
        if opt_steps is None:
            carry, losses = jax.lax.scan(epoch, carry, epoch_rngs)
            metrics = jax.tree_util.tree_map(jnp.mean, losses)
        else:  # the first opt_steps minibatch steps of the same sequence
            full, rest = divmod(opt_steps, n_minibatch)
            parts = []
            if full:
                carry, losses = jax.lax.scan(epoch, carry, epoch_rngs[:full])
                parts.append(jax.tree_util.tree_map(jnp.ravel, losses))
            if rest:
                minibatches = jax.tree_util.tree_map(lambda x: x[:rest], shuffled(epoch_rngs[full]))
                carry, losses = jax.lax.scan(minibatch_step, carry, minibatches)
                parts.append(losses)
            metrics = jax.tree_util.tree_map(lambda *x: jnp.concatenate(x).mean(), *parts)
        params, opt_state = carry
        metrics["return"] = jnp.nanmean(runner.last_return)
        return runner._replace(params=params, opt_state=opt_state, rng=rng), metrics

    return init, update, num_updates


def train_ppo(rngs, config, model, params, env, env_params, continuous, max_steps=None):
    """Train one set of parameters per seed (rngs and params have a leading seed axis).
    Returns the trained params (same layout) and the log of mean training returns.
    `max_steps` stops training after that many optimizer (minibatch) steps, for quick checks of a
    large config; the learning-rate schedule stays the one of the full budget."""
    init, update_fn, num_updates = make_ppo(config, model, env, env_params, continuous)
    runner = jax.jit(jax.vmap(init))(rngs, params)
    update = jax.jit(jax.vmap(update_fn))
    log_every = max(1, num_updates // int(config.get("num_logs", 20)))
    steps_per_update = int(config["num_train_envs"]) * int(config["n_steps"])
    opt_steps_per_update = int(config["epoch_ppo"]) * int(config["n_minibatch"])
    last, rest = num_updates, 0  # full updates to run, then the optimizer steps of a last partial one
    if max_steps is not None and max_steps < num_updates * opt_steps_per_update:
        last, rest = divmod(max(1, int(max_steps)), opt_steps_per_update)
    print("PPO: %d updates of %d steps per seed%s" % (
        num_updates, steps_per_update,
        "" if last == num_updates else " (stopping after %d optimizer steps of %d per update: "
        "--max-steps)" % (last * opt_steps_per_update + rest, opt_steps_per_update)), flush=True)
    log, start, returns = [], time.time(), None
    for i in range(1, last + 1 + (rest > 0)):
        if i > last:  # the partial update of --max-steps
            runner, metrics = jax.jit(jax.vmap(partial(update_fn, opt_steps=rest)))(runner)
        else:
            runner, metrics = update(runner)
        if i % log_every == 0 or i == last + (rest > 0):
            metrics = jax.tree_util.tree_map(np.asarray, metrics)
            # Per seed: mean over the environments of their last finished episode's return
            # (nan until some episode has finished).
            returns = metrics["return"]
            log.append((i * steps_per_update, returns.tolist()))
            print("update %d/%d  steps/seed %d  train return per seed %s  entropy %.3f  (%.0f s)"
                  % (i, num_updates, i * steps_per_update, np.round(returns, 2),
                     metrics["entropy"].mean(), time.time() - start), flush=True)
    return runner.params, log
