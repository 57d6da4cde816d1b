/**
 * The Hugging Face Hub names that MLGym's Python code loads: `load_dataset("multi_nli")`,
 * `BertTokenizer.from_pretrained('bert-base-uncased')`. With network these download; offline they
 * resolve to a folder of that name in the working directory, which is how imported tasks serve them.
 */

export interface HubNames {
  datasets: string[];
  models: string[];
}

// Builders that ship inside `datasets` and read files the call names: nothing to fetch.
const PACKAGED_BUILDERS = new Set([
  'json',
  'csv',
  'parquet',
  'text',
  'arrow',
  'pandas',
  'sql',
  'generator',
  'imagefolder',
  'audiofolder',
  'videofolder',
  'webdataset',
]);

// A Hub id: `name` or `owner/name`, no extension-looking tail, no absolute or dotted path.
const HUB_ID = /^[A-Za-z0-9][\w-]*(\.[\w-]+)*(\/[A-Za-z0-9][\w.-]*)?$/;
const FILE_LIKE = /\.(py|json|csv|txt|pt|pth|bin|safetensors|parquet|ya?ml|pkl)$/i;

function literalFirstArguments(source: string, call: string): string[] {
  const pattern = new RegExp(`\\b${call}\\(\\s*(?:path\\s*=\\s*|pretrained_model_name_or_path\\s*=\\s*)?(["'])([^"'\\n]+)\\1`, 'g');
  return [...source.matchAll(pattern)].map((match) => match[2]);
}

const isHubId = (name: string) => HUB_ID.test(name) && !FILE_LIKE.test(name) && !PACKAGED_BUILDERS.has(name);

/** The Hub names a Python source loads with a literal first argument, each once, in order. */
export function hubNamesLoaded(source: string): HubNames {
  const unique = (names: string[]) => [...new Set(names.filter(isHubId))];
  return { datasets: unique(literalFirstArguments(source, 'load_dataset')), models: unique(literalFirstArguments(source, 'from_pretrained')) };
}
