import { artifactStoreFromEnv } from './artifacts';
import type { ArtifactStore } from './artifacts/store';

/** The artifact store configured for this worker process (MLGYM_ARTIFACTS). */
export function artifacts(): ArtifactStore {
  return artifactStoreFromEnv();
}
