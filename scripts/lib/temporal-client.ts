import { Client, Connection } from '@temporalio/client';
import { temporalAddress, temporalNamespace } from '../../config/temporal';
import { UsageError } from './output';

/** Connects to the Temporal server, failing with one clear line when it is not running. */
async function connectClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const address = temporalAddress();
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: '5s' });
  } catch (err) {
    throw new UsageError(
      `cannot reach the Temporal server at ${address} (${(err as Error).message.split('\n')[0]}): start it with \`npx mlgym server\` or set TEMPORAL_ADDRESS`,
    );
  }
  return { client: new Client({ connection, namespace: temporalNamespace() }), close: () => connection.close() };
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
