/**
 * The extension side of the comparison page, without VS Code: answers the page's messages, measures
 * the chosen host and streams each figure as it settles. The panel only carries messages.
 */
import type Dockerode from 'dockerode';
import type { HostSnapshot } from '../docker/hostSession';
import type { TopicKey } from './comparisonFacts';
import { errorText } from '../docker/errors';
import { comparisonMarkdown } from './compareMarkdown';
import { AzureFacts, figuresFor, glanceFor, HostInputs, pendingInputs, Settled } from './hostFigures';
import { imageFacts, measureContainerStart, probeImage, readContainers, readEngine, readMemory } from './hostReadings';
import { parseFromPage, type Figure, type HostOption, type ScaleOutAction, type ToPage } from './protocol';
import { fleetText } from './scaleOutFacts';

/** A host the page can show: its Docker engine (when reachable) and, for an Azure VM, its facts. */
export interface CompareHost {
  option: HostOption;
  docker?: { engine: () => Dockerode; snapshot: () => Promise<HostSnapshot> };
  /** Why the engine cannot be measured, when `docker` is absent. */
  noDockerReason?: string;
  /** Absent: not an Azure VM. */
  azure?: () => Promise<AzureFacts>;
}

export interface CompareEnvironment {
  hosts(): Promise<CompareHost[]>;
  /** How many swarms the catalog's hosts belong to. */
  swarms(): Promise<number>;
  post(message: ToPage): void;
  copy(markdown: string): Promise<void>;
  scaleOut(action: ScaleOutAction): Promise<void>;
}

const reasonOf = (err: unknown) => errorText(err).trim();

export class CompareController {
  private generation = 0;
  private host: CompareHost | undefined;
  private inputs: HostInputs = pendingInputs();
  private posted = new Map<TopicKey | 'glance', string>();
  private hosts: CompareHost[] = [];

  constructor(
    private readonly env: CompareEnvironment,
    private preferredHost?: string,
  ) {}

  get selectedHost(): string | undefined {
    return this.host?.option.key;
  }

  async receive(raw: unknown): Promise<void> {
    const message = parseFromPage(raw);
    switch (message?.type) {
      case 'ready':
        await this.start(this.preferredHost ?? message.hostKey);
        break;
      case 'pickHost':
        await this.select(message.hostKey);
        break;
      case 'measureStart':
        if (message.hostKey === this.host?.option.key) {
          await this.runProbe();
        }
        break;
      case 'copyMarkdown':
        await this.env.copy(comparisonMarkdown(this.host?.option.label, figuresFor(this.inputs), glanceFor(this.inputs)));
        this.env.post({ type: 'copied' });
        break;
      case 'scaleOut':
        await this.env.scaleOut(message.action);
        break;
    }
  }

  /** Run again from a host's context menu while the panel is open: switch to that host. */
  async show(hostKey: string | undefined): Promise<void> {
    this.preferredHost = hostKey;
    if (hostKey && this.hosts.length && hostKey !== this.host?.option.key) {
      await this.start(hostKey);
    }
  }

  private async start(hostKey: string | undefined): Promise<void> {
    this.hosts = await this.env.hosts();
    void this.postFleet(this.hosts.length);
    const chosen = this.hosts.find((h) => h.option.key === hostKey) ?? this.hosts[0];
    this.env.post({ type: 'hosts', hosts: this.hosts.map((h) => h.option), selected: chosen?.option.key });
    if (chosen) {
      await this.measure(chosen);
    }
  }

  /** Not awaited by the measuring: finding swarms asks every host, and one may be slow to answer. */
  private async postFleet(hosts: number): Promise<void> {
    const swarms = await this.env.swarms().catch(() => undefined);
    this.env.post({ type: 'fleet', text: fleetText(hosts, swarms) });
  }

  private async select(hostKey: string): Promise<void> {
    const host = this.hosts.find((h) => h.option.key === hostKey);
    if (host) {
      await this.measure(host);
    }
  }

