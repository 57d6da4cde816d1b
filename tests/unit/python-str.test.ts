import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldNames, formatPython, pyIsBlank, pyLineCount } from '../../lib/python-str';

/** Expected values are what Python 3 prints for the same input. */
test('str.format: escapes, str() and repr() of the values', () => {
  const vars = { b: "it's", c: [1, 'x', null, true], d: { k: 1.5 }, e: 1e-5 };
  assert.equal(formatPython('{{a}} {b!r} {c} {d} {e}', vars), `{a} "it's" [1, 'x', None, True] {'k': 1.5} 1e-05`);
  assert.deepEqual(fieldNames('{x} {{y}} {z} {x}'), ['x', 'z']);
});

test('str.format: what Python refuses, and what MLGym cannot fill, is refused when parsed', () => {
  const refused: [template: string, message: RegExp][] = [
    ['{', /Single '\{' encountered in format string/],
    ['}', /Single '\}' encountered in format string/],
    ['a{b', /expected '\}' before end of string/],
    ['{0}', /positional field \{0\}/],
    ['{}', /positional field \{\}/],
    ['{a.b}', /attribute and index access/],
    ['{a!x}', /unknown conversion/],
    ['{a:>3}', /format specs are not supported/],
  ];
  for (const [template, message] of refused) assert.throws(() => fieldNames(template), message, template);
});

test('str.splitlines and str.isspace as Python counts them', () => {
  const lines: [text: string, count: number][] = [
    ['a\nb\n', 2],
    ['', 0],
    ['\n', 1],
    ['a\r\nb', 2],
    ['a\rb\x0bc', 3],
    ['a\n\n', 2],
    ['x\x1cy', 2],
    ['one', 1],
  ];
  for (const [text, count] of lines) assert.equal(pyLineCount(text), count, JSON.stringify(text));
  assert.equal(pyIsBlank(' \x1c'), true);
  assert.equal(pyIsBlank('\xa0\u3000'), true);
  assert.equal(pyIsBlank('\u200b'), false);
  assert.equal(pyIsBlank('\ufeff'), false);
});
