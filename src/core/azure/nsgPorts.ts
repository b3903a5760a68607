import type { NetworkManagementClient, SecurityRule } from '@azure/arm-network';
import { parseArmId } from './armIds';

export interface PortToOpen {
  port: number;
  protocol: 'tcp' | 'udp';
}

/** Sources that mean "anyone", in the spellings the portal, the CLI and templates use. */
const ANY_SOURCE = new Set(['*', 'internet', '0.0.0.0/0', 'any']);

/** The daemon's own ports: their rule's source is whom the user already lets in, the natural default. */
const DAEMON_PORTS = [22, 2376];

/** What marks a rule as this extension's, besides its name: a rule merely named like ours is the user's. */
const OPENED_BY_US = 'Opened by Docker on Azure for a deployed container';
const OPENED_FOR_TLS_DAEMON = 'Opened by Docker on Azure for the Docker daemon (mutual TLS)';
const OUR_DESCRIPTIONS = new Set([OPENED_BY_US, OPENED_FOR_TLS_DAEMON]);

/** The rule's description says what the port is for: 2376 is the daemon's TLS port, not a container's. */
const descriptionFor = (p: PortToOpen) => (p.port === 2376 && p.protocol === 'tcp' ? OPENED_FOR_TLS_DAEMON : OPENED_BY_US);
const RULE_PREFIX = 'docker-on-azure-';

function ranges(rule: SecurityRule): string[] {
  return [rule.destinationPortRange, ...(rule.destinationPortRanges ?? [])].filter((r): r is string => !!r);
}

function sources(rule: SecurityRule): string[] {
  return [rule.sourceAddressPrefix, ...(rule.sourceAddressPrefixes ?? [])].filter((s): s is string => !!s);
}

function coversPort(range: string, port: number): boolean {
  if (range === '*') {
    return true;
  }
  const [from, to = from] = range.split('-').map((n) => Number(n.trim()));
  return port >= from && port <= to;
}

function inboundAllow(rule: SecurityRule): boolean {
  return rule.direction === 'Inbound' && rule.access === 'Allow';
}

/** 203.0.113.7 and 203.0.113.7/32 are one source. */
const sameSource = (a: string, b: string) => a.replace(/\/32$/, '') === b.replace(/\/32$/, '');

/** An address or range, what ARM takes in a rule's list of sources (a tag or `*` must stand alone). */
const explicitAddress = (s: string) => /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(s);

/**
 * Whether an Allow rule already lets `source` reach the port. Deny rules of higher priority are not
 * weighed: the question asked is "did someone already open this", not a full policy evaluation.
 */
function allowed(rules: readonly SecurityRule[], p: PortToOpen, source: string): boolean {
  return rules.some(
    (r) =>
      inboundAllow(r) &&
      (r.protocol === '*' || r.protocol?.toLowerCase() === p.protocol) &&
      ranges(r).some((range) => coversPort(range, p.port)) &&
      sources(r).some((s) => ANY_SOURCE.has(s.toLowerCase()) || sameSource(s, source)),
  );
}

export function portsToOpen(rules: readonly SecurityRule[], ports: readonly PortToOpen[], source: string): PortToOpen[] {
  return ports.filter((p) => !allowed(rules, p, source));
}

/** The source already trusted for SSH or the Docker daemon, if one rule says so. */
export function daemonSource(rules: readonly SecurityRule[]): string | undefined {
  const rule = rules.find((r) => inboundAllow(r) && ranges(r).some((range) => DAEMON_PORTS.some((p) => coversPort(range, p))));
  return rule && sources(rule)[0];
}

/** Valid NSG sources: an IPv4 address or CIDR, a service tag like Internet, or `*`. */
export function validateSource(source: string): string | undefined {
  const s = source.trim();
  if (ANY_SOURCE.has(s.toLowerCase()) || /^[A-Z][A-Za-z0-9.]+$/.test(s)) {
    return undefined;
  }
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(s);
  if (m && m.slice(1, 5).every((o) => Number(o) <= 255) && (m[5] === undefined || Number(m[5]) <= 32)) {
    return undefined;
  }
  return 'Use an IPv4 address (203.0.113.7), a range (203.0.113.0/24), a service tag (Internet) or * for anyone.';
}

export function ruleName(p: PortToOpen): string {
  return `${RULE_PREFIX}${p.protocol}-${p.port}`;
}

/** Priorities from 1100 up that no rule uses (100–4096 is ARM's range; ours stay above the host's own). */
export function freePriorities(rules: readonly SecurityRule[], count: number, from = 1100): number[] {
  const used = new Set(rules.map((r) => r.priority));
  const free: number[] = [];
  for (let p = from; p <= 4096 && free.length < count; p += 10) {
    if (!used.has(p)) {
      free.push(p);
    }
  }
  if (free.length < count) {
    throw new Error('The network security group has no free rule priority left between 1100 and 4096.');
  }
  return free;
}

