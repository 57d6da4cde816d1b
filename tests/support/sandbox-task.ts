import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadTask } from '../../scripts/lib/tasks';
import type { TaskConfig } from '../../lib/task-config';

export const SECRET = 'the-hidden-answer-7f3a';

/**
 * A throwaway task for sandbox tests: starter code, an evaluator with a support module that reads
 * a hidden answers file, and a data folder. Written to a temp dir and loaded like a real task.
 */
export function writeSandboxTask(): { task: TaskConfig; taskDir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlgym-sandbox-task-'));
  const spec = {
    id: 'sandbox-test',
    name: 'Sandbox test',
    description: 'Copies the answers into submission.txt.',
    metric: { name: 'accuracy', direction: 'max' },
    submission_path: 'submission.txt',
    starter_code: ['train.py', 'src'],
    evaluation_paths: ['evaluate.py'],
    evaluator_support_paths: ['scoring.py'],
    hidden_files: ['answers.txt', 'data/labels.csv'],
    resources: { cpus: 1, memory_mb: 256, pids: 64 },
    command_timeout: 10,
  };
  writeFileSync(path.join(dir, 'task.yaml'), YAML.stringify(spec));
  writeFileSync(path.join(dir, 'train.py'), 'print("training")\n');
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'src', 'model.py'), 'WEIGHTS = 1\n');
  writeFileSync(path.join(dir, 'scoring.py'), 'def score(guess, truth):\n    return float(guess.strip() == truth.strip())\n');
  writeFileSync(
    path.join(dir, 'evaluate.py'),
    [
      'import json, os, sys',
      'from scoring import score',
      'truth = open("answers.txt").read()',
      'guess = open("submission.txt").read() if os.path.exists("submission.txt") else ""',
      'print(f"uid={os.getuid()}", file=sys.stderr)',
      'print(json.dumps({"accuracy": score(guess, truth)}))',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'answers.txt'), `${SECRET}\n`);
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data', 'train.csv'), 'x,y\n1,2\n');
  writeFileSync(path.join(dir, 'data', 'labels.csv'), `id,label\n1,${SECRET}\n`);
  const loaded = loadTask(dir);
  return { task: loaded.config, taskDir: loaded.dir };
}
