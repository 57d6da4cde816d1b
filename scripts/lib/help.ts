/**
 * Usage of every command and subcommand, in one table: `mlgym --help`, `mlgym <command> [<sub>] --help`
 * (and -h) and the one-line usage errors of the commands are all made from it. cli.ts answers
 * --help from here before it loads any command, so asking for help never connects or starts anything.
 */

/** A flag as it is written (`--runs N`) and what it does, with its default. */
type Flag = [flag: string, meaning: string];

interface CommandHelp {
  /** What follows `usage: `; for a command with subcommands, the short form used in usage errors. */
  usage: string;
  /** One line: what it does (the `mlgym --help` listing). */
  about: string;
  flags?: Flag[];
  /** Paragraphs after the flags: environment, output files, exit codes. */
  details?: string;
  subcommands?: Record<string, CommandHelp>;
  /** A command with subcommands that also runs without one (`mlgym server`). */
  runsAlone?: boolean;
}

const JSON_FLAG: Flag = ['--json', 'print one JSON object on stdout (human progress stays on stderr)'];
const SCALE_FLAG: Flag = [
  '--scale small|paper',
  "small: CPU-sized data and starters (default); paper: MLGym-Bench's data, starters, budgets and GPUs (prepare its data first)",
];
const CONDITIONS_FLAG: Flag = [
  '--conditions strict|mlgym',
  "strict: the sandbox has no network (default); mlgym: MLGym-Bench's, network on (pip installs work)",
];

const CONNECTION =
  "The Temporal server comes from Temporal's environment configuration, as the temporal CLI reads it: a profile of\n" +
  'temporal.toml (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE), overridden by TEMPORAL_ADDRESS (default localhost:7233),\n' +
  'TEMPORAL_NAMESPACE (default default), TEMPORAL_API_KEY, TEMPORAL_TLS and TEMPORAL_TLS_* (client certificate and key,\n' +
  'server CA, server name). UI links use MLGYM_UI_URL (default http://localhost:8233).';

