/**
 * The task queues of a fleet (Temporal's worker-specific task queue pattern). Episodes and sweeps,
 * model calls and the artifact-store activities run on the base queue (the control role). A new
 * sandbox is taken from a shared provisioning queue by a host with room for it: GPU tasks from
 * their own queue, which only hosts with GPUs poll. Everything that touches an existing sandbox
 * runs on its host's own queue, named in the sandbox's handle.
 */
export const provisioningQueue = (base: string, gpus: number): string => (gpus > 0 ? `${base}-sandboxes-gpu` : `${base}-sandboxes`);

export const hostQueue = (base: string, host: string): string => `${base}-host-${host}`;

/** A host id names a task queue and a search attribute value: keep it to a plain token. */
export const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
