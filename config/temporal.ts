import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/**
 * Where the Temporal service and our task queue are, from the environment: the settings the CLI,
 * the workers, the sweep's activities and the tests share. Reading the environment is a side
 * effect, so this lives outside lib/ (pure) and workflow code never imports it; the task queue a
 * workflow's children and activities use is the one the workflow runs on.
 */
export const TASK_QUEUE = process.env.MLGYM_TASK_QUEUE ?? 'mlgym';

/** How to reach Temporal: what Connection.connect and NativeConnection.connect both take. */
export type TemporalConnectionOptions = Pick<NativeConnectionOptions, 'address' | 'tls' | 'apiKey' | 'metadata'>;

export interface TemporalTarget {
  address: string;
  namespace: string;
  connection: TemporalConnectionOptions;
  /** For messages: the address, and TLS / API key when used (never the key itself). */
  description: string;
}

/** The connection settings cannot be read (a bad temporal.toml, a missing certificate file, ...). */
export class TemporalConfigError extends Error {
  override name = 'TemporalConfigError';
}

const SOURCES = 'TEMPORAL_* variables, TEMPORAL_PROFILE and the temporal.toml at TEMPORAL_CONFIG_FILE or ~/.config/temporalio/temporal.toml';

/**
 * Temporal's standard environment configuration (@temporalio/envconfig), as the `temporal` CLI
 * reads it: a profile of temporal.toml (TEMPORAL_PROFILE, else "default"), overridden by
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS and TEMPORAL_TLS_* (client
 * certificate and key, server CA, server name). Without any: the local dev server, no TLS.
 */
export function temporalTarget(): TemporalTarget {
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig();
  } catch (err) {
    throw new TemporalConfigError(`cannot read the Temporal connection settings (${SOURCES}): ${(err as Error).message.split('\n')[0]}`);
  }
  const address = loaded.connectionOptions.address ?? 'localhost:7233';
  const { tls, apiKey, metadata } = loaded.connectionOptions;
  const extras = [tls ? 'TLS' : undefined, apiKey ? 'API key' : undefined].filter(Boolean);
  return {
    address,
    namespace: loaded.namespace ?? 'default',
    connection: { address, ...(tls !== undefined && { tls }), ...(apiKey !== undefined && { apiKey }), ...(metadata && { metadata }) },
    description: extras.length ? `${address} (${extras.join(', ')})` : address,
  };
}

export const temporalAddress = () => temporalTarget().address;
export const temporalNamespace = () => temporalTarget().namespace;