export const HELP: Record<string, CommandHelp> = {
  server: {
    usage: 'mlgym server [--port P] [--ui-port P]',
    about: 'Temporal dev server (state in .mlgym/temporal.db, UI on :8233); `mlgym server stop` stops it',
    runsAlone: true,
    flags: [
      ['--port P', "the server's gRPC port (default 7233)"],
      ['--ui-port P', "the web UI's port (default 8233)"],
    ],
    details:
      'Installs the pinned `temporal` binary into .mlgym/bin if missing, then runs the dev server in the foreground\n' +
      'with its state in .mlgym/temporal.db (episodes survive a restart) and our search attributes registered.\n' +
      'Its pid and port are kept in .mlgym/temporal.pid for `mlgym server stop`.',
    subcommands: {
      stop: {
        usage: 'mlgym server stop',
        about: 'stop the dev server that `mlgym server` started, waiting until its port is closed',
        details:
          'Stops the process group recorded in .mlgym/temporal.pid (or a `temporal server start-dev` using this\n' +
          "checkout's .mlgym/temporal.db), waits until its port is closed and prints one line. With no server\n" +
          'running it says so and exits 0.',
      },
    },
  },
  worker: {
    usage: 'mlgym worker [--role all|control|host] [--host ID] [--slots N] [--cpus N] [--memory-mb N]',
    about: 'a worker: with no flags, everything on this machine; in a fleet, the control role or one Docker host',
    flags: [
      ['--role <all|control|host>', 'all (default): both roles; control: workflows, model calls, artifacts; host: sandboxes'],
      ['--host <id>', "this Docker host's id in a fleet (default: the machine's name); its sandboxes' commands run here"],
      ['--slots <n>', 'sandboxes this host runs at once (default: its CPUs; no limit for a worker without fleet flags)'],
      ['--cpus <n>', "CPUs its sandboxes may take together (default: the machine's)"],
      ['--memory-mb <n>', "memory its sandboxes may take together (default: the machine's)"],
    ],
    details:
      'Runs until SIGINT or SIGTERM, then lets running activities report. A fleet (any flag) needs an artifact store every\n' +
      'machine reaches (s3://..., or MLGYM_ARTIFACTS_SHARED=1 for shared storage). The environment sets the rest up:\n' +
      '  TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE   the server (default localhost:7233, default); also TEMPORAL_PROFILE,\n' +
      '                                         TEMPORAL_CONFIG_FILE, TEMPORAL_API_KEY, TEMPORAL_TLS_* (as the temporal CLI)\n' +
      '  MLGYM_GPUS=0,1,...                     the GPUs sandboxes may use (default: what nvidia-smi lists)\n' +
      '  MLGYM_TASK_QUEUE                       the task queue (default mlgym)\n' +
      '  MLGYM_MAX_ACTIVITIES                   concurrent activities (default 20)\n' +
      '  MLGYM_DATA=small                       episodes started without a scale (before scales existed) use the small data\n' +
      '  MLGYM_ARTIFACTS                        artifact store: a path or s3://bucket/prefix (default .mlgym/artifacts)\n' +
      '  MLGYM_ARTIFACTS_SHARED=1               the path is shared storage every machine of the fleet mounts\n' +
      '  MLGYM_REAP_DOCKER=0                    the periodic reaper leaves Docker containers alone\n' +
      '  OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL   the model providers',
  },
  run: {
    usage: 'mlgym run --task <id|task.yaml> --model <provider:model> [options]',
    about: 'start episodes of a task with a model (checked before anything starts)',
    flags: [
      ['--task <id|path>', 'required: a task id from `mlgym tasks list`, or a task.yaml (or MLGym task file)'],
      ['--model <provider:model>', 'required: openai:<model>, anthropic:<model> or replay:<trajectory file>'],
      ['--runs N', 'episodes to start (default 1)'],
      ['--max-steps N', 'steps per episode (default 50)'],
      ['--cost-limit USD', 'model spend per episode; 0 disables it (default 4)'],
      ['--runtime docker|local', 'where commands run; local does not isolate the agent (default docker)'],
      ['--temperature T', 'sampling temperature, 0 to 2 (default 0)'],
      ['--input-price USD', 'USD per million input tokens (default: the price table; needed for models it lacks)'],
      ['--output-price USD', 'USD per million output tokens (default: the price table)'],
      ['--history-observations N', 'most recent observations the agent keeps in full (default 5)'],
      ['--agent-config <yaml>', "an MLGym agent YAML: its prompts and settings (default: our prompts, MLGym's default agent)"],
      ['--validate-split test|validation', 'the split `validate` scores (default test, as MLGym)'],
      ['--observation-chars N', 'characters of command output shown to the model, head and tail; 0 shows all (default 0)'],
      SCALE_FLAG,
      CONDITIONS_FLAG,
      ['--keep-sandbox', "keep the sandbox after the episode (the worker's reaper removes it after a day)"],
      ['--wait', 'follow the episodes to their end; exit code 0 only if all completed'],
      JSON_FLAG,
    ],
    details: CONNECTION,
  },
  episode: {
    usage: 'mlgym episode status|pause|resume|cancel <episodeId> [--json] [--reason TEXT] [--from-step K] [--wait]',
    about: 'look at or steer one episode',
    details: CONNECTION,
    subcommands: {
      status: {
        usage: 'mlgym episode status <episodeId> [--json]',
        about: 'step, cost, best score, last action and sandbox of an episode (its result once finished)',
        flags: [JSON_FLAG],
      },
      pause: {
        usage: 'mlgym episode pause <episodeId>',
        about: 'pause a running episode before its next step (`mlgym episode resume` continues it)',
        flags: [],
      },
      resume: {
        usage: 'mlgym episode resume <episodeId> [--from-step K] [--wait] [--json]',
        about: 'continue a paused or blocked episode, or a failed, terminated or timed-out one as a new run',
        flags: [
          ['--from-step K', 'for a closed episode: keep steps 1..K and do K+1 onwards again (default: after the last completed step)'],
          ['--wait', 'follow the resumed episode to its end'],
          JSON_FLAG,
        ],
      },
      cancel: {
        usage: 'mlgym episode cancel <episodeId> [--reason TEXT]',
        about: 'end a running episode gracefully: autosubmit, then teardown',
        flags: [['--reason TEXT', 'recorded with the cancellation (default "cancelled with mlgym episode cancel")']],
      },
    },
  },
  sweep: {
    usage: 'mlgym sweep start <spec.yaml> [--wait] [--json] | status <id> [--json] | retry <id> [--wait] [--json] | report <id> [--out DIR] [--json]',
    about: 'many episodes: tasks x models x runs from a spec, with a budget',
    details: CONNECTION,
    subcommands: {
      start: {
        usage: 'mlgym sweep start <spec.yaml> [--wait] [--json]',
        about: 'start a sweep, or resume / extend it (same name: finished cells are kept)',
        flags: [['--wait', 'follow the sweep to its end with a progress line; exit code 0 only if every cell completed'], JSON_FLAG],
      },
      status: {
        usage: 'mlgym sweep status <id> [--json]',
        about: 'cells done / running / failed, cost per cell, per model, in total',
        flags: [JSON_FLAG],
      },
      retry: {
        usage: 'mlgym sweep retry <id> [--wait] [--json]',
        about: 're-run only the failed cells, as new attempts',
        flags: [['--wait', 'follow the sweep to its end'], JSON_FLAG],
      },
      report: {
        usage: 'mlgym sweep report <id> [--out DIR] [--json]',
        about: 'report.json, report.md and report.html: scores, AUP, profiles, cost',
        flags: [['--out DIR', 'where to write the report (default ./<sweep workflow id>-report)'], JSON_FLAG],
      },
    },
  },
  tasks: {
    usage:
      'mlgym tasks list [--scale S] [--conditions C] [--json] | mlgym tasks validate <path> | mlgym tasks prepare <id|path|all> [--scale S] [--small] [--source DIR] [--force] [--runtime docker|local] [--json] | mlgym tasks baseline <id|path> [--scale S] [--json]',
    about: 'the tasks: list them, check a task file, prepare their data, measure their baselines',
    subcommands: {
      list: {
        usage: 'mlgym tasks list [--scale small|paper] [--conditions strict|mlgym] [--json]',
        about: 'every task at a scale: metric, GPUs, network, baseline and where it comes from, image, prepared data',
        flags: [SCALE_FLAG, CONDITIONS_FLAG, JSON_FLAG],
      },
      baseline: {
        usage: 'mlgym tasks baseline <id|path> [--scale small|paper] [--conditions strict|mlgym] [--runtime docker|local] [--json]',
        about: "measure the starter's score at a scale (an episode runs its baseline_command, then submits) and cache it",
        details:
          'The score is cached with the hashes of the image, the prepared data and the task files, and is shown as the\n' +
          "task's baseline at that scale (tasks list, the prompt, reports, AUP) while they stay the same.",
        flags: [SCALE_FLAG, CONDITIONS_FLAG, ['--runtime docker|local', 'where the episode runs (default docker)'], JSON_FLAG],
      },
      validate: {
        usage: 'mlgym tasks validate <path/to/task.yaml>',
        about: 'check a task file (exit code 1 with the problems when it is invalid)',
        flags: [],
      },
      prepare: {
        usage: 'mlgym tasks prepare <id|path|all> [--scale small|paper] [--small] [--source DIR] [--force] [--runtime docker|local] [--json]',
        about: "fetch and split a task's real data (the paper scale's) into .mlgym/data/ (MLGYM_DATA_DIR moves it), or generate the small data",
        flags: [
          ['--scale small|paper', 'which scale the data is for: paper fetches the real data (the default), small is --small'],
          ['--small', 'generate the small offline dataset instead of fetching the real one'],
          ['--source DIR', 'the folder holding files you downloaded (one task only)'],
          ['--force', 'prepare again even if already prepared'],
          ['--runtime docker|local', 'where the preparation runs (default docker)'],
          JSON_FLAG,
        ],
      },
    },
  },
  sandbox: {
    usage: 'mlgym sandbox reap [--local-only] [--json]',
    about: 'sandboxes of episodes',
    details: CONNECTION,
    subcommands: {
      reap: {
        usage: 'mlgym sandbox reap [--local-only] [--json]',
        about: 'remove the sandboxes (containers and local directories) of closed episodes',
        flags: [['--local-only', 'only local sandboxes; leave Docker alone'], JSON_FLAG],
      },
    },
  },
  aup: {
    usage: 'mlgym aup --best best.csv --last last.csv [--lower-is-better "Task A,Task B"] [--json]',
    about: "MLGym's AUP and ranks from best-attempt / best-submission score tables",
    flags: [
      ['--best FILE', "required: the best-attempt score table (MLGym's results/tables format)"],
      ['--last FILE', 'required: the best-submission score table'],
      ['--lower-is-better "A,B"', 'tasks whose metric is lower-is-better, comma-separated, repeatable (default none)'],
      JSON_FLAG,
    ],
  },
  ui: {
    usage: 'mlgym ui [--port P] [--host H] [--token T] [--mlgym-dir DIR]',
    about: 'a web viewer of episodes and sweeps: run list, live episode pages, sweeps, comparisons, MLGym runs',
    flags: [
      ['--port P', 'the port to serve on (default 8234; 0 takes a free one)'],
      ['--host H', 'the address to bind (default 127.0.0.1); any other than loopback needs a token'],
      ['--token T', 'required on every request (default $MLGYM_UI_TOKEN; at least 16 characters); open the URL with ?token=T once'],
      ['--mlgym-dir DIR', "MLGym's own runs to show next to ours: a folder of MLGym run folders (e.g. an MLGym checkout's trajectories/)"],
    ],
    details: `Serves a web app that reads Temporal (visibility and each running episode's status query) and the
artifact store (MLGYM_ARTIFACTS, as the workers write it), and nothing else: the run list with
filters and search; each episode's steps, scores against the baseline and limits, live while it
runs; each sweep's cells, budget, costs, exit statuses and AUP; two episodes or two models side by
side; and, with --mlgym-dir, MLGym's published runs. Transcripts can hold secrets an agent saw: the viewer binds loopback unless given a token.
It keeps serving while Temporal is down and says so on each page.

${CONNECTION}`,
    runsAlone: true,
    subcommands: {
      export: {
        usage: 'mlgym ui export <sweepId> --out DIR [--json]',
        about: "a static, self-contained copy of a sweep's pages",
        flags: [
          ['--out DIR', 'required: where to write index.html and sweep-report.html (created if missing)'],
          ['--json', 'one JSON object on stdout: {file, reportFile, episodes, skipped: [...], bytes}'],
        ],
        details: `Writes DIR/index.html: the viewer with the sweep's page (cells, budget, costs, exit statuses, AUP), the
run list of its episodes, each episode's page and the comparisons, all in one file that opens from
disk with no server and no network; and DIR/sweep-report.html, the report it shows. Full command
outputs stay out (the steps' observations are in). Reads Temporal and the artifact store as
\`mlgym ui\` does (run it with the workers' MLGYM_ARTIFACTS). Exit code 2 for an unknown sweep.`,
      },
    },
  },
  export: {
    usage: 'mlgym export mlgym <episodeId|sweepId> --out DIR [--run-index N] [--json]',
    about: "finished episodes in another tool's layout",
    subcommands: {
      mlgym: {
        usage: 'mlgym export mlgym <episodeId|sweepId> --out DIR [--run-index N] [--json]',
        about: "finished episodes in MLGym's folder layout, for its analysis code and visualiser",
        flags: [
          ['--out DIR', 'required: where to write (created if missing)'],
          ['--run-index N', "the run number of a single episode's folder (to export several lone runs of one setting; default 0)"],
          ['--json', 'one JSON object on stdout: {out, kind, workflowId, folders: [...], skipped: [...]}'],
        ],
        details: `Writes finished episodes in MLGym's folder layout and file names, so that MLGym's analysis code
(mlgym/evaluation/utils.py process_trajectories, scripts/evaluation/process_results.py) and its
trajectory visualiser read them:

  DIR/<model>__<task>__<config>__t-<temperature>__p-<top_p>__c-<cost limit>__install-0__parallel_agents_run_<i>/
      <task>.traj    the trajectory (steps, history with thought and action, info.model_stats)
      results.json   {"agent": [every test-split score in order], "baseline": {...}}
      args.yaml      the episode's settings

  <model>   the model spec made filesystem-safe as in sweep cell ids: openai:gpt-4o -> openai-gpt-4o,
            replay:<dir>/best.traj -> replay-best (provider, '-', the last path segment of the
            model name; any character but letters, digits, '.' and '-' becomes '-', '_' too,
            because MLGym's visualiser splits folder names on '_')
  <config>  the stem of the agent YAML the episode ran with (--agent-config, a sweep's agent_config);
            default for our own prompts, which play MLGym's default agent
  <temperature>, <top_p>, <cost limit>   the episode's settings, two decimals
  <i>       the sweep cell's run number minus one (MLGym counts runs from 0); 0 for an episode
            outside a sweep, or --run-index N

A sweep id (sweep-<name> or <name>) exports the episode of every finished cell and lists the cells
it skipped. Trajectories and results are read from the artifact store the workers write to
(MLGYM_ARTIFACTS), so run this with the workers' setting. Exit code 2 for an unknown id or an
episode that is not completed; 1 when a finished cell of a sweep could not be exported.`,
      },
    },
  },
};

