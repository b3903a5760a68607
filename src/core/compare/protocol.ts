/** Messages between the comparison panel and its page (media/compare/compare.js mirrors these shapes). */
import type { TopicKey } from './comparisonFacts';

export type Figure = { state: 'measuring' } | { state: 'value'; text: string; detail?: string } | { state: 'unavailable'; reason: string };

export interface HostOption {
  key: string;
  label: string;
  description: string;
}

export interface ContainerSecurity {
  name: string;
  root: boolean;
  privileged: boolean;
  hostNetwork: boolean;
  dockerSocket: boolean;
  addedCapabilities: string[];
}

export type Glance = { state: 'measuring' } | { state: 'value'; containers: ContainerSecurity[] } | { state: 'unavailable'; reason: string };

/** The throwaway-container start measurement: offered, under way, or why it cannot run. */
export type Probe = { state: 'offer'; image: string; size: string } | { state: 'running' } | { state: 'unavailable'; reason: string };

export type ToPage =
  | { type: 'hosts'; hosts: HostOption[]; selected?: string }
  | { type: 'measuring'; hostKey: string; label: string }
  | { type: 'figure'; hostKey: string; topic: TopicKey; figure: Figure }
  | { type: 'glance'; hostKey: string; glance: Glance }
  | { type: 'probe'; hostKey: string; probe: Probe }
  | { type: 'copied' }
  /** How many hosts and swarms the user has, as one sentence. */
  | { type: 'fleet'; text: string };

/** What the scale-out section's buttons may ask the extension to do; nothing else runs from the page. */
export type ScaleOutAction = 'createSwarm' | 'showSwarms';
const SCALE_OUT_ACTIONS = new Set<string>(['createSwarm', 'showSwarms'] satisfies ScaleOutAction[]);

export type FromPage =
  | { type: 'ready'; hostKey?: string }
  | { type: 'pickHost'; hostKey: string }
  | { type: 'measureStart'; hostKey: string }
  | { type: 'copyMarkdown' }
  | { type: 'scaleOut'; action: ScaleOutAction };

const FROM_PAGE_TYPES = new Set<FromPage['type']>(['ready', 'pickHost', 'measureStart', 'copyMarkdown', 'scaleOut']);

/** The page is not trusted to send only what it should: anything else is dropped. */
export function parseFromPage(raw: unknown): FromPage | undefined {
  const m = raw as { type?: unknown; hostKey?: unknown; action?: unknown } | null;
  if (!m || typeof m !== 'object' || !FROM_PAGE_TYPES.has(m.type as FromPage['type'])) {
    return undefined;
  }
  if (m.hostKey !== undefined && typeof m.hostKey !== 'string') {
    return undefined;
  }
  if ((m.type === 'pickHost' || m.type === 'measureStart') && typeof m.hostKey !== 'string') {
    return undefined;
  }
  if (m.type === 'scaleOut' && !SCALE_OUT_ACTIONS.has(m.action as string)) {
    return undefined;
  }
  return m as FromPage;
}