export function portRule(p: PortToOpen, source: string, priority: number): SecurityRule {
  return {
    protocol: p.protocol === 'tcp' ? 'Tcp' : 'Udp',
    access: 'Allow',
    direction: 'Inbound',
    priority,
    sourceAddressPrefix: source,
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange: String(p.port),
    description: descriptionFor(p),
  };
}

/** The rule this extension opened `p` with, if it is there and takes more sources. */
function ourRuleFor(rules: readonly SecurityRule[], p: PortToOpen): SecurityRule | undefined {
  return rules.find(
    (r) =>
      r.name?.toLowerCase().startsWith(RULE_PREFIX) &&
      OUR_DESCRIPTIONS.has(r.description ?? '') &&
      inboundAllow(r) &&
      r.protocol?.toLowerCase() === p.protocol &&
      ranges(r).join() === String(p.port) &&
      sources(r).every(explicitAddress),
  );
}

function unusedName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name.toLowerCase()); i++) {
    name = `${base}-${i}`;
  }
  taken.add(name.toLowerCase());
  return name;
}

export interface RuleWrite {
  name: string;
  rule: SecurityRule;
}

/**
 * The rule writes that let `source` reach the ports no rule lets it reach yet, without anyone losing
 * access: a rule name is a PUT target, so writing a port's rule anew would replace whoever it let
 * in. The source joins the extension's own rule for the port when both are plain addresses (one
 * augmented rule); otherwise it gets a rule of its own, under a name and a priority nobody uses.
 * Rules the extension did not write are never written.
 */
export function planPortRules(rules: readonly SecurityRule[], ports: readonly PortToOpen[], source: string): RuleWrite[] {
  const missing = portsToOpen(rules, ports, source).filter((p, i, all) => all.findIndex((q) => q.port === p.port && q.protocol === p.protocol) === i);
  const joined = missing.map((p) => (explicitAddress(source) ? ourRuleFor(rules, p) : undefined));
  const priorities = freePriorities(rules, joined.filter((r) => !r).length);
  const taken = new Set(rules.map((r) => (r.name ?? '').toLowerCase()));
  return missing.map((p, i): RuleWrite => {
    const existing = joined[i];
    if (existing) {
      // Read-only fields stay behind; the single source moves into the list with the new one.
      const { id, name, etag, type, provisioningState, sourceAddressPrefix, sourceAddressPrefixes, ...kept } = existing;
      return { name: name!, rule: { ...kept, sourceAddressPrefixes: [...sources(existing), source] } };
    }
    return { name: unusedName(ruleName(p), taken), rule: portRule(p, source, priorities.shift()!) };
  });
}

/**
 * The rules this extension opened for the Docker daemon's TLS port: the description it writes says
 * so (a rule merely named like ours, or opening 2376 otherwise, is the user's).
 */
export function daemonTlsRules(rules: readonly SecurityRule[]): SecurityRule[] {
  return rules.filter((r) => r.description === OPENED_FOR_TLS_DAEMON && r.name?.toLowerCase().startsWith(RULE_PREFIX));
}

/** Deletes daemonTlsRules from the NSG, one after another (ARM refuses concurrent writes to one NSG); returns their names. */
export async function closeDaemonTlsPort(network: NetworkManagementClient, nsgId: string, signal?: AbortSignal): Promise<string[]> {
  const { resourceGroup, name } = parseArmId(nsgId);
  const nsg = await network.networkSecurityGroups.get(resourceGroup, name, { abortSignal: signal });
  const deleted: string[] = [];
  for (const rule of daemonTlsRules(nsg.securityRules ?? [])) {
    await network.securityRules.beginDeleteAndWait(resourceGroup, name, rule.name!, { abortSignal: signal });
    deleted.push(rule.name!);
  }
  return deleted;
}

/**
 * Lets `source` reach the ports, one rule write after another: ARM refuses concurrent writes to one
 * NSG (AnotherOperationInProgress). Returns the names of the rules it wrote.
 */
export async function openPorts(
  network: NetworkManagementClient,
  nsgId: string,
  ports: readonly PortToOpen[],
  source: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const { resourceGroup, name } = parseArmId(nsgId);
  // Read again rather than trusting the caller's copy: the user may have taken a while to answer, the
  // priorities must be free when the rules are written, and a rule gaining a source must keep the
  // sources it has now.
  const nsg = await network.networkSecurityGroups.get(resourceGroup, name, { abortSignal: signal });
  const written: string[] = [];
  for (const w of planPortRules(nsg.securityRules ?? [], ports, source)) {
    await network.securityRules.beginCreateOrUpdateAndWait(resourceGroup, name, w.name, w.rule, { abortSignal: signal });
    written.push(w.name);
  }
  return written;
}
