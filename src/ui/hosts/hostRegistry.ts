import * as os from 'os';
import { readDockerContexts, dockerConfigDir, ContextProblem } from '../../core/docker/dockerContexts';
import { ConnectionEnvironment } from '../../core/docker/connectionEnvironment';
import { DockerHostSession } from '../../core/docker/hostSession';
import { DockerHostSpec } from '../../core/docker/hostSpec';
import { localEngineSpec } from '../../core/docker/localEngine';
import { AddedHostsStore } from './addedHostsStore';

export interface HostListOptions {
  showLocalEngine: boolean;
  showContexts: boolean;
}

export interface HostList {
  sessions: DockerHostSession[];
  problems: ContextProblem[];
  currentContext?: string;
}

/**
 * Keeps one session per host, reused across re-listings while the host's settings are unchanged,
 * so connections (an SSH handshake) are not rebuilt on every refresh.
 */
export class HostRegistry {
  private sessions = new Map<string, DockerHostSession>();

  constructor(
    private readonly added: AddedHostsStore,
    private readonly connectionEnv: () => ConnectionEnvironment,
    private readonly options: () => HostListOptions,
  ) {}

  async list(): Promise<HostList> {
    const opts = this.options();
    const specs: DockerHostSpec[] = [];
    let problems: ContextProblem[] = [];
    let currentContext: string | undefined;
    if (opts.showLocalEngine) {
      specs.push(localEngineSpec(process.env));
    }
    if (opts.showContexts) {
      const contexts = await readDockerContexts(dockerConfigDir(process.env, os.homedir()));
      specs.push(...contexts.hosts);
      problems = contexts.problems;
      currentContext = contexts.currentContext;
    }
    specs.push(...this.added.list());
    const next = new Map<string, DockerHostSession>();
    for (const spec of specs) {
      const existing = this.sessions.get(spec.id);
      next.set(
        spec.id,
        existing && JSON.stringify(existing.spec) === JSON.stringify(spec) ? existing : new DockerHostSession(spec, this.connectionEnv()),
      );
    }
    for (const [id, session] of this.sessions) {
      if (next.get(id) !== session) {
        session.dispose();
      }
    }
    this.sessions = next;
    return { sessions: [...next.values()], problems, currentContext };
  }

  get(hostId: string): DockerHostSession | undefined {
    return this.sessions.get(hostId);
  }

  all(): DockerHostSession[] {
    return [...this.sessions.values()];
  }

  dispose(): void {
    for (const session of this.sessions.values()) {
      session.dispose();
    }
    this.sessions.clear();
  }
}
