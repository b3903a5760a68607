/**
 * A virtual machine's model as Compute builds it from a PUT: the checks Compute makes (with its
 * error codes and targets), defaults it fills in, the OS disk it creates, and the instance view.
 */
import { sameId } from './armState';
import type { HandlerContext } from './emulatorCore';
import { attachOsDisk, createOsDisk } from './disks';
import { ArmError, armErrors, newGuid } from './protocol';
import { arr, props, refId, vmUsingNic } from './references';
import { isObject, type JsonObject } from './specLibrary';

export type PowerState = 'starting' | 'running' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';

/** What Compute knows about a VM but does not return in its model. */
export interface VmHidden extends Record<string, unknown> {
  power?: PowerState;
  customData?: string;
  userData?: string;
  currentOperation?: string;
  etag?: number;
}

// The spec's list of disallowed admin user names (OSProfile.adminUsername).
const DISALLOWED_USERS = new Set(
  'administrator admin user user1 test user2 test1 user3 admin1 1 123 a actuser adm admin2 aspnet backup console david guest john owner root server sql support support_388945a0 sys test2 test3 user4 user5'.split(
    ' ',
  ),
);
const SSH_KEY = /^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( .*)?$/;
const BAD_HOSTNAME = /[`~!@#$%^&*()=+_[\]{}\\|;:'",<>/?. ]/;

const invalid = armErrors.invalidParameter;
const missing = armErrors.missingParameter;

function checkOsProfile(os: JsonObject, vmName: string): void {
  const user = os.adminUsername;
  if (typeof user !== 'string' || user === '') {
    throw missing('adminUsername');
  }
  if (DISALLOWED_USERS.has(user.toLowerCase()) || user.length > 64) {
    throw invalid('adminUsername', 'The Admin Username specified is not allowed.');
  }
  const computerName = String(os.computerName ?? vmName);
  if (computerName.length > 64 || BAD_HOSTNAME.test(computerName)) {
    throw invalid(
      'computerName',
      'Linux host name cannot exceed 64 characters in length or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : \' " , < > / ?.',
    );
  }
  if (os.customData !== undefined) {
    const data = String(os.customData);
    const base64 = /^[A-Za-z0-9+/]*={0,2}$/.test(data) && data.length % 4 === 0;
    if (!base64 || Buffer.from(data, 'base64').length > 65535) {
      throw invalid('customData', 'Custom data in OSProfile must be in Base64 encoding and with a maximum length of 87380 characters.');
    }
  }
  const linux = isObject(os.linuxConfiguration) ? os.linuxConfiguration : {};
  const keys = isObject(linux.ssh) ? arr(linux.ssh.publicKeys) : [];
  if (linux.disablePasswordAuthentication === true && keys.length === 0) {
    throw invalid('linuxConfiguration', 'Authentication using either SSH or by user name and password must be enabled in Linux profile.');
  }
  if (linux.disablePasswordAuthentication !== true && !os.adminPassword && os.windowsConfiguration === undefined) {
    throw missing('adminPassword');
  }
  for (const key of keys) {
    if (!SSH_KEY.test(String(key.keyData ?? '').trim())) {
      throw invalid('linuxConfiguration.ssh.publicKeys.keyData', 'The value of parameter linuxConfiguration.ssh.publicKeys.keyData is invalid.');
    }
    if (key.path !== `/home/${user}/.ssh/authorized_keys`) {
      throw invalid(
        'linuxConfiguration.ssh.publicKeys.path',
        `Destination path for SSH public keys is currently limited to its default value /home/${user}/.ssh/authorized_keys  due to a known issue in Linux provisioning agent.`,
      );
    }
  }
}

function checkNics(ctx: HandlerContext, vmId: string, network: JsonObject): void {
  if (network.networkInterfaceConfigurations !== undefined) {
    throw invalid(
      'networkProfile.networkInterfaceConfigurations',
      'The ARM emulator does not implement networkInterfaceConfigurations; create the NIC and reference it in networkInterfaces.',
    );
  }
  const refs = arr(network.networkInterfaces);
  if (refs.length === 0) {
    throw missing('networkProfile.networkInterfaces');
  }
  if (refs.length > 1 && refs.filter((r) => props(r).primary === true).length !== 1) {
    throw invalid('networkInterfaces', `Virtual machine ${vmId.split('/').pop()} must have one network interface set as the primary.`);
  }
  for (const r of refs) {
    const nicId = refId(r);
    if (!nicId || !ctx.core.state.get(nicId)) {
      throw new ArmError(400, 'NotFound', `Resource ${nicId ?? '(no id)'} not found.`);
    }
    const user = vmUsingNic(ctx.core.state, nicId);
    if (user && !sameId(user.id, vmId)) {
      throw new ArmError(
        400,
        'NicInUse',
        `Network Interface ${nicId} is used by existing resource ${String(user.id)}. In order to create a new resource or update an existing resource with this network interface, you must first delete the existing resource or detach the network interface from it.`,
      );
    }
  }
}

const IMMUTABLE_OS_FIELDS = ['adminUsername', 'computerName', 'customData'];

/** The stored model of a VM from a PUT body (already schema-checked); creates its OS disk when new. */
export function buildVm(
  ctx: HandlerContext,
  vmId: string,
  name: string,
  location: string,
  body: JsonObject,
  existing: JsonObject | undefined,
  hidden: VmHidden,
): JsonObject {
  const given = props(structuredClone(body));
  const old = existing ? props(existing) : undefined;
  const vmSize = isObject(given.hardwareProfile) ? given.hardwareProfile.vmSize : undefined;
  if (typeof vmSize !== 'string') {
    throw missing('hardwareProfile.vmSize');
  }
  if (!/^(Standard|Basic)_[A-Za-z0-9_-]+$/.test(vmSize)) {
    throw invalid('vmSize', `The value ${vmSize} provided for the VM size is not valid.`);
  }
  const storage = isObject(given.storageProfile) ? given.storageProfile : (old?.storageProfile as JsonObject | undefined);
  const osDisk = storage && isObject(storage.osDisk) ? storage.osDisk : undefined;
  if (!osDisk) {
    throw missing('storageProfile.osDisk');
  }
  const attach = String(osDisk.createOption).toLowerCase() === 'attach';
  const os = isObject(given.osProfile) ? given.osProfile : undefined;
  if (existing) {
    for (const f of IMMUTABLE_OS_FIELDS) {
      const was = f === 'customData' ? hidden.customData : (old?.osProfile as JsonObject | undefined)?.[f];
      if (os && os[f] !== undefined && os[f] !== was) {
        throw new ArmError(409, 'PropertyChangeNotAllowed', `Changing property '${f}' is not allowed.`, f);
      }
    }
  } else if (attach && os) {
    throw invalid('osProfile', "Parameter 'osProfile' is not allowed.");
  } else if (!attach) {
    if (!os) {
      throw missing('osProfile');
    }
    if (!isObject(storage!.imageReference)) {
      throw missing('imageReference');
    }
    checkOsProfile(os, name);
  }
  checkNics(ctx, vmId, isObject(given.networkProfile) ? given.networkProfile : {});

  const properties: JsonObject = { ...given, hardwareProfile: { ...(given.hardwareProfile as JsonObject) } };
  if (existing) {
    properties.vmId = old!.vmId;
    properties.timeCreated = old!.timeCreated;
    properties.storageProfile = old!.storageProfile;
    // osProfile is fixed at creation; what the update sent was only checked for changes.
    delete properties.osProfile;
    if (old!.osProfile !== undefined) {
      properties.osProfile = old!.osProfile;
    }
  } else {
    properties.vmId = newGuid();
    properties.timeCreated = new Date().toISOString();
    properties.storageProfile = attach ? attachOsDisk(ctx, vmId, storage!) : createOsDisk(ctx, vmId, name, location, storage!, vmSize);
    if (os) {
      hidden.customData = typeof os.customData === 'string' ? os.customData : undefined;
      const linux = isObject(os.linuxConfiguration) ? os.linuxConfiguration : undefined;
      const shown: JsonObject = {
        computerName: os.computerName ?? name,
        adminUsername: os.adminUsername,
        secrets: [],
        allowExtensionOperations: true,
        requireGuestProvisionSignal: true,
      };
      if (linux) {
        shown.linuxConfiguration = {
          disablePasswordAuthentication: false,
          provisionVMAgent: true,
          patchSettings: { patchMode: 'ImageDefault', assessmentMode: 'ImageDefault' },
          enableVMAgentPlatformUpdates: false,
          ...linux,
        };
      }
      properties.osProfile = shown;
    }
  }
  if (typeof given.userData === 'string') {
    hidden.userData = given.userData;
  }
  delete properties.userData;
  return properties;
}
