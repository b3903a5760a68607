import type { DockerHostSession } from '../../core/docker/hostSession';
import type { CommandDeps } from './commandDeps';

/** Every Docker host either view lists, Other Docker Hosts first. */
export async function allSessions(deps: CommandDeps): Promise<DockerHostSession[]> {
  return [...(await deps.otherHosts.registry.list()).sessions, ...deps.azureHosts.dockerSessions()];
}

/** A host's tree shows what changed on it now, in whichever view lists it. */
export function refreshHostEverywhere(deps: CommandDeps, session: DockerHostSession): void {
  session.invalidate();
  deps.otherHosts.scheduler.refreshNow(session.spec.id);
  deps.azureHosts.scheduler.refreshNow(session.spec.id);
}
