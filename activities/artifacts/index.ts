import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalArtifactStore } from './local';
import { S3ArtifactStore, s3Client, s3ConnectionFromEnv } from './s3';
import type { ArtifactStore } from './store';

const VARIABLE = 'MLGYM_ARTIFACTS';
const ACCEPTED = 'unset (<repo>/.mlgym/artifacts), a path, file:///absolute/path or s3://bucket[/prefix]';
const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** MLGYM_ARTIFACTS holds a value this module cannot turn into a store. */
export class ArtifactStoreConfigError extends Error {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`${VARIABLE}=${JSON.stringify(value)} is not usable: ${reason}. Accepted: ${ACCEPTED}.`);
    this.name = 'ArtifactStoreConfigError';
  }
}

// One store per setting, so activities share an S3 client (and its connection pool) instead of making one per call.
const cache = new Map<string, ArtifactStore>();

/** The artifact store selected by MLGYM_ARTIFACTS (and, for S3, the endpoint and region variables). */
export function artifactStoreFromEnv(env: NodeJS.ProcessEnv = process.env): ArtifactStore {
  const value = (env[VARIABLE] ?? '').trim();
  if (value.startsWith('s3://')) return fromS3Url(value, env);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !value.startsWith('file://')) {
    throw new ArtifactStoreConfigError(value, 'unsupported scheme');
  }
  const root = value === '' ? path.join(REPO_ROOT, '.mlgym', 'artifacts') : localRoot(value);
  return cached(`file:${root}`, () => new LocalArtifactStore(root));
}

function localRoot(value: string): string {
  if (!value.startsWith('file://')) return path.resolve(value);
  try {
    return fileURLToPath(value);
  } catch (err) {
    throw new ArtifactStoreConfigError(value, (err as Error).message);
  }
}

function fromS3Url(value: string, env: NodeJS.ProcessEnv): ArtifactStore {
  const rest = value.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  // S3's bucket naming rules (lowercase, digits, dots, hyphens; 3-63 characters).
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ArtifactStoreConfigError(value, `${JSON.stringify(bucket)} is not a valid bucket name`);
  }
  // The endpoint and region pick the server, so they are part of the setting too.
  const connection = s3ConnectionFromEnv(env);
  return cached(JSON.stringify({ bucket, prefix, ...connection }), () => new S3ArtifactStore({ bucket, prefix, client: s3Client(connection) }));
}

function cached(key: string, make: () => ArtifactStore): ArtifactStore {
  let store = cache.get(key);
  if (store === undefined) {
    store = make();
    cache.set(key, store);
  }
  return store;
}

/**
 * Whether every machine of a fleet reaches the same store: S3 does; a path does only where the
 * operator says it is shared storage (NFS, a cluster filesystem) with MLGYM_ARTIFACTS_SHARED=1.
 */
export function artifactStoreIsShared(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env[VARIABLE] ?? '').trim().startsWith('s3://') || env.MLGYM_ARTIFACTS_SHARED === '1';
}
