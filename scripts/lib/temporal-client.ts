import { Client, Connection } from '@temporalio/client';
import { TemporalConfigError, temporalTarget } from '../../config/temporal';
import { UsageError } from './output';

/** Connects to the Temporal server, failing with one clear line when it is not running or not reachable as configured. */
async function connectClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  let target: ReturnType<typeof temporalTarget>;
  try {
    target = temporalTarget();
  } catch (err) {
    if (err instanceof TemporalConfigError) throw new UsageError(err.message);
    throw err;
  }
  let connection: Connection;
  try {
    // Connecting makes a first call: TLS and the API key are proven here, not by the first command.
    connection = await Connection.connect({ ...target.connection, connectTimeout: '5s' });
  } catch (err) {
    const cause = (err as Error).message.split('\n')[0];
    const secured = target.connection.tls !== undefined || target.connection.apiKey !== undefined;
    throw new UsageError(
      secured
        ? `cannot connect to the Temporal server at ${target.description} (${cause}): check the address and the TEMPORAL_TLS_* / TEMPORAL_API_KEY settings or profile`
        : `cannot reach the Temporal server at ${target.address} (${cause}): start it with \`npx mlgym server\` or set TEMPORAL_ADDRESS`,
    );
  }
  return { client: new Client({ connection, namespace: target.namespace }), close: () => connection.close() };
}

/** Runs `work` with a client of the Temporal server, and closes the connection whatever happens. */
export async function withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient();
  try {
    return await work(client);
  } finally {
    await close();
  }
}
