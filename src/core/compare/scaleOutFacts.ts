/**
 * "When one host is not enough": when to move from one Docker host to a swarm, when to move on to
 * a managed orchestrator, and what became of the tools the source overview lists for groups of
 * VMs and containers. In our own words; the live line comes from {@link fleetText}.
 */

export interface ScaleOutStep {
  key: 'swarm' | 'orchestrator';
  title: string;
  signs: readonly string[];
}

export const SCALE_OUT_STEPS: readonly ScaleOutStep[] = [
  {
    key: 'swarm',
    title: 'Move from one host to a swarm when',
    signs: [
      'one VM no longer has the CPU or memory for all your containers, and a bigger size costs more than a second VM;',
      'a container must keep running while its VM is rebooted, patched or resized;',
      'you want to roll a new image out replica by replica and roll it back if the new one fails;',
      'you run the same compose file on several hosts by hand and want one place to deploy it.',
    ],
  },
  {
    key: 'orchestrator',
    title: 'Move on to a managed orchestrator (AKS, Kubernetes) when',
    signs: [
      'you need autoscaling of nodes and replicas, or more than a few dozen nodes;',
      'you want Azure to run and patch the control plane instead of keeping managers alive yourself;',
      'your team already deploys with Helm charts or Kubernetes manifests, or needs network policies and per-team access control;',
      'you need load balancing and ingress integrated with Azure rather than published ports on each VM.',
    ],
  },
];

export interface LandscapeTool {
  name: string;
  /** What the source overview presented it as. */
  then: string;
  /** What holds today. */
  today: string;
  historical: boolean;
}

export const LANDSCAPE: readonly LandscapeTool[] = [
  {
    name: 'Docker Swarm (standalone)',
    then: 'Docker’s cluster manager, run as containers beside the engines.',
    today: 'Retired. Swarm mode has been built into the Docker Engine since 1.12 (2016); this extension uses it.',
    historical: true,
  },
  {
    name: 'Azure Container Service (ACS)',
    then: 'Azure’s clusters of container hosts, with DC/OS, Swarm or Kubernetes.',
    today: 'Retired in 2020; Azure Kubernetes Service (AKS) replaced it.',
    historical: true,
  },
  {
    name: 'Mesos, Marathon and DC/OS',
    then: 'A “distributed systems kernel” with a container scheduler, from Mesosphere.',
    today: 'Historical. Mesosphere became D2iQ and ended DC/OS in 2021; Mesos has had little development since 2020.',
    historical: true,
  },
  {
    name: 'Deis',
    then: 'A Heroku-style platform on Docker and CoreOS.',
    today: 'Historical. Microsoft acquired Deis in 2017 and Deis Workflow reached end of life in 2018.',
    historical: true,
  },
  {
    name: 'CoreOS fleet and rkt',
    then: 'Container group management and a container runtime of CoreOS Linux.',
    today: 'Historical. fleet left Container Linux in 2018, rkt ended, and Container Linux reached end of life in 2020 (Fedora CoreOS followed it).',
    historical: true,
  },
  {
    name: 'docker-machine',
    then: 'Docker’s tool for creating Docker-ready VMs.',
    today: 'Deprecated by Docker. Provisioning in this extension does its job on Azure.',
    historical: true,
  },
  {
    name: 'Docker Compose',
    then: 'Multi-container applications from one file.',
    today: 'Current. The same file deploys to one host with Compose or to a swarm as a stack.',
    historical: false,
  },
  {
    name: 'Puppet, Chef and Ansible',
    then: 'Configuration management for VMs at scale.',
    today: 'Current, for configuring the VMs themselves; they do not schedule containers.',
    historical: false,
  },
  {
    name: 'Kubernetes',
    then: 'One orchestrator among several.',
    today: 'Current, and the default managed choice on Azure through AKS.',
    historical: false,
  },
];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The live line: how many hosts and swarms the user has, and the next step that fits. */
export function fleetText(hosts: number, swarms: number | undefined): string {
  const have = `You have ${plural(hosts, 'Docker host', 'Docker hosts')}`;
  if (swarms === undefined) {
    return `${have}; whether any is in a swarm could not be read.`;
  }
  if (swarms > 0) {
    return `${have} and ${plural(swarms, 'swarm', 'swarms')}. The Swarms group in Other Docker Hosts shows their nodes, services and stacks.`;
  }
  if (hosts === 0) {
    return 'You have no Docker host yet: add one in Other Docker Hosts or provision one on Azure first.';
  }
  if (hosts === 1) {
    return `${have} and no swarm. A swarm of one host already runs stacks; add hosts to spread their replicas.`;
  }
  return `${have} and no swarm. Create Swarm from Hosts… can join them into one.`;
}
