import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { hubNamesLoaded } from '../../lib/hub-names';
import { REPO_ROOT } from '../../scripts/lib/settings';

const MLGYM_DATA = path.join(REPO_ROOT, '..', 'shared', 'fixtures', 'mlgym-checkout', 'data');

test('Hub names: literal first arguments of load_dataset and from_pretrained; files, paths and packaged builders are not names', () => {
  const cases: [string, { datasets: string[]; models: string[] }][] = [
    ['load_dataset("multi_nli")["validation_matched"]', { datasets: ['multi_nli'], models: [] }],
    ["cifar10 = load_dataset('uoft-cs/cifar10', split='test')", { datasets: ['uoft-cs/cifar10'], models: [] }],
    ['load_dataset(path="SetFit/mnli")', { datasets: ['SetFit/mnli'], models: [] }],
    [
      "BertTokenizer.from_pretrained('bert-base-uncased')\nAutoModel.from_pretrained(\n    'gpt2', num_labels=3)",
      { datasets: [], models: ['bert-base-uncased', 'gpt2'] },
    ],
    ['load_dataset("json", data_files="train.json"); load_dataset("csv", data_files=f)', { datasets: [], models: [] }],
    ['from_pretrained("./checkpoints/model"); from_pretrained("/abs/model"); from_pretrained("model.pt"); from_pretrained(name)', { datasets: [], models: [] }],
    ['load_dataset("multi_nli"); load_dataset("multi_nli")', { datasets: ['multi_nli'], models: [] }],
    ['from_pretrained("bert_mnli_model")', { datasets: [], models: ['bert_mnli_model'] }],
  ];
  for (const [source, expected] of cases) assert.deepEqual(hubNamesLoaded(source), expected, source);
});

test("Hub names in MLGym's MNLI files: the evaluator's and the baseline's", (t) => {
  if (!existsSync(MLGYM_DATA)) {
    if (process.env.CI === 'true') throw new Error(`MLGym's checkout subset is required when CI=true: ${MLGYM_DATA} is missing`);
    return t.skip(`MLGym's checkout subset is not at ${MLGYM_DATA}`);
  }
  const names = (file: string) => hubNamesLoaded(readFileSync(path.join(MLGYM_DATA, 'bertMNLI', file), 'utf8'));
  assert.deepEqual(names('evaluate.py'), { datasets: ['multi_nli'], models: ['bert-base-uncased', 'bert_mnli_model'] });
  assert.deepEqual(names('baseline.py').datasets, ['SetFit/mnli']);
  assert.ok(names('baseline.py').models.includes('bert-base-uncased'));
});
