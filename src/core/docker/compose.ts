import type Dockerode from 'dockerode';
import { runContainerAction } from './containerActions';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** Files Compose itself looks for, and the names people give overrides (`compose.prod.yaml`). */
export const COMPOSE_FILE_PATTERN = /^(docker-)?compose(\.[\w-]+)?\.ya?ml$/i;

/** The project name Compose would derive from the folder, made explicit so Up and the tree agree. */
export function composeProjectName(folderName: string): string {
  const name = folderName
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[^a-z0-9]+/, '');
  return name || 'default';
}

function notFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

/**
 * What `compose down` does, through the Engine API: the project's containers and networks go, its
 * volumes and images stay. By label rather than through the tool, so a project can be taken down
 * from the tree without its compose file on this machine (started elsewhere, or the file moved).
 */
export async function composeDown(
  docker: Dockerode,
  project: string,
  onProgress: (text: string) => void,
): Promise<{ containers: number; networks: number }> {
  const filters = JSON.stringify({ label: [`${COMPOSE_PROJECT_LABEL}=${project}`] });
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map(async (c) => {
      const name = c.Names[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
      onProgress(`Removing ${name}`);
      const container = docker.getContainer(c.Id);
      try {
        // Stopped first, as compose does, so services get their stop signal and grace period.
        if (c.State === 'running') {
          await runContainerAction(docker, c.Id, 'stop');
        }
        await container.remove({ force: true });
      } catch (err) {
        if (!notFound(err)) {
          throw err;
        }
      }
    }),
  );
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) {
    onProgress(`Removing network ${n.Name}`);
    try {
      await docker.getNetwork(n.Id).remove();
    } catch (err) {
      if (!notFound(err)) {
        throw err;
      }
    }
  }
  return { containers: containers.length, networks: networks.length };
}
