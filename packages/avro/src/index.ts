export {
  loadCatalog,
  buildCatalog,
  findSchemasDir,
  kafkaTopics,
  dlqTopicName,
  topicSpec,
  recordSchema,
  compatibilityLevels,
  defaultCompatibility,
  CatalogError,
  type Catalog,
  type TopicSpec,
  type RecordSchema,
  type KafkaTopicConfig,
  type CompatibilityLevel,
  type AvscSource,
} from './catalog';
export { subjectName, catalogSubjects, schemaText, type SubjectSpec } from './subjects';
export { AvroCodec, type AvroCodecOptions, type Decoded } from './codec';
export { avroDecoding, type AvroDecoding } from './decoding';
export { UndecodableRecordError, InvalidEventError, SchemaNotRegisteredError, type UndecodableReason } from './errors';
export { assertValid } from './validate';
export { canRead, checkCompatibility, describeIncompatibility, describeType, type Compatibility } from './compatibility';
export { checkAll, registerAll, registerSubject, formatReport, type RegistryReport, type SubjectReport, type SubjectStatus } from './register';
export { defaultRegistryUrl, registryUrlFromEnv } from './registry-api';
export { generateTypes, generateChartTopics, generatedFiles, runCodegen, generatedFile, codegenCommand } from './codegen';
export * from './generated/events';
export { recordValue, UnexpectedRecordError, type DecodedRecord } from './record-value';
