export { loadConfig, loadConfigOrExit, type LoadConfigOptions } from './load';
export { ConfigError } from './errors';
export {
  int,
  port,
  bool,
  str,
  oneOf,
  logLevel,
  url,
  list,
  LOG_LEVELS,
  type IntOptions,
  type StrOptions,
  type UrlOptions,
  type ListOptions,
} from './settings';
