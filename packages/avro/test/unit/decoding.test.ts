import { avroDecoding, UndecodableRecordError, type AvroCodec } from '@eventline/avro';

describe('avroDecoding', () => {
  it("gives a consumer the decoded value under the writer's record name, and UndecodableRecordError as poison", async () => {
    const codec = { decode: async () => ({ value: { id: 1 }, schemaId: 7, writerRecordName: 'dev.eventline.users.UserState' }) } as unknown as AvroCodec;
    const decoding = avroDecoding(codec);
    await expect(decoding.decode(Buffer.from([0, 0, 0, 0, 7]))).resolves.toEqual({ value: { id: 1 }, recordName: 'dev.eventline.users.UserState' });
    expect(decoding.poisonErrors).toEqual([UndecodableRecordError]);
  });
});
