import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processHistory, type TranscriptMessage } from '../../lib/history';
import { preview, truncateMiddle } from '../../lib/truncate';
import { exitStatus } from '../../lib/exit-status';
import { parseEvaluatorOutput } from '../../lib/evaluator-output';
import { bestScore } from '../../lib/scores';

const obs = (step: number, content: string): TranscriptMessage => ({ role: 'user', kind: 'observation', step, content });
const act = (step: number): TranscriptMessage => ({ role: 'assistant', kind: 'action', step, content: `action ${step}` });

test('the history processor keeps the task and only the last N observations in full', () => {
  const messages: TranscriptMessage[] = [
    { role: 'system', kind: 'system', step: 0, content: 'sys' },
    { role: 'user', kind: 'task', step: 0, content: 'task' },
  ];
  for (let step = 1; step <= 8; step++) messages.push(act(step), obs(step, `out ${step}\nline2`));
  const processed = processHistory(messages, 5);
  assert.equal(processed.length, messages.length);
  assert.equal(processed[1].content, 'task');
  const observations = processed.filter((m) => m.kind === 'observation').map((m) => m.content);
  assert.deepEqual(observations.slice(0, 3), Array(3).fill('Old output omitted (2 lines)'));
  assert.deepEqual(observations.slice(3), ['out 4\nline2', 'out 5\nline2', 'out 6\nline2', 'out 7\nline2', 'out 8\nline2']);
  assert.ok(processed.filter((m) => m.kind === 'action').every((m, i) => m.content === `action ${i + 1}`));
  assert.equal(processHistory(messages, 0).filter((m) => m.content.startsWith('out')).length, 0);
});

test('long output is cut to head and tail with a note naming the full output', () => {
  const text = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n');
  const cut = truncateMiddle(text, 200, 'episodes/x/steps/1/output.txt');
  assert.ok(cut.startsWith('line 0\n'));
  assert.ok(cut.endsWith('line 999'));
  assert.match(cut, /characters \(\d+ lines\) cut from the middle.*episodes\/x\/steps\/1\/output\.txt/);
  assert.ok(cut.length < 400);
  assert.equal(truncateMiddle('short', 200), 'short');
  assert.equal(preview('a\n  b   c', 10), 'a b c');
});

test('exit statuses follow MLGym', () => {
  assert.equal(exitStatus('submit', 'scored'), 'submitted');
  assert.equal(exitStatus('max_steps', 'scored'), 'autosubmission (max_steps)');
  assert.equal(exitStatus('exit_cost', 'scored'), 'autosubmission (exit_cost)');
  assert.equal(exitStatus('exit_context', 'scored'), 'autosubmission (exit_context)');
  assert.equal(exitStatus('exit_format', 'scored'), 'autosubmission (exit_format)');
  assert.equal(exitStatus('max_steps', 'not_found'), 'submission_not_found (max_steps)');
  assert.equal(exitStatus('submit', 'evaluation_error'), 'evaluation_format_error (submit)');
});

test('evaluator output: the last JSON object wins, stray prints are ignored', () => {
  assert.deepEqual(parseEvaluatorOutput('warming up {not json}\n{"Score": 1}\nnoise\n{"Score": 2.5, "note": "x"}\n'), { ok: true, metrics: { Score: 2.5 } });
  assert.deepEqual(parseEvaluatorOutput('{\n  "accuracy": 0.9,\n  "loss": 0.1\n}'), { ok: true, metrics: { accuracy: 0.9, loss: 0.1 } });
  assert.equal(parseEvaluatorOutput('no json here').ok, false);
  assert.equal(parseEvaluatorOutput('{"status": "ok"}').ok, false);
});

test('best score respects the metric direction', () => {
  const evaluations = [
    { kind: 'validate' as const, step: 1, metrics: { Score: 1 } },
    { kind: 'validate' as const, step: 2, metrics: { Score: 3 } },
    { kind: 'submit' as const, step: 3, metrics: { Score: 2 } },
  ];
  assert.equal(bestScore(evaluations, 'Score', 'max'), 3);
  assert.equal(bestScore(evaluations, 'Score', 'min'), 1);
  assert.equal(bestScore(evaluations, 'Other', 'max'), undefined);
});
