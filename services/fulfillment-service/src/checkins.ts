import { MongoServerError, ObjectId, type Collection, type Db, type WithId } from 'mongodb';
import { type IdempotencyClaim, jsonResponse, type RecordedResponse, recordedResponse } from '@eventline/idempotency';
import { newEnvelope } from '@eventline/kafka';
import { outboxCommitted, type PayloadValidator, pendingEvent, type PendingEvent } from '@eventline/outbox';
import { parseCheckinDate, type CheckinBody } from './checkin';

export const JOB_CHECKINS_TOPIC = 'job-checkins';
const JOB_CHECKED_IN = 'dev.eventline.fulfillment.JobCheckedIn';

interface CheckinDocument {
  _id: ObjectId;
  orderNo: string;
  internetNo: string;
  staffCode: string;
  jobStatus: string;
  location: { latitude: number; longitude: number };
  checkinDate: string;
  checkinAt: Date;
  receivedAt: Date;
  pendingEvents: PendingEvent[];
  /** The response of the keyed request that recorded it, written with it (see MongoIdempotencyStore). */
  idempotencyKeys?: RecordedResponse[];
}

const DUPLICATE_KEY = 11000;

/** The same job reported in the same status at the same moment: a check-in already recorded. */
export class DuplicateCheckinError extends Error {
  override readonly name = 'DuplicateCheckinError';
  constructor(
    readonly existingId: string,
    body: CheckinBody,
  ) {
    super(`job ${body.orderNo} was already checked in as ${body.jobStatus} at ${body.checkinDate}`);
  }
}

const toResource = ({ _id, pendingEvents: _pending, idempotencyKeys: _keys, ...checkin }: WithId<CheckinDocument>) => ({ id: _id.toHexString(), ...checkin });

/**
 * Check-ins in MongoDB. The JobCheckedIn notification is written into the check-in's own document in
 * the same insert (the MongoDB outbox), and published from there.
 */
export class Checkins {
  readonly collection: Collection<CheckinDocument>;

  constructor(
    db: Db,
    private readonly source: string,
    private readonly validate: PayloadValidator,
  ) {
    this.collection = db.collection<CheckinDocument>('job_checkins');
  }

  static async migrate(db: Db): Promise<void> {
    await db.collection('job_checkins').createIndex({ orderNo: 1, checkinAt: 1 });
    // A check-in's natural key: one job, one status, one moment. A second POST of it is a duplicate.
    await db.collection('job_checkins').createIndex({ orderNo: 1, jobStatus: 1, checkinDate: 1 }, { unique: true, name: 'checkin_natural_key' });
  }

  /** `claim`: the request's Idempotency-Key, whose 201 response the check-in document carries. */
  async record(body: CheckinBody, claim?: IdempotencyClaim) {
    const _id = new ObjectId();
    const notification = {
      topic: JOB_CHECKINS_TOPIC,
      key: body.orderNo,
      recordName: JOB_CHECKED_IN,
      payload: { checkinId: _id.toHexString(), orderNo: body.orderNo, internetNo: body.internetNo, staffCode: body.staffCode, jobStatus: body.jobStatus },
      envelope: newEnvelope('JobCheckedIn', this.source),
    };
    this.validate(JOB_CHECKED_IN, notification.payload);
    const document: CheckinDocument = {
      _id,
      orderNo: body.orderNo,
      internetNo: body.internetNo,
      staffCode: body.staffCode,
      jobStatus: body.jobStatus,
      location: { latitude: body.checkinLatitude, longitude: body.checkinLongitude },
      checkinDate: body.checkinDate,
      checkinAt: parseCheckinDate(body.checkinDate)!,
      receivedAt: new Date(),
      pendingEvents: [pendingEvent(notification)],
    };
    if (claim) document.idempotencyKeys = [recordedResponse(claim, jsonResponse(201, toResource(document)))];
    try {
      await this.collection.insertOne(document);
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      const existing = await this.collection.findOne({ orderNo: body.orderNo, jobStatus: body.jobStatus, checkinDate: body.checkinDate }, { projection: { _id: 1 } });
      throw new DuplicateCheckinError(existing?._id.toHexString() ?? 'unknown', body);
    }
    outboxCommitted();
    return toResource(document);
  }

  /** A job's check-ins in the order they happened. */
  async timeline(orderNo: string) {
    const checkins = await this.collection.find({ orderNo }).sort({ checkinAt: 1, _id: 1 }).toArray();
    return checkins.map(toResource);
  }
}
