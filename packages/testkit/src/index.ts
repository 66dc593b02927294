export { uniqueName, TEST_NAMES_FILE_VARIABLE } from './names';
export { eventually } from './eventually';
export { localKafka, createTopic } from './kafka';
export { createDatabase } from './postgres';
export { startTsProcess, startNodeProcess, type RunningProcess } from './process';
export { startServiceProcess, requestJson, type ServiceProcess, type JsonResponse } from './services';
export { isolatedKafkaEnvironment } from './environment';
export { urls } from '@eventline/infra';
export { runTool, runToolOk, kubeTools, startTestApiServer, type TestApiServer, type CommandResult } from './kube';
