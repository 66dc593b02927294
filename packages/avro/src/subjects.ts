import type { Catalog, CompatibilityLevel, RecordSchema } from './catalog';

/**
 * TopicRecordNameStrategy: one subject per (topic, record type), so a topic can carry several event
 * types and each evolves, and is compatibility-checked, on its own (see README.md).
 */
export function subjectName(topic: string, recordFullName: string): string {
  return `${topic}-${recordFullName}`;
}

export interface SubjectSpec {
  subject: string;
  topic: string;
  record: RecordSchema;
  compatibility: CompatibilityLevel;
}

/** Every subject the catalog defines, in catalog order. */
export function catalogSubjects(catalog: Catalog): SubjectSpec[] {
  return [...catalog.topics.values()].flatMap((topic) =>
    topic.records.map((name) => ({
      subject: subjectName(topic.name, name),
      topic: topic.name,
      record: catalog.records.get(name)!,
      compatibility: topic.compatibility[name]!,
    })),
  );
}

/** The schema text sent to the registry: the .avsc content, normalised so lookups match byte for byte. */
export function schemaText(record: RecordSchema): string {
  return JSON.stringify(record.schema);
}
