/**
 * Configuration: settings from flags and environment, validated by schemas (zod's or any
 * {@linkcode SettingSchema}), with `--help`.
 * @module
 */

export {
  type Command,
  ConfigError,
  configFromCommandLine,
  type ConfigOf,
  defineCommand,
  helpText,
  loadConfig,
  parseCommandLine,
  setting,
} from "./config.ts";
export {
  choiceValue,
  intValue,
  ipAddressValue,
  listValue,
  portValue,
  positiveNumberValue,
  switchValue,
  urlValue,
} from "./values.ts";
export { type LoadOptions } from "./config.ts";
export { type Parsed } from "./config.ts";
export { type Setting } from "./config.ts";
export { type SettingParseResult, type SettingSchema } from "./config.ts";
export { type Access } from "./config.ts";
export { type Grants } from "./config.ts";
