import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ArtifactStoreConfigError, artifactStoreFromEnv } from '../../activities/artifacts/index';
import { LocalArtifactStore } from '../../activities/artifacts/local';
import { InvalidArtifactKeyError, S3ArtifactStore } from '../../activities/artifacts/s3';
import { startS3Server, type S3Server } from '../support/s3-server';

// moto accepts any credentials; these keep the SDK's default chain away from real ones.
const CREDENTIAL_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SESSION_TOKEN: 'test' };
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** What a test needs from the running server. */
interface Live {
  endpoint: string;
  client: S3Client;
  store(prefix?: string, pageSize?: number): S3ArtifactStore;
}

describe('S3ArtifactStore against a real S3-compatible server', () => {
  let server: S3Server | undefined;
  let live: Live | undefined;
  let unavailable = '';
  const bucket = `mlgym-test-${randomBytes(4).toString('hex')}`;
  const savedEnv: Record<string, string | undefined> = {};

  before(async () => {
    try {
      server = await startS3Server();
    } catch (err) {
      // On CI a missing S3 server is a broken build, not a reason to skip.
      if (process.env.CI === 'true') throw err;
      unavailable = `no S3 server: ${(err as Error).message}`;
      return;
    }
    const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    live = { endpoint: server.endpoint, client, store: (prefix, pageSize) => new S3ArtifactStore({ bucket, prefix, client, pageSize }) };
    for (const [name, value] of Object.entries(CREDENTIAL_ENV)) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
  });

  after(async () => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    live?.client.destroy();
    await server?.stop();
  });

  /** The running server, or undefined after marking the test skipped (which only happens outside CI). */
  const need = (t: TestContext): Live | undefined => {
    if (live === undefined) t.skip(unavailable);
    return live;
  };

  it('round-trips text, binary and empty bodies', async (t) => {
    const s3 = need(t);
    if (!s3) return;
    const store = s3.store('roundtrip');
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(64 * 1024)]);
    await store.put('ep/transcript.json', '{"héllo":"wörld"}');
    await store.put('ep/blob.bin', bytes);
    await store.put('ep/empty', '');
    assert.equal((await store.get('ep/transcript.json')).toString('utf8'), '{"héllo":"wörld"}');
    assert.deepEqual(await store.get('ep/blob.bin'), bytes);
    assert.deepEqual(await store.get('ep/empty'), Buffer.alloc(0));
    await store.put('ep/transcript.json', 'replaced');
    assert.equal((await store.tryGet('ep/transcript.json'))?.toString(), 'replaced');
  });

  it('reports missing keys: tryGet gives undefined, get rejects, exists is false', async (t) => {
    const s3 = need(t);
    if (!s3) return;
    const store = s3.store('missing');
    assert.equal(await store.tryGet('nope.json'), undefined);
    await assert.rejects(store.get('nope.json'), { name: 'NoSuchKey' });
    assert.equal(await store.exists('nope.json'), false);
    await store.put('yes.json', '{}');
    assert.equal(await store.exists('yes.json'), true);
  });

  it('treats a missing bucket as an error, not as a missing key', async (t) => {
    const s3 = need(t);
    if (!s3) return;
    const store = new S3ArtifactStore({ bucket: `${bucket}-absent`, client: s3.client });
    await assert.rejects(store.tryGet('k'), { name: 'NoSuchBucket' });
  });

  it('lists a folder across many ListObjectsV2 pages, sorted', async (t) => {
    const s3 = need(t);
    if (!s3) return;
    const store = s3.store('paged', 2);
    let listCalls = 0;
    s3.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ListObjectsV2Command') listCalls += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countListCalls' },
    );
    t.after(() => s3.client.middlewareStack.remove('countListCalls'));
    const keys = ['runs/g', 'runs/a', 'runs/sub/c', 'runs/e', 'runs/b', 'runs/sub/d', 'runs/f'];
    for (const key of [...keys, 'runs2/x', 'other/y']) await store.put(key, key);
    assert.deepEqual(await store.list('runs'), [...keys].sort());
    assert.equal(listCalls, 4, 'seven keys at two per page take four pages');
    assert.deepEqual(await store.list('runs/sub/'), ['runs/sub/c', 'runs/sub/d']);
    assert.deepEqual(await store.list(''), [...keys, 'runs2/x', 'other/y'].sort());
    assert.deepEqual(await store.list('absent'), []);
  });

  it('keeps stores with different prefixes apart', async (t) => {
    const s3 = need(t);
    if (!s3) return;
    const a = s3.store('tenant-a');
    const a2 = s3.store('/tenant-a-2/');
    const whole = s3.store();
    await a.put('k.txt', 'from a');
    await a2.put('k.txt', 'from a2');
    await a2.put('only-a2.txt', 'x');
    assert.equal((await a.get('k.txt')).toString(), 'from a');
    assert.equal((await a2.get('k.txt')).toString(), 'from a2');
    assert.equal(await a.tryGet('only-a2.txt'), undefined);
    assert.deepEqual(await a.list(''), ['k.txt']);
    assert.deepEqual(await whole.list('tenant-a'), ['tenant-a/k.txt']);
    assert.equal(a2.locate('k.txt'), `s3://${bucket}/tenant-a-2/k.txt`);
    assert.equal(whole.locate('k.txt'), `s3://${bucket}/k.txt`);
  });

  it('rejects keys a local store would treat as paths outside its root', async (t) => {
    const s3 = need(t);
    if (!s3) return;
    const store = s3.store('keys');
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', './a', '']) {
      assert.throws(() => store.locate(key), InvalidArtifactKeyError);
      await assert.rejects(store.put(key, 'no'), InvalidArtifactKeyError);
    }
  });

  it('artifactStoreFromEnv builds an S3 store from an s3:// setting and caches it', async (t) => {
    const s3 = need(t);
    if (!s3) return;
    const env = { MLGYM_ARTIFACTS: `s3://${bucket}/from-env/`, AWS_ENDPOINT_URL_S3: s3.endpoint };
    const store = artifactStoreFromEnv(env);
    assert.ok(store instanceof S3ArtifactStore);
    assert.equal(store.locate('ep/r.json'), `s3://${bucket}/from-env/ep/r.json`);
    await store.put('ep/r.json', '{"ok":true}');
    const whole = s3.store();
    assert.equal((await whole.get('from-env/ep/r.json')).toString(), '{"ok":true}');
    assert.equal(artifactStoreFromEnv({ ...env }), store, 'same setting, same store');
    const viaGenericEndpoint = artifactStoreFromEnv({ MLGYM_ARTIFACTS: `s3://${bucket}`, AWS_ENDPOINT_URL: s3.endpoint });
    assert.notEqual(viaGenericEndpoint, store);
    assert.equal((await viaGenericEndpoint.get('from-env/ep/r.json')).toString(), '{"ok":true}');
  });
});

