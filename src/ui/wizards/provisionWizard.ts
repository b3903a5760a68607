import * as vscode from 'vscode';
import type { AzureSubscriptionRef } from '../../core/azure/azureAccount';
import type { DaemonAccess } from '../../core/azure/provisioning/plan';
import { isWideRange, validateHostName, validateSourceRange } from '../../core/azure/provisioning/naming';
import { dnsName, proposeDnsLabel, validateDnsLabel } from '../../core/azure/provisioning/dnsLabels';
import { IMAGES, ImageKey } from '../../core/azure/provisioning/plan';
import { ExistingResource, freeGroupName, freeHostName, hostNameTaken } from '../../core/azure/provisioning/takenNames';
import { BACK, input, pick, PickItem, runSteps } from './multiStepInput';

export interface ProvisionAnswers {
  subscription: AzureSubscriptionRef;
  hostName: string;
  dnsLabel: string;
  resourceGroup: string;
  createResourceGroup: boolean;
  location: string;
  vmSize: string;
  image: ImageKey;
  access: DaemonAccess;
  /** A private key in ~/.ssh whose .pub goes to the VM, or undefined for a new key pair. */
  existingKey?: string;
  sourceRange: string;
}

const REGIONS = [
  'westeurope',
  'northeurope',
  'uksouth',
  'francecentral',
  'germanywestcentral',
  'swedencentral',
  'eastus',
  'eastus2',
  'westus2',
  'westus3',
  'centralus',
  'canadacentral',
  'australiaeast',
  'japaneast',
  'southeastasia',
  'centralindia',
];

/** Small, cheap sizes that run Docker comfortably; the default is the smallest sensible one. */
const SIZES: { name: string; detail: string }[] = [
  { name: 'Standard_B2s', detail: '2 vCPU, 4 GiB — burstable, low cost (default)' },
  { name: 'Standard_B2ms', detail: '2 vCPU, 8 GiB — burstable' },
  { name: 'Standard_D2s_v5', detail: '2 vCPU, 8 GiB — general purpose' },
  { name: 'Standard_D4s_v5', detail: '4 vCPU, 16 GiB — general purpose' },
];

export interface WizardContext {
  subscriptions: AzureSubscriptionRef[];
  resourceGroups: (sub: AzureSubscriptionRef) => Promise<{ name: string; location: string }[]>;
  /** Every resource of the subscription, so a host name that would reuse one is refused as it is typed. */
  existingResources: (sub: AzureSubscriptionRef) => Promise<ExistingResource[]>;
  /** Whether Azure has the public DNS label free in the region (CheckDnsNameAvailability). */
  dnsLabelAvailable: (sub: AzureSubscriptionRef, location: string, label: string) => Promise<boolean>;
  /** The subscription's regions; the built-in list is used when this fails. */
  regions?: (sub: AzureSubscriptionRef) => Promise<{ name: string; displayName: string }[]>;
  /** The sizes offered in a region; the built-in list is used when this fails. */
  sizes?: (sub: AzureSubscriptionRef, location: string) => Promise<{ name: string; cores: number; memoryMb: number }[]>;
  existingKeys: () => Promise<string[]>;
  /** Where a new key pair for this host would be written. */
  newKeyPath?: (hostName: string) => Promise<string>;
  lastSourceRange?: string;
  /** Answers for an ARM template: no key (a template parameter) and SSH only. */
  forTemplate?: boolean;
}

const TITLE = 'Provision Docker Host';

/** Sizes that suit a Docker host (up to 16 vCPUs), smallest first, with the usual default on top. */
function sizeItems(offered: { name: string; cores: number; memoryMb: number }[]): { name: string; detail: string }[] {
  const sorted = offered
    .filter((z) => z.cores > 0 && z.cores <= 16)
    .sort((a, b) => a.cores - b.cores || a.memoryMb - b.memoryMb || a.name.localeCompare(b.name));
  const preferred = sorted.findIndex((z) => z.name === SIZES[0].name);
  if (preferred > 0) {
    sorted.unshift(...sorted.splice(preferred, 1));
  }
  return sorted.map((z) => ({
    name: z.name,
    detail: `${z.cores} vCPU, ${Math.round(z.memoryMb / 1024)} GiB${z.name === SIZES[0].name ? ' (default)' : ''}`,
  }));
}

/**
 * Every step has a default, Back goes to the previous one, Escape ends the wizard before anything is
 * created. Names are checked against Azure's rules as they are typed.
 */
