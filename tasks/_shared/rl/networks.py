"""The actor-critic network of the gymnax RL tasks, and the action distribution it parameterises.

The evaluator builds the network from its own read-only copy of this file and loads only the
parameters (and `network_config`) from your submission, so a submission must fit this exact code.
Change the network through `network_config` in src/config.yaml:
  num_hidden_units  width of every hidden layer (1 to 512)
  num_hidden_layers hidden layers of the actor and of the critic, each (1 to 6)
  activation        "relu" (default) or "tanh"
The actor and the critic are two separate MLPs on the flattened observation. For discrete
actions the actor outputs logits (a categorical policy); for continuous actions it outputs the
mean and, through a softplus, the standard deviation of a diagonal Gaussian.
"""

import warnings

import flax.linen as nn
import gymnax
import jax
import jax.numpy as jnp
from gymnax.environments import spaces

# gymnax 0.0.8's MetaMaze triggers a harmless dtype warning of newer JAX on every trace.
warnings.filterwarnings("ignore", message="scatter inputs have incompatible types")

ACTIVATIONS = {"relu": nn.relu, "tanh": nn.tanh}
LIMITS = {"num_hidden_units": (1, 512), "num_hidden_layers": (1, 6)}  # keeps scoring fast
MIN_STD = 0.001  # floor of the Gaussian policy's standard deviation


class Model(nn.Module):
    """Separate actor and critic MLPs. Parameter names: critic_hidden_{i}, critic_out,
    actor_hidden_{i}, actor_out and, for continuous actions, actor_scale."""

    num_output_units: int  # actions (discrete) or action dimensions (continuous)
    obs_ndim: int  # rank of one observation; leading axes beyond it are batch axes
    continuous: bool
    num_hidden_units: int = 256
    num_hidden_layers: int = 2
    activation: str = "relu"

    def setup(self):
        def dense(units):
            return nn.Dense(units, bias_init=nn.initializers.uniform(0.05))

        self.critic_hidden = [dense(self.num_hidden_units) for _ in range(self.num_hidden_layers)]
        self.critic_out = dense(1)
        self.actor_hidden = [dense(self.num_hidden_units) for _ in range(self.num_hidden_layers)]
        self.actor_out = dense(self.num_output_units)
        if self.continuous:
            self.actor_scale = dense(self.num_output_units)

    def _trunk(self, layers, obs):
        x = obs.reshape(obs.shape[: obs.ndim - self.obs_ndim] + (-1,)).astype(jnp.float32)
        for layer in layers:
            x = ACTIVATIONS[self.activation](layer(x))
        return x

    def critic(self, obs):
        """State value, shape = batch shape."""
        return self.critic_out(self._trunk(self.critic_hidden, obs))[..., 0]

    def actor(self, obs):
        """Logits (discrete), or (mean, std) (continuous)."""
        x = self._trunk(self.actor_hidden, obs)
        if self.continuous:
            return self.actor_out(x), jax.nn.softplus(self.actor_scale(x)) + MIN_STD
        return self.actor_out(x)

    def __call__(self, obs):
        return self.critic(obs), self.actor(obs)


def env_spec(env_name):
    """(env, env_params, observation shape, number of outputs, continuous?) of a gymnax env."""
    env, env_params = gymnax.make(env_name)
    action_space = env.action_space(env_params)
    continuous = not isinstance(action_space, spaces.Discrete)
    outputs = action_space.shape[0] if continuous else action_space.n
    return env, env_params, env.observation_space(env_params).shape, outputs, continuous


def check_network_config(network_config):
    """Return why `network_config` is not usable, or None when it is."""
    if not isinstance(network_config, dict):
        return "network_config must be a mapping"
    unknown = set(network_config) - set(LIMITS) - {"activation"}
    if unknown:
        return "network_config has unknown keys %s (allowed: %s, activation)" % (
            sorted(unknown), ", ".join(LIMITS))
    for key, (low, high) in LIMITS.items():
        value = network_config.get(key)
        if type(value) is not int or not low <= value <= high:
            return "network_config.%s must be an integer from %d to %d, not %r" % (
                key, low, high, value)
    if network_config.get("activation", "relu") not in ACTIVATIONS:
        return "network_config.activation must be one of %s" % sorted(ACTIVATIONS)
    return None


def get_model_ready(rng, env_name, network_config):
    """Build the model for `env_name` and initialise its parameters."""
    problem = check_network_config(network_config)
    if problem:
        raise ValueError(problem)
    _, _, obs_shape, outputs, continuous = env_spec(env_name)
    model = Model(num_output_units=outputs, obs_ndim=len(obs_shape), continuous=continuous,
                  **network_config)
    params = model.init(rng, jnp.zeros(obs_shape))
    return model, params


# --- the action distribution (what the actor's output means) ---

def sample_action(rng, pi, continuous):
    if continuous:
        mean, std = pi
        return mean + std * jax.random.normal(rng, mean.shape)
    return jax.random.categorical(rng, pi)


def log_prob(pi, action, continuous):
    if continuous:
        mean, std = pi
        z = (action - mean) / std
        return jnp.sum(-0.5 * z**2 - jnp.log(std) - 0.5 * jnp.log(2 * jnp.pi), axis=-1)
    logp = jax.nn.log_softmax(pi)
    return jnp.take_along_axis(logp, action[..., None].astype(jnp.int32), axis=-1)[..., 0]


def entropy(pi, continuous):
    if continuous:
        _, std = pi
        return jnp.sum(0.5 + 0.5 * jnp.log(2 * jnp.pi) + jnp.log(std), axis=-1)
    logp = jax.nn.log_softmax(pi)
    return -jnp.sum(jnp.exp(logp) * logp, axis=-1)
