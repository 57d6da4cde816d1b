import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatErrorMessage, parseReply } from '../../lib/reply-parser';

test('a DISCUSSION and one fenced command parse into thought and action', () => {
  const parsed = parseReply('DISCUSSION\nLet me look around.\n\n```bash\nls -la\n```\n');
  assert.deepEqual(parsed, { ok: true, thought: 'Let me look around.', action: 'ls -la' });
});

test('multi-line commands keep their lines and indentation', () => {
  const parsed = parseReply('I will edit.\n```\nedit 1:2\n    return 1\nend_of_edit\n```');
  assert.equal(parsed.ok && parsed.action, 'edit 1:2\n    return 1\nend_of_edit');
});

test('no block, two blocks, an empty block and a missing discussion are format errors', () => {
  assert.match((parseReply('just text') as { error: string }).error, /no fenced command/);
  assert.match((parseReply('a\n```\nls\n```\nb\n```\npwd\n```') as { error: string }).error, /2 fenced blocks/);
  assert.match((parseReply('a\n```\n\n```') as { error: string }).error, /empty/);
  assert.match((parseReply('```\nls\n```') as { error: string }).error, /no DISCUSSION/);
});

test('the format error message restates the expected format', () => {
  const message = formatErrorMessage('Your reply has no fenced command block.');
  assert.match(message, /no fenced command block/);
  assert.match(message, /DISCUSSION/);
  assert.match(message, /```/);
});