export async function runProvisionWizard(ctx: WizardContext): Promise<ProvisionAnswers | undefined> {
  type State = Partial<ProvisionAnswers> & {
    groups?: { name: string; location: string }[];
    existing?: { subscriptionId: string; resources: Promise<ExistingResource[]> };
    /** The host name and region the DNS label was chosen for: changing either proposes a new one. */
    dnsLabelFor?: string;
  };
  const state: State = {
    subscription: ctx.subscriptions.length === 1 ? ctx.subscriptions[0] : undefined,
    createResourceGroup: true,
    vmSize: SIZES[0].name,
    image: 'ubuntu-24.04',
    access: 'ssh',
    sourceRange: ctx.lastSourceRange,
  };
  /** A step that picks one value for `key` from `items`, keeping the current answer selected. */
  const choose = <K extends keyof State>(
    key: K,
    placeholder: string,
    items: (s: State) => PickItem<NonNullable<State[K]>>[] | Promise<PickItem<NonNullable<State[K]>>[]>,
  ) => ({
    run: async (s: State, step: number, total: number) => {
      const r = await pick(TITLE, step, total, await items(s), placeholder);
      if (r !== BACK && r !== undefined) {
        s[key] = r;
      }
      return r;
    },
  });
  const done = await runSteps<State>(state, [
    {
      skip: () => ctx.subscriptions.length === 1,
      ...choose('subscription', 'Subscription', (s) =>
        ctx.subscriptions.map((sub) => ({ label: sub.name, description: sub.subscriptionId, value: sub, picked: sub === s.subscription })),
      ),
    },
    {
      run: async (s, step, total) => {
        const existing = existingResourcesOf(ctx, s);
        const r = await input(
          TITLE,
          step,
          total,
          s.hostName ?? freeHostName(await existing),
          'Host name: the VM and its computer name',
          async (v) => validateHostName(v) ?? hostNameTaken(v, await existing),
        );
        if (typeof r === 'string') {
          s.hostName = r;
        }
        return r;
      },
    },
    {
      run: (s, step, total) =>
        pickResourceGroup(ctx, TITLE, step, total, s, s.hostName!, 'Recommended: deleting the host later removes the group too'),
    },
    choose('location', 'Region', (s) => regionItems(ctx, s)),
    {
      run: async (s, step, total) => {
        const sub = s.subscription!;
        const location = s.location!;
        const available = (label: string) => ctx.dnsLabelAvailable(sub, location, label);
        const chosenFor = `${s.hostName}@${location}`;
        const initial = s.dnsLabel && s.dnsLabelFor === chosenFor ? s.dnsLabel : await proposeDnsLabel(s.hostName!, sub.subscriptionId, available);
        const r = await input(
          TITLE,
          step,
          total,
          initial,
          (v) => `Public DNS name: ${dnsName(v, location)} (unique in the region across all of Azure)`,
          async (v) => validateDnsLabel(v) ?? ((await available(v)) ? undefined : `${dnsName(v, location)} is taken on Azure: choose another label.`),
        );
        if (typeof r === 'string') {
          s.dnsLabel = r;
          s.dnsLabelFor = chosenFor;
        }
        return r;
      },
    },
    choose('vmSize', 'VM size (the sizes this region offers)', (s) => sizeChoices(ctx, s)),
    choose('image', 'Image', (s) => (Object.keys(IMAGES) as ImageKey[]).map((k) => ({ label: IMAGES[k].label, value: k, picked: k === s.image }))),
    {
      skip: () => !!ctx.forTemplate,
      ...choose('access', 'How the Docker daemon is reached', (s) => [
        {
          label: 'SSH',
          detail: 'The daemon stays on its socket; reached over SSH with your key (default)',
          value: 'ssh' as DaemonAccess,
          picked: s.access === 'ssh',
        },
        {
          label: 'Mutual TLS on port 2376',
          detail: 'Certificates made on this machine; the CA key never leaves it',
          value: 'tls' as DaemonAccess,
          picked: s.access === 'tls',
        },
      ]),
    },
    {
      skip: () => !!ctx.forTemplate,
      run: async (s, step, total) => {
        const keys = await ctx.existingKeys().catch(() => []);
        const newKeyPath = (await ctx.newKeyPath?.(s.hostName!)) ?? `${s.hostName}_ed25519`;
        const r = await pick(
          TITLE,
          step,
          total,
          [
            ...keys.map((k) => ({ label: `$(key) ${k.split('/').pop()}`, description: k, value: k as string | null, picked: s.existingKey === k })),
            {
              label: '$(add) New ed25519 key pair',
              detail: `Written to ${newKeyPath} (0600)`,
              value: null,
              picked: !keys.length || s.existingKey === undefined,
            },
          ],
          'SSH key for the admin user (password sign-in is disabled)',
        );
        if (r !== BACK && r !== undefined) {
          s.existingKey = r ?? undefined;
        }
        return r === null ? 'new' : r;
      },
    },
    { run: (s, step, total) => askSourceRange(TITLE, step, total, s, s.access === 'tls' ? 'SSH and the Docker port' : 'SSH') },
  ]);
  if (!done?.subscription || !done.hostName || !done.dnsLabel || !done.resourceGroup || !done.location || !done.sourceRange) {
    return undefined;
  }
  return done as ProvisionAnswers;
}

