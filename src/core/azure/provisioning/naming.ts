/**
 * Azure's naming rules, checked before any call so a typo costs no half-created resources.
 * The host name is also the VM's computer name and the start of its proposed public DNS label, so
 * it follows the strictest of the three: the DNS label rule.
 */
export function validateHostName(name: string): string | undefined {
  if (!name) {
    return 'Enter a name.';
  }
  if (name.length < 3 || name.length > 63) {
    return 'Use 3 to 63 characters.';
  }
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(name)) {
    return 'Use lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit.';
  }
  if (name.includes('--')) {
    return 'Avoid two hyphens in a row.';
  }
  return undefined;
}

export function validateResourceGroupName(name: string): string | undefined {
  if (!name || name.length > 90) {
    return 'Use 1 to 90 characters.';
  }
  if (!/^[-\w.()]+$/u.test(name)) {
    return 'Use letters, digits, underscores, hyphens, periods and parentheses.';
  }
  if (name.endsWith('.')) {
    return 'A resource group name cannot end with a period.';
  }
  return undefined;
}

/**
 * The file a new key pair for a host is written to, in the key folder (the .pub beside it). Found
 * there again by the host's name alone, it still reaches the host when nothing else on this machine
 * remembers which key the host took.
 */
export function provisionedKeyFileName(hostName: string): string {
  return `${hostName}_ed25519`;
}

/** Linux admin names Azure refuses (besides anything not matching the pattern). */
const RESERVED_USERS = new Set(['admin', 'administrator', 'root', 'guest', 'user', 'test', 'sys', 'daemon', 'bin', 'docker', 'ubuntu', 'adm']);

export function validateAdminUser(name: string): string | undefined {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(name)) {
    return 'Use up to 32 lowercase letters, digits, hyphens or underscores, starting with a letter.';
  }
  if (RESERVED_USERS.has(name)) {
    return `"${name}" is reserved on Azure Linux VMs.`;
  }
  return undefined;
}

/** An IPv4 address or CIDR range allowed to reach SSH (and the daemon port). */
export function validateSourceRange(value: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(value.trim());
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || (m[5] !== undefined && Number(m[5]) > 32)) {
    return 'Enter an IPv4 address (203.0.113.7) or range (203.0.113.0/24).';
  }
  return undefined;
}

export function isWideRange(value: string): boolean {
  const prefix = Number(value.split('/')[1] ?? 32);
  return prefix < 16;
}
