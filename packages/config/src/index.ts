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
export {
  RemoteConfig,
  EventStreamParser,
  type RemoteConfigOptions,
  type RemoteConfigLogger,
  type RemoteSettings,
  type RemoteChangeListener,
} from './remote';
