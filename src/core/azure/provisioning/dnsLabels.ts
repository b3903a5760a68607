/**
 * The public IP's DNS label, `<label>.<region>.cloudapp.azure.com`: unique in its region across all
 * of Azure, so a plain name such as docker-host-1 is almost surely someone else's. The wizard
 * proposes one that Azure says is free and checks what is typed.
 */
import { createHash } from 'node:crypto';

const LABEL = /^[a-z][a-z0-9-]{1,61}[a-z0-9]$/;
const SUFFIX_LENGTH = 4;
const TRIES = 5;

/** Azure's rule for a label (CheckDnsNameAvailability and the public IP refuse anything else). */
export function validateDnsLabel(label: string): string | undefined {
  return LABEL.test(label)
    ? undefined
    : 'Use 3 to 63 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit.';
}

/** The name the label makes, in Azure's public zone. */
export function dnsName(label: string, location: string): string {
  return `${label}.${location}.cloudapp.azure.com`;
}

/**
 * The host name if it is free, else the host name with a short suffix, stable for one subscription
 * and host name (the same proposal every time the wizard runs). When availability cannot be asked,
 * the suffixed one: the plain name is the likeliest to be taken.
 */
export async function proposeDnsLabel(hostName: string, subscriptionId: string, available: (label: string) => Promise<boolean>): Promise<string> {
  const suffixed = (attempt: number) =>
    `${hostName.slice(0, 63 - SUFFIX_LENGTH - 1)}-${createHash('sha256').update(`${subscriptionId}/${hostName}/${attempt}`).digest('hex').slice(0, SUFFIX_LENGTH)}`;
  const candidates = [hostName, ...Array.from({ length: TRIES }, (_, i) => suffixed(i))];
  try {
    for (const candidate of candidates) {
      if (await available(candidate)) {
        return candidate;
      }
    }
  } catch {
    return candidates[1];
  }
  return candidates[1];
}
