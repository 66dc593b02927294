export { up, down, install, status, formatTable } from './infra';
export { urls, ports, host, versions, cacheDir, stateDir } from './settings';
export { kafkaClasspath } from './kafka';