const HELP_FLAG: Flag = ['-h, --help', 'print this help and exit'];

/** `usage: ...` for a usage error; `mlgym <command> --help` tells the rest. */
export function usage(command: string, subcommand?: string): string {
  const entry = HELP[command];
  const subs = entry.subcommands ?? {};
  const text = subcommand !== undefined && Object.hasOwn(subs, subcommand) ? subs[subcommand] : entry;
  return `usage: ${text.usage} (\`mlgym ${command}${text === entry ? '' : ` ${subcommand}`} --help\` for details)`;
}

/** Whether argv (before a `--`) asks for help. */
export function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/**
 * The help for `mlgym <command> [args]`: the subcommand's when the first positional names one,
 * else the command's; undefined for an unknown command.
 */
export function commandHelp(command: string, args: string[] = []): string | undefined {
  const entry = Object.hasOwn(HELP, command) ? HELP[command] : undefined;
  if (!entry) return undefined;
  const subs = entry.subcommands ?? {};
  const first = args.find((arg) => !arg.startsWith('-'));
  // A command with a single subcommand (`export mlgym`, `sandbox reap`) is that subcommand.
  const only = Object.keys(subs).length === 1 && !entry.runsAlone ? Object.values(subs)[0] : undefined;
  const sub = first !== undefined && Object.hasOwn(subs, first) ? subs[first] : only;
  return sub ? format(sub, command, entry.details) : format(entry, command);
}

