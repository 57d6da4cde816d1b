import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import type { ArtifactStore } from './store';

/** A key that is empty, absolute or has `.`/`..` segments: refused so every store maps keys the same way. */
export class InvalidArtifactKeyError extends Error {
  constructor(readonly key: string) {
    super(`invalid artifact key (must be relative, without . or .. segments): ${JSON.stringify(key)}`);
    this.name = 'InvalidArtifactKeyError';
  }
}

export interface S3ArtifactStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket (no leading or trailing slash needed); several stores can share a bucket. */
  prefix?: string;
  /** Defaults to a client for `s3ConnectionFromEnv()`. */
  client?: S3Client;
  /** Keys per ListObjectsV2 page; S3 caps it at 1000. Small values let tests exercise pagination cheaply. */
  pageSize?: number;
}

/** Which S3 server to talk to. Credentials are deliberately absent: the SDK's default chain finds them. */
export interface S3Connection {
  /** Unset means AWS itself. */
  endpoint?: string;
  region: string;
}

export function s3ConnectionFromEnv(env: NodeJS.ProcessEnv = process.env): S3Connection {
  return {
    endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined,
    // The SDK only reads AWS_REGION and fails without one; us-east-1 works for AWS and local servers alike.
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
  };
}

export function s3Client(connection: S3Connection): S3Client {
  return new S3Client({
    ...connection,
    // Self-hosted servers (MinIO, moto, Ceph) rarely have wildcard DNS for virtual-hosted buckets.
    forcePathStyle: connection.endpoint !== undefined,
  });
}

/** Artifacts as objects in one S3 bucket, under an optional key prefix. */
export class S3ArtifactStore implements ArtifactStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly pageSize: number;

  constructor(options: S3ArtifactStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.client = options.client ?? s3Client(s3ConnectionFromEnv());
    this.pageSize = options.pageSize ?? 1000;
  }

  locate(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  async put(key: string, body: string | Buffer): Promise<void> {
    // A PUT is atomic in S3: readers see the old object or the new one, never a partial write.
    // An explicit length because the SDK infers none for an empty body and then warns about streams.
    const length = Buffer.byteLength(body);
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: body, ContentLength: length }));
  }

  async get(key: string): Promise<Buffer> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    // A successful GET always has a body; an empty object yields an empty byte array.
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  async tryGet(key: string): Promise<Buffer | undefined> {
    try {
      return await this.get(key);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Like the local store, a prefix names a folder: `runs` lists `runs/...` but not `runs2/...`. */
  async list(prefix: string): Promise<string[]> {
    const folder = prefix.replace(/\/+$/, '');
    const listPrefix = folder === '' ? this.rootPrefix() : `${this.objectKey(folder)}/`;
    const keys: string[] = [];
    const pages = paginateListObjectsV2({ client: this.client, pageSize: this.pageSize }, { Bucket: this.bucket, Prefix: listPrefix });
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) keys.push(object.Key.slice(this.rootPrefix().length));
      }
    }
    // S3 orders by UTF-8 bytes; sort again so both stores agree on JavaScript's order.
    return keys.sort();
  }

  private rootPrefix(): string {
    return this.prefix === '' ? '' : `${this.prefix}/`;
  }

  private objectKey(key: string): string {
    const segments = key.split('/');
    if (key === '' || segments.some((s) => s === '' || s === '.' || s === '..')) {
      throw new InvalidArtifactKeyError(key);
    }
    return this.rootPrefix() + key;
  }
}

function isNotFound(err: unknown): boolean {
  // GET names the error NoSuchKey. HEAD responses have no body, so the SDK only sees a 404 and cannot tell
  // a missing key from a missing bucket there; GET can, and a missing bucket must stay an error.
  return err instanceof S3ServiceException && err.name !== 'NoSuchBucket' && (err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404);
}
