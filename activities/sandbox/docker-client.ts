import Docker from 'dockerode';
import { settleWithin } from '../async';
import { DockerUnreachableError, SandboxGoneError } from './errors';

let client: Docker | undefined;

/** One client per process; dockerode honours DOCKER_HOST (unix, tcp, ssh) like the docker CLI. */
export function dockerClient(): Docker {
  client ??= new Docker();
  return client;
}

export function dockerEndpoint(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Fails fast with instructions when no engine answers; the CLI calls it before starting work. */
export async function checkDockerReachable(docker: Docker = dockerClient()): Promise<void> {
  let answered;
  try {
    answered = await settleWithin(docker.ping(), 5000);
  } catch (err) {
    throw new DockerUnreachableError(dockerEndpoint(), err);
  }
  if (!answered.done) throw new DockerUnreachableError(dockerEndpoint(), new Error('no answer within 5 s'));
}

/** The HTTP status of a Docker API error (404 missing, 409 conflict, 304 no-op), if it is one. */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * A 404 about the container itself, not about a path in it. dockerode labels every 404 "no such
 * container", so the engine's own message (`No such container: <id>`) decides.
 */
export function isMissingContainer(err: unknown): boolean {
  return statusCode(err) === 404 && /No such container:/.test(String((err as Error).message));
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT']);

/** Runs one Docker API interaction, reporting a failed connection as an unreachable engine. */
export async function dockerCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) throw new DockerUnreachableError(dockerEndpoint(), err);
    throw err;
  }
}

/** dockerCall on an episode's container, reporting a container that no longer exists as gone. */
export async function onContainer<T>(episodeId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await dockerCall(call);
  } catch (err) {
    if (isMissingContainer(err)) throw new SandboxGoneError(episodeId, (err as Error).message);
    throw err;
  }
}

/** Splits Docker's multiplexed log format (8-byte frame headers: stream id, then length). */
export function demuxBuffer(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  for (let at = 0; at + 8 <= buffer.length;) {
    const size = buffer.readUInt32BE(at + 4);
    (buffer[at] === 2 ? err : out).push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
