/**
 * Python's string semantics where MLGym's prompts depend on them: `str.format` with named fields
 * (how MLGym fills its agent templates), `str()` of the values it fills in, `str.splitlines`
 * (how its history processor counts lines) and `str.isspace` (how it tells an empty observation).
 * Templates are checked once (parseFormat) so that a bad one fails when it is loaded, not mid-run.
 */
import { pythonFloat } from './mlgym-env';

export interface FormatField {
  name: string;
  conversion?: 'r' | 's' | 'a';
  /** The field as written, braces included, for error messages. */
  text: string;
}
export type FormatPart = string | FormatField;

export class FormatSyntaxError extends Error {}

/**
 * Splits a format string into literal text and fields, with Python's escapes (`{{`, `}}`) and
 * errors. Only what MLGym's keyword-only `format(**vars)` can fill is accepted: named fields with
 * an optional `!r`/`!s`/`!a`; positional fields, attribute or index access and format specs are
 * refused here rather than failing (or printing something odd) at render time.
 */
export function parseFormat(template: string): FormatPart[] {
  const parts: FormatPart[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '}') {
      if (template[i + 1] !== '}') throw new FormatSyntaxError("Single '}' encountered in format string");
      literal += '}';
      i += 2;
    } else if (c !== '{') {
      literal += c;
      i += 1;
    } else if (template[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else {
      const end = fieldEnd(template, i);
      if (literal) parts.push(literal);
      literal = '';
      parts.push(parseField(template.slice(i, end + 1)));
      i = end + 1;
    }
  }
  if (literal) parts.push(literal);
  return parts;
}

/** Index of the `}` closing the field opened at `start` (nested braces belong to a format spec). */
function fieldEnd(template: string, start: number): number {
  if (start === template.length - 1) throw new FormatSyntaxError("Single '{' encountered in format string");
  let depth = 0;
  for (let i = start; i < template.length; i++) {
    if (template[i] === '{') depth += 1;
    else if (template[i] === '}' && --depth === 0) return i;
  }
  throw new FormatSyntaxError("expected '}' before end of string");
}

function parseField(text: string): FormatField {
  const body = text.slice(1, -1);
  const [, name, bang, conversion, colon, spec] = /^([^!:]*)(!([^:]*))?(:(.*))?$/s.exec(body) ?? [];
  if (name === '' || /^\d+$/.test(name)) throw new FormatSyntaxError(`positional field ${text}: MLGym fills templates by name only`);
  if (/[.[]/.test(name)) throw new FormatSyntaxError(`${text}: attribute and index access are not supported`);
  if (bang !== undefined && !['r', 's', 'a'].includes(conversion)) throw new FormatSyntaxError(`${text}: unknown conversion (use !r, !s or !a)`);
  if (colon !== undefined && spec !== '') throw new FormatSyntaxError(`${text}: format specs are not supported`);
  return { name, text, ...(bang !== undefined && { conversion: conversion as FormatField['conversion'] }) };
}

/** The names a template refers to, in order of first use. */
export function fieldNames(template: string): string[] {
  return [...new Set(parseFormat(template).flatMap((part) => (typeof part === 'string' ? [] : [part.name])))];
}

/** `template.format(**vars)`; every field must be in `vars` (check with fieldNames beforehand). */
export function formatPython(template: string, vars: Readonly<Record<string, unknown>>): string {
  return parseFormat(template)
    .map((part) => {
      if (typeof part === 'string') return part;
      if (!(part.name in vars)) throw new FormatSyntaxError(`no value for ${part.text}`);
      const value = vars[part.name];
      return part.conversion === 'r' || part.conversion === 'a' ? pyRepr(value) : pyStr(value);
    })
    .join('');
}

/** Python's `str()` of a YAML/JSON value. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Python's `repr()` of a YAML/JSON value (integral numbers read as ints, as YAML gives them). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloat(value);
  if (typeof value === 'string') return stringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object')
    return `{${Object.entries(value)
      .map(([key, item]) => `${stringRepr(key)}: ${pyRepr(item)}`)
      .join(', ')}}`;
  return String(value);
}

function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] as string);
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

/** Python's line boundaries (str.splitlines); \r\n is one. The file, group and record separators count. */
// eslint-disable-next-line no-control-regex
const LINE_BREAKS = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex
const ENDS_WITH_BREAK = /[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]$/;

/** `len(text.splitlines())`: a final line break does not start another line; '' has none. */
export function pyLineCount(text: string): number {
  if (text === '') return 0;
  const breaks = text.match(LINE_BREAKS)?.length ?? 0;
  return ENDS_WITH_BREAK.test(text) ? breaks : breaks + 1;
}

/** Python's whitespace (str.isspace / str.strip), which differs from JavaScript's \s. */
// eslint-disable-next-line no-control-regex
const PY_BLANK = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

/** `text.strip() == ''`. */
export function pyIsBlank(text: string): boolean {
  return PY_BLANK.test(text);
}
