import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalArtifactStore } from '../../activities/artifacts/local';

// `void`: the promises describe() and it() return are awaited by the node:test runner, not here.
describe('LocalArtifactStore', () => {
  let root: string;
  let store: LocalArtifactStore;

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'mlgym-artifacts-'));
    store = new LocalArtifactStore(root);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  void it('round-trips text and binary bodies, creating folders as needed', async () => {
    await store.put('ep-1/transcript.json', '{"a":1}');
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await store.put('ep-1/deep/nested/blob.bin', bytes);
    assert.equal((await store.get('ep-1/transcript.json')).toString('utf8'), '{"a":1}');
    assert.deepEqual(await store.get('ep-1/deep/nested/blob.bin'), bytes);
    assert.equal(await readFile(path.join(root, 'ep-1', 'transcript.json'), 'utf8'), '{"a":1}');
  });

  void it('overwrites an existing key', async () => {
    await store.put('over/k', 'first');
    await store.put('over/k', 'second');
    assert.equal((await store.get('over/k')).toString(), 'second');
  });

  void it('reports missing keys: tryGet gives undefined, get rejects, exists is false', async () => {
    assert.equal(await store.tryGet('missing/nothing.txt'), undefined);
    await assert.rejects(store.get('missing/nothing.txt'), { code: 'ENOENT' });
    assert.equal(await store.exists('missing/nothing.txt'), false);
    await store.put('present/here.txt', 'x');
    assert.equal(await store.exists('present/here.txt'), true);
  });

  void it('lists every key under a folder, sorted, and nothing from sibling folders', async () => {
    for (const key of ['list/b', 'list/a', 'list/sub/c', 'list2/d']) await store.put(key, key);
    // A leftover temporary file from an interrupted put must not show up as an artifact.
    await writeFile(path.join(root, 'list', 'a.tmp-999'), 'partial');
    assert.deepEqual(await store.list('list'), ['list/a', 'list/b', 'list/sub/c']);
    assert.deepEqual(await store.list('list/'), ['list/a', 'list/b', 'list/sub/c']);
    assert.deepEqual(await store.list('nothing-here'), []);
  });

  void it('locates a key as a path inside the root', () => {
    assert.equal(store.locate('ep/x.json'), path.join(root, 'ep', 'x.json'));
  });

  void it('rejects keys that escape the root', async () => {
    for (const key of ['../x', 'a/../../x', '/etc/passwd']) {
      assert.throws(() => store.locate(key), /escapes the store/);
      await assert.rejects(store.put(key, 'no'), /escapes the store/);
      await assert.rejects(store.get(key), /escapes the store/);
    }
  });
});