  private async measure(host: CompareHost): Promise<void> {
    const generation = ++this.generation;
    this.host = host;
    // A page reloaded later (hidden and shown again) comes back to this host.
    this.preferredHost = host.option.key;
    this.inputs = pendingInputs();
    this.posted.clear();
    this.env.post({ type: 'measuring', hostKey: host.option.key, label: host.option.label });
    this.publish();
    const settle = async <K extends keyof HostInputs>(
      key: K,
      work: () => Promise<HostInputs[K] extends Settled<infer T> | undefined ? T : never>,
    ) => {
      let result: Settled<unknown>;
      try {
        result = { state: 'ok', value: await work() };
      } catch (err) {
        result = { state: 'failed', reason: reasonOf(err) };
      }
      if (generation === this.generation) {
        this.inputs = { ...this.inputs, [key]: result };
        this.publish();
      }
    };
    const azure = settle('azure', async () => (host.azure ? host.azure() : undefined));
    if (!host.docker) {
      const reason = host.noDockerReason ?? 'Its Docker engine cannot be reached.';
      this.inputs = {
        ...this.inputs,
        engine: { state: 'failed', reason },
        images: { state: 'failed', reason },
        containers: { state: 'failed', reason },
        memory: { state: 'failed', reason },
      };
      this.publish();
      this.env.post({ type: 'probe', hostKey: host.option.key, probe: { state: 'unavailable', reason } });
      await azure;
      return;
    }
    const docker = host.docker;
    const snapshot = docker.snapshot();
    const offer = snapshot.then((s) => probeImage(s.images));
    void offer
      .then((o) => {
        if (generation === this.generation) {
          this.env.post({
            type: 'probe',
            hostKey: host.option.key,
            probe: o
              ? { state: 'offer', ...o }
              : {
                  state: 'unavailable',
                  reason: 'There is no tagged image on this host to start a throwaway container from, and nothing is pulled for it.',
                },
          });
        }
      })
      .catch((err) => {
        if (generation === this.generation) {
          this.env.post({ type: 'probe', hostKey: host.option.key, probe: { state: 'unavailable', reason: reasonOf(err) } });
        }
      });
    await Promise.all([
      azure,
      settle('engine', () => readEngine(docker.engine())),
      settle('images', async () => imageFacts((await snapshot).images)),
      settle('containers', async () => readContainers(docker.engine(), (await snapshot).containers)),
      settle('memory', async () => readMemory(docker.engine(), (await snapshot).containers)),
    ]);
  }

  private async runProbe(): Promise<void> {
    const host = this.host;
    if (!host?.docker || this.inputs.probe?.state === 'pending') {
      return;
    }
    const generation = this.generation;
    const offer = probeImage((await host.docker.snapshot()).images);
    if (!offer) {
      return;
    }
    this.inputs = { ...this.inputs, probe: { state: 'pending' } };
    this.env.post({ type: 'probe', hostKey: host.option.key, probe: { state: 'running' } });
    this.publish();
    let probe: HostInputs['probe'];
    try {
      probe = { state: 'ok', value: { image: offer.image, ms: await measureContainerStart(host.docker.engine(), offer.image) } };
    } catch (err) {
      probe = { state: 'failed', reason: reasonOf(err) };
    }
    if (generation === this.generation) {
      this.inputs = { ...this.inputs, probe };
      // A failure is said where the button was; the start-up figure falls back to timestamps.
      this.env.post({
        type: 'probe',
        hostKey: host.option.key,
        probe:
          probe.state === 'ok'
            ? { state: 'offer', ...offer }
            : { state: 'unavailable', reason: `the throwaway container did not start: ${probe.reason}` },
      });
      this.publish();
    }
  }

  /** Posts the figures that changed since last time, and the glance. */
  private publish(): void {
    const host = this.host;
    if (!host) {
      return;
    }
    const figures = figuresFor(this.inputs);
    for (const [topic, figure] of Object.entries(figures) as [TopicKey, Figure][]) {
      const key = JSON.stringify(figure);
      if (this.posted.get(topic) !== key) {
        this.posted.set(topic, key);
        this.env.post({ type: 'figure', hostKey: host.option.key, topic, figure });
      }
    }
    const glance = glanceFor(this.inputs);
    if (this.posted.get('glance') !== JSON.stringify(glance)) {
      this.posted.set('glance', JSON.stringify(glance));
      this.env.post({ type: 'glance', hostKey: host.option.key, glance });
    }
  }
}
