/**
 * The artifact store holds everything too large for workflow history: transcripts, command
 * output, trajectories and results. Workflows only ever see keys.
 */
export interface ArtifactStore {
  /** A human-usable location for a key: a file path for the local store, an s3:// URI for S3. */
  locate(key: string): string;
  put(key: string, body: string | Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  /** Returns undefined when the key does not exist. */
  tryGet(key: string): Promise<Buffer | undefined>;
  exists(key: string): Promise<boolean>;
  /** Every key under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
}

export async function putJson(store: ArtifactStore, key: string, value: unknown): Promise<void> {
  await store.put(key, JSON.stringify(value, null, 2));
}

export async function getJson<T>(store: ArtifactStore, key: string): Promise<T> {
  return JSON.parse((await store.get(key)).toString('utf8')) as T;
}

export async function tryGetJson<T>(store: ArtifactStore, key: string): Promise<T | undefined> {
  const body = await store.tryGet(key);
  return body === undefined ? undefined : (JSON.parse(body.toString('utf8')) as T);
}