describe('artifactStoreFromEnv for local and invalid settings', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mlgym-artifacts-env-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('defaults to .mlgym/artifacts in the repository', () => {
    const expected = path.resolve(__dirname, '..', '..', '.mlgym', 'artifacts');
    for (const env of [{}, { MLGYM_ARTIFACTS: '' }]) {
      const store = artifactStoreFromEnv(env);
      assert.ok(store instanceof LocalArtifactStore);
      assert.equal(store.root, expected);
    }
  });

  it('accepts file:// URLs and plain paths', async () => {
    const fromUrl = artifactStoreFromEnv({ MLGYM_ARTIFACTS: `file://${dir}` });
    assert.ok(fromUrl instanceof LocalArtifactStore);
    assert.equal(fromUrl.root, dir);
    await fromUrl.put('ep/a.txt', 'written');
    assert.equal(await readFile(path.join(dir, 'ep', 'a.txt'), 'utf8'), 'written');
    assert.equal(artifactStoreFromEnv({ MLGYM_ARTIFACTS: dir }), fromUrl, 'same folder, same store');
    const relative = artifactStoreFromEnv({ MLGYM_ARTIFACTS: 'some/relative' });
    assert.ok(relative instanceof LocalArtifactStore);
    assert.equal(relative.root, path.resolve('some/relative'));
  });

  it('rejects other values with an error naming the variable and the accepted forms', () => {
    for (const value of ['gs://bucket/x', 'https://example.com/b', 's3://', 's3://Upper_Case/p', 'file://remote-host/x']) {
      assert.throws(
        () => artifactStoreFromEnv({ MLGYM_ARTIFACTS: value }),
        (err: unknown) => {
          assert.ok(err instanceof ArtifactStoreConfigError, `${value}: ${String(err)}`);
          assert.match(err.message, /MLGYM_ARTIFACTS/);
          assert.match(err.message, /file:\/\/\/absolute\/path/);
          assert.match(err.message, /s3:\/\/bucket\[\/prefix\]/);
          return true;
        },
      );
    }
  });
});
