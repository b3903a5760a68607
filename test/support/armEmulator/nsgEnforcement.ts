/**
 * Network security groups enforced on the emulated VMs' public addresses
 * (`startArmEmulator({ bootDockerHosts: true, enforceNetworkSecurityGroups: true })`).
 *
 * Real Azure: inbound traffic to a VM's public IP passes the NSG of the NIC's subnet, then the
 * NSG of the NIC; each admits or denies by its rules in priority order (the default rules last),
 * and with neither NSG a Standard public IP admits nothing. Connections already admitted stay up
 * when rules change. Here: the same evaluation, written as the kernel's packet filter (iptables)
 * for the VM's loopback address, so a client meets it exactly where it would on Azure — at the
 * connection — whatever it connects to (the daemon's 2376, a container's published port). A client
 * is "at" the loopback address its socket is bound to (127.0.0.1 when unbound).
 *
 * Where it differs, by design: a denied connection is refused at once (TCP reset) instead of being
 * dropped until the client times out, so tests get their answer without a clock. `Internet` is
 * every source (no client here is inside a virtual network), other service tags and application
 * security groups match no client, and IPv6 prefixes are not enforced.
 */
import { spawnSync } from 'node:child_process';
import { sameId } from './armState';
import type { EmulatorCore } from './emulatorCore';
import { arr, props, refId, vmNicReferences } from './references';
import { isObject, type Json, type JsonObject } from './specLibrary';
import { addressInPrefix, parseCidr } from './virtualNetworks';

/** What decides who reaches one VM's public address: its primary ip configuration's NSGs, outermost first. */
export interface InboundPath {
  nsgs: JsonObject[];
  privateIp: string;
  vnetPrefixes: string[];
  /** A Standard public IP, closed unless an NSG opens it. */
  standardIp: boolean;
}

/** The NIC ip configuration the VM's public address belongs to (primary NIC, primary configuration). */
export function primaryIpConfiguration(core: EmulatorCore, vm: JsonObject): { nic?: JsonObject; ipConfig?: JsonObject } {
  const refs = vmNicReferences(vm);
  const nicRef = refs.find((r) => props(r).primary === true) ?? refs[0];
  const nic = nicRef && refId(nicRef) ? core.state.get(refId(nicRef)!) : undefined;
  const configs = nic ? arr(props(nic).ipConfigurations) : [];
  return { nic, ipConfig: configs.find((c) => props(c).primary === true) ?? configs[0] };
}

export function inboundPath(core: EmulatorCore, vmId: string): InboundPath | undefined {
  const vm = core.state.get(vmId);
  const { nic, ipConfig } = vm ? primaryIpConfiguration(core, vm) : {};
  if (!nic || !ipConfig) {
    return undefined;
  }
  const subnetId = refId(props(ipConfig).subnet) ?? '';
  const vnet = core.state.get(subnetId.split('/').slice(0, -2).join('/'));
  const subnet = vnet ? arr(props(vnet).subnets).find((s) => sameId(s.id, subnetId)) : undefined;
  const space = vnet ? props(vnet).addressSpace : undefined;
  const nsgIds = [subnet && refId(props(subnet).networkSecurityGroup), refId(props(nic).networkSecurityGroup)];
  const pip = core.state.get(refId(props(ipConfig).publicIPAddress) ?? '');
  return {
    nsgs: nsgIds.map((id) => (id ? core.state.get(id) : undefined)).filter((n): n is JsonObject => !!n),
    privateIp: String(props(ipConfig).privateIPAddress ?? ''),
    vnetPrefixes: isObject(space) && Array.isArray(space.addressPrefixes) ? space.addressPrefixes.map(String) : [],
    standardIp: !!pip && isObject(pip.sku) && String(pip.sku.name).toLowerCase().startsWith('standard'),
  };
}

// ---- ARM rule → iptables matches ----

const list = (one: Json | undefined, many: Json | undefined): string[] => {
  const plural = Array.isArray(many) ? many.map(String).filter(Boolean) : [];
  return plural.length ? plural : typeof one === 'string' && one ? [one] : [];
};

const ANY = new Set(['*', 'any', 'internet']);

/** Source prefixes as `-s` values ('' = any source); tags no client here belongs to are dropped. */
function sourceMatches(prefixes: string[], path: InboundPath): string[] {
  return prefixes.flatMap((raw) => {
    const s = raw.trim().toLowerCase();
    if (ANY.has(s)) {
      return [''];
    }
    if (s === 'virtualnetwork') {
      return path.vnetPrefixes;
    }
    if (s === 'azureloadbalancer') {
      return ['168.63.129.16/32'];
    }
    const cidr = s.includes('/') ? s : `${s}/32`;
    return parseCidr(cidr) ? [cidr] : [];
  });
}

/** Destinations are seen after the public IP is translated: the NIC's private address. */
function destinationMatches(prefixes: string[], path: InboundPath): boolean {
  return prefixes.some((raw) => {
    const d = raw.trim().toLowerCase();
    if (d === '*' || d === 'any' || d === 'virtualnetwork') {
      return true;
    }
    return addressInPrefix(path.privateIp, d.includes('/') ? d : `${d}/32`);
  });
}

/** Port ranges as `--dport`/`--sport` values ('' = any port). */
const portMatches = (ranges: string[]): string[] => ranges.map((r) => (r.trim() === '*' ? '' : r.trim().replace('-', ':')));

const PROTOCOLS: Record<string, string> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', esp: 'esp', ah: 'ah' };

