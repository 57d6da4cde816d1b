import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseReply } from '../../lib/reply-parser';
import { REPO_ROOT } from '../../scripts/lib/settings';

/**
 * MLGym's MLGymThoughtActionParser, case by case: the expected columns are what MLGym's own parser
 * returned for each reply (run with MLGym's code at commit 9d40c1b). `error` marks a format error.
 */
const MLGYM_CASES: { reply: string; thought?: string; action?: string; error?: RegExp }[] = [
  { reply: 'DISCUSSION\nLet me look around.\n\n```bash\nls -la\n```\n', thought: 'DISCUSSION\nLet me look around.\n\n', action: 'ls -la\n' },
  // DISCUSSION may be empty or absent.
  { reply: '```\nls\n```', thought: '', action: 'ls\n' },
  { reply: 'I will edit.\n```\nedit 1:2\n    return 1\nend_of_edit\n```', thought: 'I will edit.\n', action: 'edit 1:2\n    return 1\nend_of_edit\n' },
  { reply: 'just text', error: /No action found/ },
  { reply: 'a\n```\nls\n```\nb\n```\npwd\n```', error: /more than one code block/ },
  { reply: 'a\n```\n\n```', thought: 'a\n', action: '' },
  { reply: 'Use `ls` here\n```\nls\n```', thought: 'Use `ls` here\n', action: 'ls\n' },
  // Inline triple backticks count as a block of their own.
  { reply: 'inline ```x``` then\n```\nls\n```', error: /more than one code block/ },
  { reply: 'DISCUSSION\nfirst\n```python\nprint(1)\n```\nafter text', thought: 'DISCUSSION\nfirst\nafter text', action: 'print(1)\n' },
  { reply: '```\n\n\nvalidate\n\n```\n', thought: '', action: 'validate\n\n' },
  { reply: 'DISCUSSION\n```\nopen "a.py"\n```   \n', thought: 'DISCUSSION\n', action: 'open "a.py"\n' },
];

test("replies parse exactly as MLGym's default parser parses them", () => {
  for (const c of MLGYM_CASES) {
    const parsed = parseReply(c.reply);
    if (c.error) {
      assert.equal(parsed.ok, false, JSON.stringify(c.reply));
      assert.match((parsed as { error: string }).error, c.error);
    } else {
      assert.deepEqual(parsed, { ok: true, thought: c.thought, action: c.action }, JSON.stringify(c.reply));
    }
  }
});

test('every reply of the published MLGym runs that MLGym accepted parses to the action MLGym recorded', () => {
  const runs = path.join(REPO_ROOT, '..', 'shared', 'fixtures', 'mlgym-checkout', 'trajectories');
  let checked = 0;
  for (const run of readdirSync(runs)) {
    const file = readdirSync(path.join(runs, run)).find((f) => f.endsWith('.traj'))!;
    const traj = JSON.parse(readFileSync(path.join(runs, run, file), 'utf8')) as { trajectory: { response: string; thought: string; action: string }[] };
    for (const step of traj.trajectory) {
      if (/^exit_/.test(step.action)) {
        // The step MLGym ended: its recorded reply was malformed (exit_format) or never came.
        if (step.action === 'exit_format') assert.equal(parseReply(step.response).ok, false, `${run}: ${step.response.slice(0, 80)}`);
        continue;
      }
      assert.deepEqual(parseReply(step.response), { ok: true, thought: step.thought, action: step.action }, run);
      checked += 1;
    }
  }
  // 633 replies in the 36 runs of the checkout subset.
  assert.ok(checked >= 600, `checked ${checked} replies`);
});
