export { up, down, install, status, formatTable } from './infra';
export { urls, ports, host, versions, cacheDir, stateDir } from './settings';
export { kafkaClasspath, singleNodeProperties, writeKafkaLog4j, formatKafkaStorage } from './kafka';
export { ensureDebianPackages, missingDebianPackages } from './debian';
export { buildCommand } from './shell';
export { ensureKubeTools, kubeToolPaths, kubeVersions, type KubeTools } from './kube-tools';
export { startKubeApiServer, freePort, type KubeApiServer, type KubeApiServerOptions } from './kube-apiserver';
export { writeScrapeTargets, removeScrapeTargets, type ScrapeTarget } from './prometheus';
