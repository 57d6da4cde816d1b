import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluationMarker,
  isMalformedEdit,
  isTrainingCommand,
  observationFromOutput,
  pythonDict,
  pythonFloat,
  timeoutObservation,
  validationObservation,
} from '../../lib/mlgym-env';

/** Expected values were produced by MLGym's own code (its TQDM_PATTERN filter, Python's repr). */
test("output becomes MLGym's observation: CRLF normalised, tqdm bars and empty lines dropped", () => {
  const raw =
    'Epoch 1\r\n\r\ntrain:  45%|####5     | 45/100 [00:01<00:02, 30.1it/s]\rtrain: 100%|##########| 100/100 [00:03<00:00, 30.0it/s]\nloss 0.5\n\n  \nnot a bar 50% done\n';
  assert.equal(observationFromOutput(raw), 'Epoch 1\nloss 0.5\n  \nnot a bar 50% done');
});

test("metrics print as MLGym's f-strings print Python dicts", () => {
  const table: [number, string][] = [
    [2, '2.0'],
    [1e-5, '1e-05'],
    [0.1234, '0.1234'],
    [1.027919888496399, '1.027919888496399'],
    [25010.362109862173, '25010.362109862173'],
    [1e16, '1e+16'],
    [123456789012345, '123456789012345.0'],
    [-0, '-0.0'],
    [0.0001, '0.0001'],
    [3e-4, '0.0003'],
    [-4, '-4.0'],
  ];
  for (const [value, python] of table) assert.equal(pythonFloat(value), python, String(value));
  assert.equal(pythonDict({ rmse: 30340.1, r2: 0.88 }), "{'rmse': 30340.1, 'r2': 0.88}");
  assert.equal(
    validationObservation('/home/agent/workspace/submission.csv', { Score: 1.25 }, { Score: 1 }),
    "Your code produced a valid submission artefact at /home/agent/workspace/submission.csv.\nBaseline Score: {'Score': 1.0}\nEvaluation Score: {'Score': 1.25}",
  );
  assert.match(validationObservation('/x', { Score: 1 }, undefined), /Baseline Score: NA \(no baseline was there\)/);
});

test('the training timeout applies wherever a training command name occurs, as a substring', () => {
  for (const action of [
    'python train.py',
    'cd src && python3 -m x',
    'torchrun --nproc 2 t.py',
    'accelerate launch t.py',
    'cat python_notes.txt',
    'deepspeed t.py',
  ])
    assert.equal(isTrainingCommand(action), true, action);
  for (const action of ['ls', 'bash train.sh', 'open "train.py"']) assert.equal(isTrainingCommand(action), false, action);
});

test('validate and submit are recognised by the markers their tools print; validation wins', () => {
  assert.equal(evaluationMarker('training...\n<<VALIDATION||\nvalidating file\n||VALIDATION>>\n'), 'validate');
  assert.equal(evaluationMarker('<<SUBMISSION||\nsubmitting file\n||SUBMISSION>>'), 'submit');
  assert.equal(evaluationMarker('<<SUBMISSION||\n||SUBMISSION>>\n<<VALIDATION||\n||VALIDATION>>'), 'validate');
  assert.equal(evaluationMarker('echo validate'), undefined);
});

test("MLGym's malformed edit: `edit s:e` at the start without end_of_edit anywhere", () => {
  assert.equal(isMalformedEdit('edit 1:3\nx = 1'), true);
  assert.equal(isMalformedEdit('edit 1:3'), true);
  assert.equal(isMalformedEdit('edit 1:3\nx = 1\nend_of_edit'), false);
  assert.equal(isMalformedEdit('ls && edit 1:3\nx'), false);
  assert.equal(isMalformedEdit('edit 5\nx'), false);
});

test("timeouts read as MLGym's", () => {
  assert.equal(timeoutObservation('partial', 25, false), 'partial\nEXECUTION TIMED OUT BECAUSE THE COMMAND WAS RUNNING FOR MORE THAN 25 SECONDS.');
  assert.match(timeoutObservation('', 3600, true), /NO OUTPUT WAS PRODUCED FOR MORE THAN 3600 SECONDS\.\nPLEASE REFINE/);
});