function format(entry: CommandHelp, command: string, inherited?: string): string {
  const lines = [`usage: ${entry.subcommands && !entry.runsAlone ? `mlgym ${command} <subcommand> ...` : entry.usage}`, '', `${entry.about}.`];
  const details = entry.details ?? inherited;
  if (details) lines.push('', details);
  lines.push('', 'Options:', ...table([...(entry.subcommands && !entry.runsAlone ? [] : (entry.flags ?? [])), HELP_FLAG]));
  if (entry.subcommands) {
    lines.push('', `Subcommands (\`mlgym ${command} <subcommand> --help\` lists a subcommand's flags):`);
    lines.push(...table(Object.values(entry.subcommands).map((sub) => [sub.usage, sub.about])));
  }
  return lines.join('\n');
}

/** `mlgym --help`: every command and subcommand, one line each (or two when the usage is long). */
export function topLevelHelp(): string {
  const rows: Flag[] = [];
  for (const entry of Object.values(HELP)) {
    if (!entry.subcommands || entry.runsAlone) rows.push([entry.usage, entry.about]);
    for (const sub of Object.values(entry.subcommands ?? {})) rows.push([sub.usage, sub.about]);
  }
  return [
    'mlgym: durable agent episodes for ML research tasks, on Temporal',
    '',
    ...table(rows, 36),
    '',
    '`mlgym <command> [<subcommand>] --help` (or -h) lists the flags of a command, with their defaults.',
    '--json prints one JSON object on stdout; human progress goes to stderr.',
  ].join('\n');
}

/** Two columns; a first column wider than `width` puts the second on the next line. */
function table(rows: Flag[], width = Math.min(34, Math.max(0, ...rows.map(([left]) => left.length)))): string[] {
  return rows.flatMap(([left, right]) => (left.length <= width ? [`  ${left.padEnd(width)}  ${right}`] : [`  ${left}`, `  ${' '.repeat(width)}  ${right}`]));
}
