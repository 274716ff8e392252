/**
 * QEMU 7.2 network option strings (-netdev, -nic, -net, -device), parsed and
 * validated with QEMU's rules and error messages. Parse functions return
 * results; the `...OrThrow` wrappers throw OptionError for the public API.
 */
import { OptionError } from '../errors.js';
import { parseDevice } from './device.js';
import { parseNet, parseNetdev, parseNic } from './netdev.js';
import type { DeviceOptions, HelpRequest, NetdevOptions, NetLegacyOptions, NicOptions, ParseResult } from './types.js';

export type * from './types.js';
export { parseNetdev, parseNic, parseNet, formatNetdev, formatNic, formatNet, isValidId } from './netdev.js';
export { parseDevice, formatDevice, parsePciDevfn, formatPciDevfn, deviceHelp, driverProps } from './device.js';
export { parseMac, parseLegacyMac, formatMac, isMulticastMac, isZeroMac, type MacResult } from './mac.js';
export {
  parseQemuOpts, formatQemuOpts, parseKeyval, formatKeyval, optGet, escapeValue,
  type QemuOpt, type QemuOptsList, type OptsParse, type OptionWarning, type KeyvalParse, type KvNode, type KvDict,
  type KvList, type KvString, type QemuOptsParseOptions, type FormatOptsOptions,
} from './opts.js';
export {
  parseSize, parseNumber, qemuStrtosz, qemuStrtou64, qapiBoolParse, idWellformed, isHelpOption,
  type SizeResult, type NumberResult, type SizeParse, type BoolParse,
} from './cutils.js';
export { parseHostFwd, parseGuestFwd, formatHostFwd, formatGuestFwd } from './slirp.js';
export { parseHostPort } from './sockets.js';
export { inetAton, inetPton6, formatIpv4, formatIpv6 } from './inet.js';
export { helpText, isHelpRequest, NIC_MODELS } from './help.js';
export { assertSupported, isSupported, backendVariant, type BackendVariant } from './supported.js';
export * as netdevSchema from './netdev-schema.js';
export * as deviceSchema from './device-schema.js';
export type { TypeSpec, MemberSpec, Members } from './schema.js';

function orThrow<V>(r: ParseResult<V>): V | HelpRequest {
  if (!r.ok) throw new OptionError(r.hint === undefined ? r.error : `${r.error}\n${r.hint}`);
  return r.kind === 'help' ? r.help : r.value;
}

/** parseNetdev, throwing OptionError with QEMU's message. */
export function parseNetdevOrThrow(text: string): NetdevOptions | HelpRequest {
  return orThrow(parseNetdev(text));
}

/** parseNic, throwing OptionError with QEMU's message. */
export function parseNicOrThrow(text: string): NicOptions | HelpRequest {
  return orThrow(parseNic(text));
}

/** parseNet, throwing OptionError with QEMU's message. */
export function parseNetOrThrow(text: string): NetLegacyOptions | HelpRequest {
  return orThrow(parseNet(text));
}

/** parseDevice, throwing OptionError with QEMU's message. */
export function parseDeviceOrThrow(text: string): DeviceOptions | HelpRequest {
  return orThrow(parseDevice(text));
}
