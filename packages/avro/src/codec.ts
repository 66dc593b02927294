import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { Type } from 'avsc';
import { loadCatalog, recordSchema, topicSpec, type Catalog } from './catalog';
import { SchemaNotRegisteredError, UndecodableRecordError } from './errors';
import type { EventTypes } from './generated/events';
import { registerSubject } from './register';
import { registryUrlFromEnv } from './registry-api';
import { schemaText, subjectName } from './subjects';
import { assertValid } from './validate';

export interface AvroCodecOptions {
  /** Defaults to the repository's schemas/ (or $SCHEMAS_DIR). */
  catalog?: Catalog;
  /** Defaults to $SCHEMA_REGISTRY_URL, else the local registry. */
  registryUrl?: string;
  /**
   * Register a subject's local schema when the registry does not hold it yet. Off by default: the
   * services do not register (the `schemas` command does, after checking every subject); tests may.
   */
  autoRegister?: boolean;
}

export interface Decoded<V = unknown> {
  value: V;
  /** The schema id in the record's wire format (the writer's schema). */
  schemaId: number;
  /** Full name of the record type the producer wrote. */
  writerRecordName: string;
}

const magicByte = 0;
const headerLength = 5;

/**
 * Avro in the Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary), with
 * the schemas of the catalog. `Events` maps record full names to their TypeScript types (the
 * generated `EventTypes` by default).
 */
export class AvroCodec<Events extends object = EventTypes> {
  readonly catalog: Catalog;
  readonly registryUrl: string;
  private readonly registry: SchemaRegistry;
  private readonly autoRegister: boolean;
  private readonly ids = new Map<string, Promise<number>>();
  private readonly readers = new Map<string, (payload: Buffer) => unknown>();

  constructor(options: AvroCodecOptions = {}) {
    this.catalog = options.catalog ?? loadCatalog();
    this.registryUrl = options.registryUrl ?? registryUrlFromEnv();
    this.registry = new SchemaRegistry({ host: this.registryUrl });
    this.autoRegister = options.autoRegister ?? false;
  }

  /**
   * Validates `value` against the local schema (throws `InvalidEventError` naming the bad fields;
   * nothing is encoded), then frames it with the subject's schema id.
   */
  async encode<N extends keyof Events & string>(topic: string, recordName: N, value: Events[N]): Promise<Buffer> {
    const record = this.recordOnTopic(topic, recordName);
    assertValid(record.type, value);
    const id = await this.schemaId(topic, recordName);
    const header = Buffer.alloc(headerLength);
    header.writeUInt8(magicByte, 0);
    header.writeInt32BE(id, 1);
    return Buffer.concat([header, record.type.toBuffer(value)]);
  }

  /**
   * Decodes a record. With `readerRecordName`, reads with that record's local schema (schema
   * evolution: fields the writer added are dropped, fields it lacks take their defaults) and refuses
   * other record types. Without it, reads with the local schema of the writer's record type when the
   * catalog has one, else with the writer's schema.
   *
   * Throws `UndecodableRecordError` for bytes that can never be read (for the dead-letter topic);
   * any other error (e.g. the registry unreachable) is transient and rethrown as is.
   */
  async decode<N extends keyof Events & string>(buffer: Buffer, readerRecordName: N): Promise<Decoded<Events[N]>>;
  async decode(buffer: Buffer): Promise<Decoded<Events[keyof Events]>>;
  async decode(buffer: Buffer, readerRecordName?: string): Promise<Decoded> {
    if (!Buffer.isBuffer(buffer) || buffer.length < headerLength || buffer[0] !== magicByte) {
      throw new UndecodableRecordError('not-confluent-avro', 'not Confluent-framed Avro: expected magic byte 0 followed by a 4-byte schema id');
    }
    const schemaId = buffer.readInt32BE(1);
    const writer = await this.writerType(schemaId);
    const writerRecordName = writer.name ?? writer.typeName;
    if (readerRecordName !== undefined && readerRecordName !== writerRecordName) {
      throw new UndecodableRecordError('unexpected-record', `schema id ${schemaId} writes ${writerRecordName}, but the reader expects ${readerRecordName}`, schemaId);
    }
    const readerName = readerRecordName ?? (this.catalog.records.has(writerRecordName) ? writerRecordName : undefined);
    const read = this.reader(schemaId, writer, readerName);
    try {
      return { value: read(buffer.subarray(headerLength)), schemaId, writerRecordName };
    } catch (error) {
      throw new UndecodableRecordError('malformed-payload', `the Avro body does not decode as ${writerRecordName} (schema id ${schemaId}): ${(error as Error).message}`, schemaId, {
        cause: error,
      });
    }
  }

  /** The registry id of the local schema for (topic, record), looked up once and cached. */
  schemaId(topic: string, recordName: string): Promise<number> {
    const subject = subjectName(topic, recordName);
    let id = this.ids.get(subject);
    if (!id) {
      id = this.resolveId(topic, recordName);
      // A failed lookup is not cached: the next call asks again.
      id.catch(() => this.ids.delete(subject));
      this.ids.set(subject, id);
    }
    return id;
  }

  private async resolveId(topic: string, recordName: string): Promise<number> {
    const record = this.recordOnTopic(topic, recordName);
    const subject = subjectName(topic, recordName);
    try {
      return await this.registry.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: schemaText(record) });
    } catch (error) {
      // The client wraps only "subject or schema not found" into a plain ConfluentSchemaRegistryError.
      if ((error as Error).name !== 'ConfluentSchemaRegistryError') throw error;
      if (!this.autoRegister) throw new SchemaNotRegisteredError(subject);
      const spec = {
        subject,
        topic,
        record,
        compatibility: topicSpec(this.catalog, topic).compatibility[recordName]!,
      };
      return (await registerSubject(this.registry, this.registryUrl, spec)).id;
    }
  }

  private recordOnTopic(topic: string, recordName: string) {
    const spec = topicSpec(this.catalog, topic);
    if (!spec.records.includes(recordName)) {
      throw new Error(`record ${recordName} is not allowed on topic "${topic}" (allowed: ${spec.records.join(', ')})`);
    }
    return recordSchema(this.catalog, recordName);
  }

  private async writerType(schemaId: number): Promise<Type> {
    try {
      return (await this.registry.getSchema(schemaId)) as unknown as Type;
    } catch (error) {
      if ((error as { status?: number }).status === 404) {
        throw new UndecodableRecordError('unknown-schema-id', `the registry has no schema with id ${schemaId}`, schemaId, {
          cause: error,
        });
      }
      throw error;
    }
  }

  private reader(schemaId: number, writer: Type, readerName: string | undefined): (payload: Buffer) => unknown {
    const key = `${schemaId}:${readerName ?? ''}`;
    let read = this.readers.get(key);
    if (!read) {
      const reader = readerName ? recordSchema(this.catalog, readerName).type : writer;
      if (reader.equals(writer)) {
        read = (payload) => reader.fromBuffer(payload);
      } else {
        let resolver: ReturnType<Type['createResolver']>;
        try {
          resolver = reader.createResolver(writer);
        } catch (error) {
          throw new UndecodableRecordError(
            'incompatible-schema',
            `the local ${readerName} cannot read records written with schema id ${schemaId}: ${(error as Error).message}`,
            schemaId,
            { cause: error },
          );
        }
        read = (payload) => reader.fromBuffer(payload, resolver);
      }
      this.readers.set(key, read);
    }
    return read;
  }
}
