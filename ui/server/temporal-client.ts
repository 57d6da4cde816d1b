import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { TemporalConnectionOptions } from '../../config/temporal';

/**
 * The viewer's Temporal client. Lazy: the viewer starts and keeps serving while Temporal is down,
 * and each page says so. Two attempts per call, not the SDK's ten: a person is waiting for the page.
 */
export function viewerClient(connection: TemporalConnectionOptions, namespace: string): { client: Client; close: () => Promise<void> } {
  const lazy = Connection.lazy({ ...connection, interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2 }))] });
  return { client: new Client({ connection: lazy, namespace }), close: () => lazy.close() };
}
