import { type COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Type } from 'avsc';
import type { Catalog, CompatibilityLevel } from './catalog';
import { checkCompatibility, describeIncompatibility } from './compatibility';
import { findVersion, isCompatibleWithLatest, registryUrlFromEnv, setSubjectCompatibility, subjectCompatibility, subjectVersions } from './registry-api';
import { catalogSubjects, schemaText, type SubjectSpec } from './subjects';

export type SubjectStatus =
  | 'new' // not in the registry yet (check only)
  | 'compatible' // a compatible change of an existing subject (check only)
  | 'unchanged' // this exact schema is registered already
  | 'registered' // registered now
  | 'incompatible' // refused by the local check or the registry's; nothing registered
  | 'failed'; // the registry refused the registration itself

export interface SubjectReport {
  subject: string;
  topic: string;
  recordName: string;
  compatibility: CompatibilityLevel;
  status: SubjectStatus;
  /** The version of this schema once registered (unchanged/registered). */
  version?: number;
  /** The schema id records carry in their wire format (unchanged/registered). */
  id?: number;
  /** The registered version the local schema was compared with (compatible/incompatible). */
  against?: number;
  /** What is wrong (incompatible/failed): names the field. */
  problem?: string;
}

export interface RegistryReport {
  /** True when every subject is compatible (check) or registered/unchanged (register). */
  ok: boolean;
  subjects: SubjectReport[];
}

/** Checks every catalog subject against what the registry holds; registers nothing. */
export async function checkAll(catalog: Catalog, registryUrl = registryUrlFromEnv()): Promise<RegistryReport> {
  const subjects = await Promise.all(catalogSubjects(catalog).map((spec) => checkSubject(spec, registryUrl)));
  return { ok: subjects.every((s) => s.status !== 'incompatible'), subjects };
}

/**
 * All or nothing: checks every subject first and registers only when all pass (an incompatible subject
 * leaves every other subject untouched too). Then, per subject, sets its compatibility level and
 * registers the schema. A registry refusal during that second phase (a concurrent change) is reported
 * as `failed`; subjects registered before it stay registered — the registry has no transactions.
 */
export async function registerAll(catalog: Catalog, registryUrl = registryUrlFromEnv()): Promise<RegistryReport> {
  const checked = await checkAll(catalog, registryUrl);
  if (!checked.ok) return checked;
  const registry = new SchemaRegistry({ host: registryUrl });
  const specs = new Map(catalogSubjects(catalog).map((spec) => [spec.subject, spec]));
  const subjects: SubjectReport[] = [];
  for (const report of checked.subjects) {
    const spec = specs.get(report.subject)!;
    try {
      const { version, id } = await registerSubject(registry, registryUrl, spec);
      subjects.push({ ...report, status: report.status === 'unchanged' ? 'unchanged' : 'registered', version, id, against: undefined });
    } catch (error) {
      subjects.push({ ...report, status: 'failed', problem: registryProblem(error) });
    }
  }
  return { ok: subjects.every((s) => s.status === 'registered' || s.status === 'unchanged'), subjects };
}

/** Sets the subject's compatibility level, then registers the schema (a no-op when it is registered already). */
export async function registerSubject(registry: SchemaRegistry, registryUrl: string, spec: SubjectSpec): Promise<{ version: number; id: number }> {
  const schema = schemaText(spec.record);
  // The client compares the subject's level with the one it is given and refuses a mismatch, and
  // Apicurio answers NONE for a subject without a level of its own: set it first.
  await setSubjectCompatibility(registryUrl, spec.subject, spec.compatibility);
  const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject: spec.subject, compatibility: spec.compatibility as COMPATIBILITY });
  const found = await findVersion(registryUrl, spec.subject, schema);
  if (!found) throw new Error(`${spec.subject}: registered as id ${id} but the registry cannot find it`);
  return { version: found.version, id: found.id };
}

async function checkSubject(spec: SubjectSpec, registryUrl: string): Promise<SubjectReport> {
  const base = { subject: spec.subject, topic: spec.topic, recordName: spec.record.name, compatibility: spec.compatibility };
  const schema = schemaText(spec.record);
  const same = await findVersion(registryUrl, spec.subject, schema);
  if (same) return { ...base, status: 'unchanged', version: same.version, id: same.id };

  const versions = await subjectVersions(registryUrl, spec.subject);
  const latest = versions[versions.length - 1];
  if (!latest) return { ...base, status: 'new' };

  const previous = versions.map((v) => ({ version: v.version, type: Type.forSchema(JSON.parse(v.schema)) }));
  const local = checkCompatibility(spec.record.type, previous, spec.compatibility);
  if (!local.compatible) {
    return { ...base, status: 'incompatible', against: local.version, problem: describeIncompatibility(local) };
  }
  // Ask the registry too, but only when its level for the subject is the catalog's: a catalog change
  // of level takes effect when `register` sets it, and the local check already applied the new level.
  if (spec.compatibility !== 'NONE' && (await subjectCompatibility(registryUrl, spec.subject)) === spec.compatibility) {
    if (!(await isCompatibleWithLatest(registryUrl, spec.subject, schema))) {
      return {
        ...base,
        status: 'incompatible',
        against: latest.version,
        problem: `the registry refuses it under ${spec.compatibility} (its compatibility check names no field)`,
      };
    }
  }
  return { ...base, status: 'compatible', against: latest.version };
}

/** Apicurio's 409 names the field only inside its message: `... list of diff types: [amount at /fields/1]`. */
function registryProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const diff = /list of diff types: \[(.*)\]/.exec(message);
  return diff ? `the registry refuses it: ${diff[1]}` : message;
}

/** One line per subject, as the `schemas` command prints them. */
export function formatReport(report: RegistryReport): string[] {
  const lines = report.subjects.map((s) => {
    switch (s.status) {
      case 'unchanged':
        return `${s.subject}: version ${s.version}, id ${s.id} (unchanged, ${s.compatibility})`;
      case 'registered':
        return `${s.subject}: version ${s.version}, id ${s.id} (registered, ${s.compatibility})`;
      case 'new':
        return `${s.subject}: new subject, becomes version 1 (${s.compatibility})`;
      case 'compatible':
        return `${s.subject}: compatible with version ${s.against} (${s.compatibility})`;
      case 'incompatible':
        return `${s.subject}: incompatible with version ${s.against}: ${s.problem}`;
      case 'failed':
        return `${s.subject}: registration failed: ${s.problem}`;
      default:
        return `${s.subject}: ${s.status satisfies never}`;
    }
  });
  const refused = report.subjects.filter((s) => s.status === 'incompatible').length;
  if (refused > 0) lines.push(`${refused} incompatible subject(s): nothing was registered`);
  return lines;
}
