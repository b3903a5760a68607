import * as os from 'os';
import { readDockerContexts, dockerConfigDir, ContextProblem } from '../../core/docker/dockerContexts';
import type { DockerHostSession } from '../../core/docker/hostSession';
import { DockerHostSpec } from '../../core/docker/hostSpec';
import { localEngineSpec } from '../../core/docker/localEngine';
import type { HostCatalog } from '../../core/hosts/hostCatalog';
import { AddedHostsStore } from './addedHostsStore';

export interface HostListOptions {
  showLocalEngine: boolean;
  showContexts: boolean;
}

export interface OtherHostsListing {
  sessions: DockerHostSession[];
  problems: ContextProblem[];
  currentContext?: string;
}

/** The catalog group of the hosts Other Docker Hosts shows. */
export const OTHER_HOSTS_GROUP = 'other';

/**
 * The hosts that are not Azure VMs: the local engine, Docker CLI contexts and addresses the user
 * added. Each load reads them afresh into the catalog, which keeps the sessions of unchanged hosts.
 */
export class OtherHostsSource {
  constructor(
    private readonly catalog: HostCatalog,
    private readonly added: AddedHostsStore,
    private readonly options: () => HostListOptions,
  ) {
    catalog.addSource(() => this.load().then(() => undefined));
  }

  async load(): Promise<OtherHostsListing> {
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
    return { sessions: this.catalog.update(OTHER_HOSTS_GROUP, specs), problems, currentContext };
  }
}