/**
 * The wizard step for the address allowed in: a wide range is allowed only after a warning that
 * says what it opens (`opens`: "SSH and the Docker port").
 */
export async function askSourceRange(
  title: string,
  step: number,
  total: number,
  s: { sourceRange?: string },
  opens: string,
): Promise<string | typeof BACK | undefined> {
  for (;;) {
    const r = await input(
      title,
      step,
      total,
      s.sourceRange ?? '',
      'Your public IPv4 address (or a range) allowed to connect. Search "what is my IP" in a browser if unsure; 0.0.0.0/0 allows anyone.',
      validateSourceRange,
    );
    if (typeof r !== 'string') {
      return r;
    }
    s.sourceRange = r;
    const ok =
      !isWideRange(r) ||
      (await vscode.window.showWarningMessage(
        `Allow ${r} to reach ${opens}?`,
        { modal: true, detail: 'A wide range lets much of the internet try to sign in. Keys are still required, but a narrow range is safer.' },
        'Allow',
      )) === 'Allow';
    if (ok) {
      return r;
    }
  }
}

/** What a wizard keeps of the subscription's groups and resources, read once per subscription. */
export interface SubscriptionReads {
  subscription?: AzureSubscriptionRef;
  groups?: { name: string; location: string }[];
  existing?: { subscriptionId: string; resources: Promise<ExistingResource[]> };
}

/** Every resource of the chosen subscription; a failed read only loses the early warning (the run looks again). */
export function existingResourcesOf(ctx: WizardContext, s: SubscriptionReads): Promise<ExistingResource[]> {
  const sub = s.subscription!;
  if (s.existing?.subscriptionId !== sub.subscriptionId) {
    s.existing = { subscriptionId: sub.subscriptionId, resources: ctx.existingResources(sub).catch(() => []) };
    s.groups = undefined;
  }
  return s.existing.resources;
}

/** A new group named after `baseName` (recommended, with `detail`), or one that exists. */
export async function pickResourceGroup(
  ctx: WizardContext,
  title: string,
  step: number,
  total: number,
  s: SubscriptionReads & { resourceGroup?: string; createResourceGroup?: boolean; location?: string },
  baseName: string,
  detail: string,
): Promise<unknown> {
  s.groups ??= await ctx.resourceGroups(s.subscription!).catch(() => []);
  const newName = freeGroupName(`${baseName}-rg`, s.groups);
  const r = await pick(
    title,
    step,
    total,
    [
      {
        label: `$(add) New resource group "${newName}"`,
        detail,
        value: { name: newName, create: true, location: undefined as string | undefined },
        picked: s.createResourceGroup,
      },
      ...s.groups.map((g) => ({
        label: g.name,
        description: g.location,
        value: { name: g.name, create: false, location: g.location as string | undefined },
        picked: !s.createResourceGroup && s.resourceGroup === g.name,
      })),
    ],
    'Resource group',
  );
  if (r !== BACK && r !== undefined) {
    s.resourceGroup = r.name;
    s.createResourceGroup = r.create;
    s.location ??= r.location;
  }
  return r;
}

/** The subscription's regions (the built-in list when they cannot be read), the current one picked. */
export async function regionItems(ctx: WizardContext, s: { subscription?: AzureSubscriptionRef; location?: string }): Promise<PickItem<string>[]> {
  const regions = (await ctx.regions?.(s.subscription!).catch(() => undefined)) ?? REGIONS.map((name) => ({ name, displayName: name }));
  return regions.map((r) => ({ label: r.displayName, description: r.name, value: r.name, picked: r.name === (s.location ?? 'westeurope') }));
}

/** The sizes the region offers (the built-in list when they cannot be read); keeps `vmSize` one of them. */
export async function sizeChoices(
  ctx: WizardContext,
  s: { subscription?: AzureSubscriptionRef; location?: string; vmSize?: string },
): Promise<PickItem<string>[]> {
  const offered = await ctx.sizes?.(s.subscription!, s.location!).catch(() => undefined);
  const sizes = offered?.length ? sizeItems(offered) : SIZES;
  if (!sizes.some((z) => z.name === s.vmSize)) {
    s.vmSize = sizes[0]?.name;
  }
  return sizes.map((z) => ({ label: z.name, detail: z.detail, value: z.name, picked: z.name === s.vmSize }));
}

/** The default VM size of a new host or node. */
export const DEFAULT_VM_SIZE = SIZES[0].name;
