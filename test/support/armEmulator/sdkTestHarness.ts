/** What the suites that drive the emulator through the real Azure SDKs share. */
import assert from 'node:assert/strict';
import { RestError } from '@azure/core-rest-pipeline';
import { startArmEmulator, trustEmulatorCa, type ArmEmulator } from './index';
import { emulatorClients, type EmulatorClients } from './sdkClients';

/** SDK poller options that follow the emulator's quick operations without waiting seconds. */
export const FAST = { updateIntervalInMs: 10 };

/** An emulator of its own, trusted by this process (not started with NODE_EXTRA_CA_CERTS for it), with clients for its first subscription. */
export async function startEmulatorWithSdk(): Promise<{ emu: ArmEmulator; sub: string; az: EmulatorClients }> {
  const emu = await startArmEmulator();
  trustEmulatorCa(emu.caCertPath);
  const sub = emu.subscriptions[0].subscriptionId;
  return { emu, sub, az: emulatorClients(emu, sub) };
}

/** The Resource Manager requests, without the sign-in traffic. */
export function armRequestsOf(emu: ArmEmulator) {
  return emu.requests.filter((r) => r.kind === 'arm');
}

export async function powerStateOf(az: EmulatorClients, rg: string, name: string): Promise<string | undefined> {
  const view = await az.compute.virtualMachines.instanceView(rg, name);
  return view.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code;
}

/** The RestError a call fails with; fails the test if it succeeds or fails some other way. */
export async function restError(p: Promise<unknown>): Promise<RestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RestError, `expected a RestError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}
