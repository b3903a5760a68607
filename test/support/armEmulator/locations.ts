/** Azure regions, and the location rules ARM applies to every tracked resource. */
import { ArmError } from './protocol';
import type { JsonObject } from './specLibrary';

/** Regions the emulator knows, as `Subscriptions_ListLocations` names them. */
export const REGIONS: Record<string, string> = {
  eastus: 'East US',
  eastus2: 'East US 2',
  westus: 'West US',
  westus2: 'West US 2',
  westus3: 'West US 3',
  centralus: 'Central US',
  northcentralus: 'North Central US',
  southcentralus: 'South Central US',
  canadacentral: 'Canada Central',
  brazilsouth: 'Brazil South',
  northeurope: 'North Europe',
  westeurope: 'West Europe',
  uksouth: 'UK South',
  ukwest: 'UK West',
  francecentral: 'France Central',
  germanywestcentral: 'Germany West Central',
  swedencentral: 'Sweden Central',
  norwayeast: 'Norway East',
  switzerlandnorth: 'Switzerland North',
  polandcentral: 'Poland Central',
  italynorth: 'Italy North',
  southeastasia: 'Southeast Asia',
  eastasia: 'East Asia',
  japaneast: 'Japan East',
  koreacentral: 'Korea Central',
  centralindia: 'Central India',
  australiaeast: 'Australia East',
  southafricanorth: 'South Africa North',
  uaenorth: 'UAE North',
};

/** ARM accepts a region's display name too ("West Europe") and stores its name. */
export function normalizeLocation(location: string): string | undefined {
  const key = location.toLowerCase().replace(/\s+/g, '');
  return key in REGIONS ? key : undefined;
}

/** The location a PUT ends up with, or the error ARM gives for it. */
export function checkLocation(body: JsonObject, existing: JsonObject | undefined, fullType: string, name: string, rg: string): string {
  if (body.location === undefined || body.location === null) {
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  const location = normalizeLocation(String(body.location));
  if (!location) {
    throw new ArmError(
      400,
      'LocationNotAvailableForResourceType',
      `The provided location '${String(body.location)}' is not available for resource type '${fullType}'. List of available regions for the resource type is '${Object.keys(REGIONS).join(',')}'.`,
    );
  }
  if (existing && existing.location !== location) {
    throw new ArmError(
      409,
      'InvalidResourceLocation',
      `The resource '${name}' already exists in location '${String(existing.location)}' in resource group '${rg}'. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`,
    );
  }
  return location;
}
