/**
 * MLGym's score-table format: a CSV whose header row names the methods (after a first "Task"
 * column), one row per task, one cell per (task, method); an empty cell is a method with no usable
 * run on that task. This is the format of MLGym's results/tables/{best,last}_scores_*.csv, which
 * the AUP computation (./aup.ts) reads and a sweep report writes.
 *
 * Pure: no Node built-ins, so a workflow may parse or build a table too.
 */
import { z } from 'zod';

/** A plain decimal or scientific number, as Python and pandas write them (no hex, no "Infinity"). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** How pandas writes a missing value when asked to (na_rep); an empty cell is the default. */
const MISSING = /^(?:|nan)$/i;

/** One cell of a score table as text: empty (or "nan") is missing, otherwise a finite number. */
export const ScoreCell = z
  .string()
  .trim()
  .transform((text, ctx): number | null => {
    if (MISSING.test(text)) return null;
    const value = DECIMAL.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(value)) {
      ctx.issues.push({ code: 'custom', input: text, message: `"${text}" is not a finite number (leave the cell empty for "no usable run")` });
      return z.NEVER;
    }
    return value;
  });

/** A parsed table: `rows[i].scores[j]` is task i's score for `methods[j]`, or null when missing. */
export const ScoreTable = z
  .object({
    /** The header's first cell (MLGym writes "Task"). */
    corner: z.string().default('Task'),
    methods: z.array(z.string().min(1, 'a method name is empty')).min(1, 'a score table needs at least one method column'),
    rows: z.array(
      z.object({
        task: z.string().min(1, 'a task name is empty'),
        scores: z.array(z.number().finite().nullable()),
      }),
    ),
  })
  .superRefine((table, ctx) => {
    const duplicate = firstDuplicate(table.methods);
    if (duplicate !== undefined) ctx.addIssue({ code: 'custom', path: ['methods'], message: `method "${duplicate}" appears twice` });
    const duplicateTask = firstDuplicate(table.rows.map((row) => row.task));
    if (duplicateTask !== undefined) ctx.addIssue({ code: 'custom', path: ['rows'], message: `task "${duplicateTask}" appears twice` });
    table.rows.forEach((row, i) => {
      if (row.scores.length !== table.methods.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['rows', i, 'scores'],
          message: `task "${row.task}" has ${row.scores.length} scores for ${table.methods.length} methods`,
        });
      }
    });
  });
export type ScoreTable = z.infer<typeof ScoreTable>;

/** A malformed table; the message names the source, the line and the column of the problem. */
export class ScoreTableError extends Error {
  override name = 'ScoreTableError';
}

export interface ParseOptions {
  /** Named in error messages, e.g. the file the text came from. */
  source?: string;
}

/**
 * Parses a score table from CSV text (RFC 4180 quoting, LF or CRLF line ends, blank lines ignored).
 * Throws a ScoreTableError naming the line, task and method of the first bad cell.
 */
export function parseScoreTable(text: string, options: ParseOptions = {}): ScoreTable {
  const where = options.source ? `${options.source}: ` : '';
  const fail = (message: string): never => {
    throw new ScoreTableError(`${where}${message}`);
  };
  const records = parseCsv(text.replace(/^\uFEFF/, ''), fail).filter((record) => !(record.cells.length === 1 && record.cells[0].trim() === ''));
  if (records.length === 0) fail('empty score table (expected a header row: Task,<method>,<method>,...)');

  const [header, ...body] = records;
  const [corner, ...methodCells] = header.cells.map((cell) => cell.trim());
  if (methodCells.length === 0) fail(`line ${header.line}: the header row names no methods (expected Task,<method>,<method>,...)`);
  methodCells.forEach((method, j) => {
    if (method === '') fail(`line ${header.line}: the header's column ${j + 2} has no method name`);
  });
  const duplicateMethod = firstDuplicate(methodCells);
  if (duplicateMethod !== undefined) fail(`line ${header.line}: method "${duplicateMethod}" appears twice in the header`);

  const seenTasks = new Map<string, number>();
  const rows = body.map((record) => {
    const [taskCell, ...cells] = record.cells;
    const task = taskCell.trim();
    if (task === '') fail(`line ${record.line}: the row has no task name in its first column`);
    const previous = seenTasks.get(task);
    if (previous !== undefined) fail(`line ${record.line}: task "${task}" appears twice (also on line ${previous})`);
    seenTasks.set(task, record.line);
    if (cells.length !== methodCells.length) {
      fail(`line ${record.line} (task "${task}"): ${cells.length} score cells for ${methodCells.length} methods in the header`);
    }
    const scores = cells.map((cell, j) => {
      const parsed = ScoreCell.safeParse(cell);
      if (!parsed.success) fail(`line ${record.line}, task "${task}", method "${methodCells[j]}": ${parsed.error.issues[0]?.message ?? 'invalid cell'}`);
      return parsed.success ? parsed.data : null;
    });
    return { task, scores };
  });
  return { corner: corner === '' ? 'Task' : corner, methods: methodCells, rows };
}

/** Writes a table in the same format (missing scores as empty cells), ending with a newline. */
export function formatScoreTable(table: ScoreTable): string {
  const lines = [[table.corner, ...table.methods], ...table.rows.map((row) => [row.task, ...row.scores.map((score) => (score === null ? '' : String(score)))])];
  return `${lines.map((cells) => cells.map(quoteCsv).join(',')).join('\n')}\n`;
}

/** The score of a method on a task (null when missing); undefined when the table has no such task or method. */
export function scoreOf(table: ScoreTable, task: string, method: string): number | null | undefined {
  const j = table.methods.indexOf(method);
  const row = table.rows.find((r) => r.task === task);
  return j < 0 || !row ? undefined : row.scores[j];
}

interface CsvRecord {
  /** 1-based line on which the record starts. */
  line: number;
  cells: string[];
}

function parseCsv(text: string, fail: (message: string) => never): CsvRecord[] {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    cells.push(cell);
    records.push({ line: recordLine, cells });
    cells = [];
    cell = '';
  };
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
        continue;
      }
      if (ch === '"') {
        quoted = false;
        i += 1;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') fail(`line ${line}: unexpected text after a closing quote`);
        continue;
      }
      if (ch === '\n') line += 1;
      cell += ch;
      i += 1;
      continue;
    }
    if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
      i += 1;
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
      i += 1;
    } else if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line += 1;
      recordLine = line;
    } else {
      cell += ch;
      i += 1;
    }
  }
  if (quoted) fail(`line ${recordLine}: a quoted cell is never closed`);
  if (cell !== '' || cells.length > 0) endRecord();
  return records;
}

function quoteCsv(cell: string): string {
  return /[",\r\n]/.test(cell) || cell !== cell.trim() ? `"${cell.replace(/"/g, '""')}"` : cell;
}

function firstDuplicate(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}
