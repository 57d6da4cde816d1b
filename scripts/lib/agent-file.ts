import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { AgentConfigError, ignoredFields, parseAgentFile, resolveAgentConfig, type AgentConfig } from '../../lib/agent-config';
import { DEFAULT_AGENT } from '../../lib/default-agent';
import { say, UsageError } from './output';

export interface LoadedAgent {
  agent: AgentConfig;
  /** Fields of the YAML this harness does not use, for the user to see. */
  ignored: string[];
  /** Where the format error message came from when the YAML has none. */
  formatErrorSource: 'yaml' | 'mlgym-parser' | 'ours';
}

/**
 * Loads an MLGym agent YAML (`--agent-config`, a sweep's `agent_config`) with the files it names:
 * its demonstrations and, when it has no format_error_template, its output parser's own message
 * from the MLGym checkout it lives in. Any problem is one line naming the file and the field.
 */
export function loadAgentConfig(file: string): LoadedAgent {
  const absolute = path.resolve(file);
  const fail = (field: string, message: string) => new UsageError(`${file}: ${field}: ${message.replace(/\s*\n\s*/g, ' ')}`);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  // MLGym reads its YAMLs with PyYAML: YAML 1.1, the last of duplicate keys wins.
  const document = YAML.parseDocument(text, { version: '1.1', uniqueKeys: false });
  // The first line of the parser's message names the line and column.
  if (document.errors.length) throw new UsageError(`${file}: not valid YAML: ${document.errors[0].message.split('\n')[0].replace(/:$/, '')}`);
  try {
    const parsed = parseAgentFile(document.toJS());
    const checkout = mlgymCheckoutOf(absolute);
    const demonstrations = parsed.demonstrations.map((demo, index) =>
      readDemonstration(path.resolve(checkout ?? path.dirname(absolute), demo), `demonstrations.${index}`),
    );
    const parserMessage = parsed.format_error_template == null && checkout ? parserErrorMessage(checkout, parsed.output_parser) : undefined;
    const agent = resolveAgentConfig(parsed, { source: absolute, demonstrations, parserFormatError: parserMessage ?? DEFAULT_AGENT.formatError });
    const formatErrorSource = parsed.format_error_template != null ? 'yaml' : parserMessage !== undefined ? 'mlgym-parser' : 'ours';
    return { agent, ignored: ignoredFields(parsed), formatErrorSource };
  } catch (err) {
    if (err instanceof AgentConfigError) throw fail(err.field, err.message);
    throw err;
  }
}

/**
 * The agent of a run or sweep: loaded, with what the harness leaves aside told on stderr. An
 * explicit history_observations setting replaces the YAML's history processor.
 */
export function loadAgentForEpisodes(file: string, historyObservations: number | undefined): AgentConfig {
  const { agent, ignored, formatErrorSource } = loadAgentConfig(file);
  if (ignored.length) say(`${file}: not used by this harness: ${ignored.join(', ')}`);
  if (formatErrorSource === 'ours') say(`${file}: no format_error_template and no MLGym source next to it: malformed replies get our format error message`);
  return historyObservations === undefined ? agent : { ...agent, historyProcessor: { kind: 'last_observations', n: historyObservations } };
}

/** MLGym's agent YAMLs live in <checkout>/configs/agents/; its relative paths start at <checkout>. */
function mlgymCheckoutOf(file: string): string | undefined {
  const agentsDir = path.dirname(file);
  const configsDir = path.dirname(agentsDir);
  return path.basename(agentsDir) === 'agents' && path.basename(configsDir) === 'configs' ? path.dirname(configsDir) : undefined;
}

function readDemonstration(file: string, field: string): unknown {
  if (!existsSync(file)) throw new AgentConfigError(field, `${file}: no such file`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AgentConfigError(field, `${file}: not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * The `_error_message` of the parser class in the checkout's mlgym/agent/parsing.py (or of its
 * base class), dedented as MLGym's format_error_template property does. Read from the user's
 * checkout so that their MLGym's own words are used; undefined when the checkout has no source.
 */
export function parserErrorMessage(checkout: string, parser: string): string | undefined {
  const file = path.join(checkout, 'mlgym', 'agent', 'parsing.py');
  return existsSync(file) ? errorMessageOfClass(readFileSync(file, 'utf8'), parser, new Set()) : undefined;
}

function errorMessageOfClass(source: string, name: string, seen: Set<string>): string | undefined {
  const header = new RegExp(`^class ${name}\\(([^)]*)\\):[^\\n]*\\n`, 'm').exec(source);
  if (!header || seen.has(name)) return undefined;
  const rest = source.slice(header.index + header[0].length);
  const nextTopLevel = rest.search(/^\S/m);
  const body = nextTopLevel < 0 ? rest : rest.slice(0, nextTopLevel);
  const literal = /^[ \t]+_error_message\s*(?::[^=\n]*)?=\s*"""([\s\S]*?)"""/m.exec(body);
  if (literal) return dedent(unescapePython(literal[1]));
  const base = header[1].split(',')[0].trim();
  return base ? errorMessageOfClass(source, base, seen.add(name)) : undefined;
}

/** The escapes MLGym's messages use: a backslash-newline continues the line. */
function unescapePython(literal: string): string {
  return literal.replace(/\\(\n|\\|n|t|"|')/g, (_, c: string) => ({ '\n': '', '\\': '\\', n: '\n', t: '\t', '"': '"', "'": "'" })[c] as string);
}

/** Python's textwrap.dedent: blank lines emptied, the indentation all other lines share removed. */
function dedent(text: string): string {
  const lines = text.replace(/^[ \t]+$/gm, '').split('\n');
  const indents = lines.filter((line) => line !== '').map((line) => /^[ \t]*/.exec(line)![0]);
  let margin = indents[0] ?? '';
  for (const indent of indents) while (!indent.startsWith(margin)) margin = margin.slice(0, -1);
  return lines.map((line) => line.slice(margin.length)).join('\n');
}
