// The CNI exec protocol: env, stdin, version negotiation, result conversion, output.
export { convertResult, decodeResult, decodeResultValue, resultAsVersion } from './convert.js';
export { CniError, CniErrorCode } from './errors.js';
export { goJSONValueOf, goTypeName, marshalMap, notPlain, ordered, sortedKeys, unmarshal } from './gojson.js';
export {
  type CmdArgs,
  decodeConfigVersion,
  formatResult,
  type Plugin,
  pluginMain,
  runPluginInProcess,
  stdinDocument,
  unmarshalStdin,
  validateContainerID,
  validateInterfaceName,
  validateNetworkName,
} from './skel.js';
export type { DNS, Result } from './types.js';
export { parseVersion, supportedVersions, versionAtLeast } from './version.js';
