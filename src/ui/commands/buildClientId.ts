import * as crypto from 'crypto';
import type { CommandDeps } from './commandDeps';

const BUILD_CLIENT_KEY = 'dockerOnAzure.buildClientId';

/**
 * This installation's random id (as the Docker CLI's node id): a host keeps the files of the last
 * build per id and folder, so a redeploy sends only what changed. Not a secret: the host sees
 * only a hash of it with the folder's path.
 */
export async function buildClientId(deps: CommandDeps): Promise<string> {
  const stored = deps.context.globalState.get<string>(BUILD_CLIENT_KEY);
  if (stored) {
    return stored;
  }
  const id = crypto.randomBytes(32).toString('hex');
  await deps.context.globalState.update(BUILD_CLIENT_KEY, id);
  return id;
}
