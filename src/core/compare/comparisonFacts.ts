/**
 * What the comparison page says, in our own words. Each row names the rows of the two source
 * tables it covers (`sources`), so a test can check that none was dropped: the English overview
 * "Containers and VMs on Azure" (five rows) and the Korean "Docker VM Extension for Linux on Azure"
 * (four rows, hypervisor vs container).
 */

export type TopicKey = 'isolation' | 'disk' | 'startup' | 'resources' | 'portability' | 'automation';

export interface SourceRow {
  doc: 'en' | 'ko';
  /** The feature cell as the source table has it. */
  feature: string;
}

export interface ComparisonRow {
  key: TopicKey;
  topic: string;
  vm: string;
  container: string;
  sources: SourceRow[];
  /** The advice row that qualifies this one, if any. */
  advice?: AdviceKey;
}

export type AdviceKey = 'sharedKernel' | 'mandatoryAccess' | 'fewCapabilities' | 'notRoot';

export interface Advice {
  key: AdviceKey;
  title: string;
  text: string;
}

export const COMPARISON_ROWS: readonly ComparisonRow[] = [
  {
    key: 'isolation',
    topic: 'Security and process isolation by default',
    vm: 'Stronger out of the box. The hypervisor gives each VM its own kernel, so isolation between VMs and from the host is close to complete.',
    container:
      'Weaker out of the box. Containers are processes on a kernel they share with the host: a process that gets root inside a container may be able to take over the host and its other containers. Extra work (below) narrows the gap.',
    sources: [
      { doc: 'en', feature: '"Default" security support' },
      { doc: 'ko', feature: '프로세스 격리' },
    ],
    advice: 'sharedKernel',
  },
  {
    key: 'disk',
    topic: 'Disk footprint',
    vm: 'A whole operating system plus the applications: each VM carries its own OS disk.',
    container: 'Only what the application needs on top of a shared base; layers common to several images are stored once.',
    sources: [
      { doc: 'en', feature: 'Memory on disk required' },
      { doc: 'ko', feature: '디스크에 필요한 메모리' },
    ],
  },
  {
    key: 'startup',
    topic: 'Start-up time',
    vm: 'Much longer: the OS has to boot before the application can load.',
    container: 'Much shorter: the kernel is already running, so only the application process starts.',
    sources: [
      { doc: 'en', feature: 'Time taken to start up' },
      { doc: 'ko', feature: '시작 소요 시간' },
    ],
  },
  {
    key: 'resources',
    topic: 'CPU and memory',
    vm: 'A VM size reserves vCPUs and memory for its own OS as well as the application, whether used or not.',
    container: 'A container uses what its processes use; many share one host, and limits are optional.',
    sources: [],
  },
  {
    key: 'portability',
    topic: 'Portability',
    vm: 'Portable once properly prepared: a generalised image, the right drivers and agents for the target platform.',
    container:
      'Portable wherever the image format runs, and usually much smaller to move. The image still needs the right OS family (Linux or Windows) and CPU architecture.',
    sources: [{ doc: 'en', feature: 'Portability' }],
  },
  {
    key: 'automation',
    topic: 'Image automation',
    vm: 'Varies widely with the OS and the applications: scripts, cloud-init, configuration management, custom images.',
    container:
      'One recipe for every app: a Dockerfile builds the image, and Docker Hub or a private registry shares it with git-style push and pull.',
    sources: [
      { doc: 'en', feature: 'Image Automation' },
      { doc: 'ko', feature: '컨테이너 자동화' },
    ],
  },
];

export const GOOD_FOR = {
  containers: [
    'Developing, sharing, testing and deploying application code faster and with more confidence.',
    'Small, composable services (microservices) rather than large, tightly coupled components.',
    'Scaling with usage: add containers rather than VMs, and use the VMs you pay for more fully.',
    'Moving the same, verifiably identical build between development, test and production.',
  ],
  vms: [
    'Stronger default protection of the host and of other workloads.',
    'Any major operating system and application configuration.',
    'Long-established tools for command and control.',
    'Hosting the containers themselves: containers run on a VM and need its OS family and CPU type — they do not replace VMs.',
  ],
} as const;

export const SECURITY_ADVICE: readonly Advice[] = [
  {
    key: 'sharedKernel',
    title: 'Remember the shared kernel',
    text: 'All containers on a host share its kernel. Code that escapes a container can reach the host and every other container on it, so keep untrusted workloads on separate VMs.',
  },
  {
    key: 'notRoot',
    title: 'Do not run as root',
    text: 'Set a non-root USER in the image or run with --user; root in a container is root on the shared kernel. Never mount the Docker socket into a container: it gives full control of the host.',
  },
  {
    key: 'mandatoryAccess',
    title: 'Add mandatory access control',
    text: 'Confine containers with role-based or mandatory access control such as AppArmor or SELinux profiles, on top of the default isolation.',
  },
  {
    key: 'fewCapabilities',
    title: 'Grant the fewest kernel capabilities',
    text: "Drop every capability the app does not need (--cap-drop ALL, then --cap-add only what it uses); avoid --privileged and the host's network namespace.",
  },
];
