import { parseArgs } from 'node:util';
import { z } from 'zod';
import { dockerClient } from '../../activities/sandbox/docker-client';
import { hostGpuInventory } from '../../activities/sandbox/gpus';
import { hostId, hostLedger } from '../../activities/sandbox/host-ledger';
import { TASK_QUEUE } from '../../config/temporal';
import { HOST_ID } from '../../lib/task-queues';
import { GpuInventoryError } from '../../lib/gpus';
import { machineCapacity, type Roles, runWorker, thisMachine } from '../../workers/main';
import { checkJoin } from '../lib/fleet';
import { say, flagError, UsageError } from '../lib/output';
import { withClient } from '../lib/temporal-client';

const WorkerFlags = z.object({
  role: z.enum(['all', 'control', 'host'], { error: '--role must be all, control or host' }).default('all'),
  host: z.string().regex(HOST_ID, 'a host id is letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit').optional(),
  slots: z.coerce.number().int().positive().optional(),
  cpus: z.coerce.number().positive().optional(),
  'memory-mb': z.coerce.number().int().positive().optional(),
});

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { role: { type: 'string' }, host: { type: 'string' }, slots: { type: 'string' }, cpus: { type: 'string' }, 'memory-mb': { type: 'string' } },
  });
  const parsed = WorkerFlags.safeParse(values);
  if (!parsed.success) throw flagError(parsed.error);
  const flags = parsed.data;
  const sized = flags.slots !== undefined || flags.cpus !== undefined || flags['memory-mb'] !== undefined;
  if (flags.role === 'control' && (flags.host !== undefined || sized))
    throw new UsageError('--host, --slots, --cpus and --memory-mb describe a sandbox host: not for --role control');
  // One `mlgym worker` with no flags is one machine doing everything, as before fleets.
  const fleet = flags.role !== 'all' || flags.host !== undefined || sized;
  const roles = hostRoles(flags, fleet);

  await withClient(async (client) => {
    // Unreachable server, bad TLS or API key fail here in one line (withClient), before any polling.
    await checkJoin(client, TASK_QUEUE, roles, fleet, thisMachine());
  });
  if (roles.host?.capacity) {
    const { id, capacity } = roles.host;
    say(`host ${id}: ${capacity.slots} sandbox slot(s), ${capacity.cpus} CPU(s), ${capacity.memoryMb} MB, ${capacity.gpus} GPU(s)`);
    try {
      const held = await hostLedger.seedFromDocker(dockerClient());
      if (held) say(`host ${id}: ${held} sandbox(es) already on its Docker engine count against its capacity`);
    } catch (err) {
      say(`host ${id}: Docker not reachable (${(err as Error).message.split('\n')[0]}): only local sandboxes can run here`);
    }
  }
  await runWorker({ roles });
  return 0;
}

function gpuCount(): number {
  try {
    return hostGpuInventory().ids.length;
  } catch (err) {
    if (err instanceof GpuInventoryError) throw new UsageError(err.message);
    throw err;
  }
}

function hostRoles(flags: z.infer<typeof WorkerFlags>, fleet: boolean): Roles {
  const control = flags.role !== 'host';
  if (flags.role === 'control') return { control };
  // The id the sandboxes' handles carry (activities read it from MLGYM_HOST).
  const id = flags.host ?? hostId();
  if (!HOST_ID.test(id)) throw new UsageError(`this machine's name "${id}" cannot be a host id: give one with --host`);
  process.env.MLGYM_HOST = id;
  const gpus = gpuCount();
  if (!fleet) return { control, host: { id, gpus: gpus > 0 } };
  const machine = machineCapacity(gpus);
  const capacity = {
    slots: flags.slots ?? machine.slots,
    cpus: flags.cpus ?? machine.cpus,
    memoryMb: flags['memory-mb'] ?? machine.memoryMb,
    gpus,
  };
  return { control, host: { id, gpus: gpus > 0, capacity } };
}
