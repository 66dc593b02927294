export { uniqueName, TEST_NAMES_FILE_VARIABLE } from './names';
export { eventually } from './eventually';
export { localKafka, createTopic, readWholeTopic } from './kafka';
export { createDatabase } from './postgres';
export { startTsProcess, startNodeProcess, startProcess, type RunningProcess } from './process';
export { startServiceProcess, requestJson, type ServiceProcess, type JsonResponse } from './services';
export { requestRaw, type RawAnswer } from './http-request';
export { isolatedKafkaEnvironment } from './environment';
export { urls, freePort, writeScrapeTargets, removeScrapeTargets } from '@eventline/infra';
export { runTool, runToolOk, kubeTools, startTestApiServer, type TestApiServer, type CommandResult } from './kube';
export { startSecuredKafka, type SecuredKafka, type SecuredKafkaOptions } from './secured-kafka';
export { startPrivateKafka, type PrivateKafka, type PrivateKafkaOptions } from './private-kafka';
export { explainFind, readPlan, recordCommands, type QueryPlan } from './mongo-plan';
export {
  connectionVerdict,
  selects,
  inCidr,
  type NetworkPolicy,
  type PolicyPod,
  type Endpoint,
  type Connection,
  type Verdict,
  type SideDecision,
} from './network-policy';
export { podConnections, type PodConnection, type SocketAddress } from './socket-table';
export { containerSamples, parseQuantity, type ContainerSample } from './resource-metrics';
export { TRACING_ENV, clientTraceparent, storedTrace, spanLabel, ancestry, SAGA_APPROVAL_CHAIN, sagaApprovalChain, type StoredSpan } from './trace-store';
export { promQuery, type PromSample } from './prometheus';