function ruleLines(chain: string, deny: string, rule: JsonObject, path: InboundPath): string[] {
  const p = props(rule);
  if (String(p.direction).toLowerCase() !== 'inbound') {
    return [];
  }
  if (arr(p.sourceApplicationSecurityGroups).length || arr(p.destinationApplicationSecurityGroups).length) {
    return [];
  }
  if (!destinationMatches(list(p.destinationAddressPrefix, p.destinationAddressPrefixes), path)) {
    return [];
  }
  const sources = sourceMatches(list(p.sourceAddressPrefix, p.sourceAddressPrefixes), path);
  const dports = portMatches(list(p.destinationPortRange, p.destinationPortRanges));
  const sports = portMatches(list(p.sourcePortRange, p.sourcePortRanges));
  const ported = [...dports, ...sports].some(Boolean);
  const protocol = String(p.protocol).toLowerCase();
  const protocols = protocol === '*' ? (ported ? ['tcp', 'udp'] : ['']) : PROTOCOLS[protocol] ? [PROTOCOLS[protocol]] : [];
  const target = String(p.access).toLowerCase() === 'allow' ? 'RETURN' : deny;
  const lines: string[] = [];
  for (const proto of protocols) {
    const withPorts = proto === 'tcp' || proto === 'udp';
    for (const s of sources) {
      for (const dport of withPorts ? dports : ['']) {
        for (const sport of withPorts ? sports : ['']) {
          const m = [
            s && `-s ${s}`,
            proto && `-p ${proto}`,
            proto && withPorts && (dport || sport) && `-m ${proto}`,
            sport && `--sport ${sport}`,
            dport && `--dport ${dport}`,
          ].filter(Boolean);
          lines.push(`-A ${chain} ${[...m, `-j ${target}`].join(' ')}`);
        }
      }
    }
  }
  return lines;
}

const byPriority = (a: JsonObject, b: JsonObject) => Number(props(a).priority) - Number(props(b).priority);

export const chainName = (address: string) => `DOA-NSG-${address}`;

/** The iptables-restore input for one VM address (chains replaced whole, nothing else touched). */
export function firewallRules(address: string, path: InboundPath | undefined): string {
  const main = chainName(address);
  const deny = `${main}-X`;
  const levels = (path?.nsgs ?? []).map((nsg, i) => ({ chain: `${main}-${i}`, nsg }));
  const lines = [
    '*filter',
    ...[main, deny, ...levels.map((l) => l.chain)].map((c) => `:${c} - [0:0]`),
    `-A ${deny} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A ${deny} -j REJECT --reject-with icmp-port-unreachable`,
    `-A ${main} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  ];
  if (!path || (levels.length === 0 && path.standardIp)) {
    lines.push(`-A ${main} -j ${deny}`);
  }
  for (const { chain, nsg } of levels) {
    lines.push(`-A ${main} -j ${chain}`);
    const rules = [...arr(props(nsg).securityRules), ...arr(props(nsg).defaultSecurityRules)].sort(byPriority);
    lines.push(...rules.flatMap((r) => ruleLines(chain, deny, r, path!)));
    // The default rules end in DenyAllInBound; this only guards an NSG stored without them.
    lines.push(`-A ${chain} -j ${deny}`);
  }
  lines.push(`-A ${main} -j ACCEPT`, 'COMMIT', '');
  return lines.join('\n');
}

// ---- the packet filter ----

function iptables(args: string[], input?: string): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(args[0] === 'restore' ? 'iptables-restore' : 'iptables', args[0] === 'restore' ? args.slice(1) : args, {
    input,
    encoding: 'utf8',
  });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}

/**
 * Synchronous on purpose: ARM handlers are, and a rule must be in force by the time its PUT is
 * answered, or a client that connects right after would race the filter.
 */
export class NsgFirewall {
  private readonly applied = new Map<string, string>();

  /** Replaces the filter of `address` with `rules` (from firewallRules) unless it already is that. */
  apply(address: string, rules: string): void {
    if (this.applied.get(address) === rules) {
      return;
    }
    const restored = iptables(['restore', '--noflush'], rules);
    if (!restored.ok) {
      throw new Error(`iptables-restore refused the NSG rules of ${address}: ${restored.stderr.trim()}`);
    }
    const jump = ['INPUT', '-d', `${address}/32`, '-j', chainName(address)];
    if (!iptables(['-C', ...jump]).ok) {
      const added = iptables(['-I', ...jump]);
      if (!added.ok) {
        throw new Error(`iptables could not send traffic for ${address} through its NSG: ${added.stderr.trim()}`);
      }
    }
    this.applied.set(address, rules);
  }

  /** Removes the filter of `address`: the jump to it and its chains. */
  remove(address: string): void {
    this.applied.delete(address);
    removeChains(address);
  }

  removeAll(): void {
    for (const address of [...this.applied.keys()]) {
      this.remove(address);
    }
  }
}

function removeChains(address: string): void {
  const main = chainName(address);
  while (iptables(['-D', 'INPUT', '-d', `${address}/32`, '-j', main]).ok) {
    // a crashed run may have added the jump more than once
  }
  const chains = iptables(['-S'])
    .stdout.split('\n')
    .map((l) => /^-N (\S+)$/.exec(l)?.[1])
    .filter((c): c is string => !!c && (c === main || c.startsWith(`${main}-`)));
  for (const c of chains) {
    iptables(['-F', c]);
  }
  for (const c of chains) {
    iptables(['-X', c]);
  }
}

/** Filters left by emulators that died without removing them, for addresses no live emulator holds. */
export function sweepStaleFilters(heldByLiveEmulator: (address: string) => boolean): void {
  const listed = iptables(['-S']);
  if (!listed.ok) {
    return;
  }
  const stale = new Set(
    listed.stdout
      .split('\n')
      .map((l) => /^-N DOA-NSG-(\d+\.\d+\.\d+\.\d+)$/.exec(l)?.[1])
      .filter((a): a is string => !!a && !heldByLiveEmulator(a)),
  );
  stale.forEach(removeChains);
}
