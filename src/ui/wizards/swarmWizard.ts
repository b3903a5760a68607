import type { AzureSubscriptionRef } from '../../core/azure/azureAccount';
import { MAX_SWARM_WORKERS, validateSwarmName, validateWorkerCount } from '../../core/azure/provisioning/swarmPlan';
import { freeSwarmName, swarmNameTaken } from '../../core/azure/provisioning/takenNames';
import { BACK, input, pick, runSteps } from './multiStepInput';
import {
  askSourceRange,
  DEFAULT_VM_SIZE,
  existingResourcesOf,
  pickResourceGroup,
  regionItems,
  sizeChoices,
  type SubscriptionReads,
  type WizardContext,
} from './provisionWizard';

export interface SwarmAnswers {
  subscription: AzureSubscriptionRef;
  swarmName: string;
  resourceGroup: string;
  createResourceGroup: boolean;
  managers: number;
  workers: number;
  location: string;
  vmSize: string;
  sourceRange: string;
}

const TITLE = 'Create Swarm on Azure';

/**
 * Name, group, managers, workers, region, size and the address allowed in; every step has a
 * default, Back goes to the previous one, Escape ends the wizard before anything is created.
 */
export async function runSwarmWizard(ctx: WizardContext): Promise<SwarmAnswers | undefined> {
  type State = Partial<SwarmAnswers> & SubscriptionReads;
  const state: State = {
    subscription: ctx.subscriptions.length === 1 ? ctx.subscriptions[0] : undefined,
    createResourceGroup: true,
    managers: 1,
    workers: 2,
    vmSize: DEFAULT_VM_SIZE,
    sourceRange: ctx.lastSourceRange,
  };
  const done = await runSteps<State>(state, [
    {
      skip: () => ctx.subscriptions.length === 1,
      run: async (s, step, total) => {
        const r = await pick(
          TITLE,
          step,
          total,
          ctx.subscriptions.map((sub) => ({ label: sub.name, description: sub.subscriptionId, value: sub, picked: sub === s.subscription })),
          'Subscription',
        );
        if (r !== BACK && r !== undefined) {
          s.subscription = r;
        }
        return r;
      },
    },
    {
      run: async (s, step, total) => {
        const existing = existingResourcesOf(ctx, s);
        const r = await input(
          TITLE,
          step,
          total,
          s.swarmName ?? freeSwarmName(await existing),
          'Swarm name: the nodes are <name>-m1… (managers) and <name>-w1… (workers)',
          async (v) => validateSwarmName(v) ?? swarmNameTaken(v, await existing),
        );
        if (typeof r === 'string') {
          s.swarmName = r;
        }
        return r;
      },
    },
    { run: (s, step, total) => pickResourceGroup(ctx, TITLE, step, total, s, s.swarmName!, 'Recommended: the swarm and nothing else in one group') },
    {
      run: async (s, step, total) => {
        const r = await pick(
          TITLE,
          step,
          total,
          [
            { label: '1 manager', detail: 'The swarm is managed while this VM is up (default)', value: 1, picked: s.managers === 1 },
            { label: '3 managers', detail: 'Keeps working with one manager lost', value: 3, picked: s.managers === 3 },
          ],
          'Managers',
        );
        if (r !== BACK && r !== undefined) {
          s.managers = r;
        }
        return r;
      },
    },
    {
      run: async (s, step, total) => {
        const r = await input(TITLE, step, total, String(s.workers ?? 2), `Workers (0 to ${MAX_SWARM_WORKERS})`, validateWorkerCount);
        if (typeof r === 'string') {
          s.workers = Number(r.trim());
        }
        return r;
      },
    },
    {
      run: async (s, step, total) => {
        const r = await pick(TITLE, step, total, await regionItems(ctx, s), 'Region');
        if (r !== BACK && r !== undefined) {
          s.location = r;
        }
        return r;
      },
    },
    {
      run: async (s, step, total) => {
        const r = await pick(TITLE, step, total, await sizeChoices(ctx, s), 'VM size of every node');
        if (r !== BACK && r !== undefined) {
          s.vmSize = r;
        }
        return r;
      },
    },
    {
      run: (s, step, total) =>
        askSourceRange(TITLE, step, total, s, "SSH and the Docker port of every node (the swarm's own ports stay inside the network)"),
    },
  ]);
  if (!done?.subscription || !done.swarmName || !done.resourceGroup || !done.location || !done.vmSize || !done.sourceRange) {
    return undefined;
  }
  return done as SwarmAnswers;
}
