import { open, readFile, stat } from 'node:fs/promises';

/**
 * The poll of a detached command read straight from the worker's filesystem, for sandboxes that
 * share it (the local runtime): the same fields, in the same text, as the POLL script in
 * detached.ts, without starting a process. Starting one from a worker holding hundreds of
 * episodes costs tens of milliseconds of its event loop (fork copies the page tables of its whole
 * memory), which at a poll every few seconds per episode is all of it.
 */
export async function pollOnHost(dir: string, nolast: boolean): Promise<string> {
  const firstLine = async (name: string): Promise<string | undefined> => {
    const text = await readFile(`${dir}/${name}`, 'utf8').catch(() => undefined);
    // As bash's `read -r`: a line counts once its newline is there.
    return text?.includes('\n') ? text.slice(0, text.indexOf('\n')) : undefined;
  };
  const exists = (name: string) =>
    stat(`${dir}/${name}`).then(
      () => true,
      () => false,
    );
  if (!(await exists('started'))) return 'missing=1\n';
  const lines: string[] = [];
  const pid = await firstLine('pid');
  if (pid !== undefined) lines.push(`alive=${(await runnerAlive(Number(pid), dir)) ? 1 : 0}`);
  const started = await firstLine('started');
  if (started !== undefined) lines.push(`started=${started}`);
  lines.push(`now=${((performance.timeOrigin + performance.now()) / 1000).toFixed(6)}`);
  const code = await firstLine('exit');
  if (code !== undefined) {
    lines.push(`exit=${code}`);
    const ended = await firstLine('ended');
    if (ended !== undefined) lines.push(`ended=${ended}`);
    if (code === '137') {
      const limit = (
        await readFile('/sys/fs/cgroup/memory.max', 'utf8').catch(() => readFile('/sys/fs/cgroup/memory/memory.limit_in_bytes', 'utf8').catch(() => ''))
      ).trim();
      lines.push(`mem_limit=${limit}`);
    }
  }
  if (await exists('timed_out')) lines.push('timed_out=1');
  if (await exists('quiet')) lines.push('quiet=1');
  if (await exists('exit')) {
    const state = await readFile(`${dir}/state.json`, 'utf8').catch(() => '');
    if (state) lines.push(`state=${state.replaceAll('\n', '').slice(0, 4096)}`);
  }
  if (await exists('killed')) lines.push('killed=1');
  const size = await stat(`${dir}/out`).then(
    (s) => s.size,
    () => 0,
  );
  lines.push(`out_bytes=${size}`, '--');
  return `${lines.join('\n')}\n${nolast ? '' : await lastLine(`${dir}/out`, size)}`;
}

/** The runner is alive when its pid's command line names the runner (or its launcher) and this exec dir. */
async function runnerAlive(pid: number, dir: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  const argv = cmdline ? cmdline.split('\0').slice(0, -1) : [];
  if (argv.length === 0) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return argv.some((arg, i) => (arg.endsWith('/mlgym-exec') || arg === 'mlgym-launch') && argv[i + 1] === dir);
}

/** As `tail -c 2000 | tail -n 1`: the last line of the output's last 2000 bytes. */
async function lastLine(file: string, size: number): Promise<string> {
  if (size === 0) return '';
  const length = Math.min(size, 2000);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    return `${body.slice(body.lastIndexOf('\n') + 1)}${text.endsWith('\n') ? '\n' : ''}`;
  } finally {
    await handle.close();
  }
}
