import { z } from 'zod';
import { HttpError, notFound, validateBody, validateParams } from '@eventline/http';
import type { ServiceDefinition } from '@eventline/runtime';
import { idempotencyClaim } from '@eventline/idempotency';
import { checkinBody } from './checkin';
import { Checkins, DuplicateCheckinError } from './checkins';

const orderNo = z.object({ orderNo: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, _ or -') });

export const fulfillmentService: ServiceDefinition<Record<string, never>> = {
  name: 'fulfillment-service',
  settings: {},
  mongo: { migrate: (db) => Checkins.migrate(db), outbox: ['job_checkins'], commandDocuments: ['job_checkins'] },
  routes: (router, { mongo, name, validatePayload }) => {
    const checkins = new Checkins(mongo!, name, validatePayload);
    router.post('/api/SOA/home/checkin', async (ctx) => {
      const body = validateBody(ctx, checkinBody);
      try {
        ctx.body = await checkins.record(body, idempotencyClaim(ctx));
        ctx.status = 201;
      } catch (error) {
        if (error instanceof DuplicateCheckinError) throw new HttpError(409, 'duplicate_checkin', error.message, { existingId: error.existingId });
        throw error;
      }
    });
    router.get('/api/SOA/jobs/:orderNo', async (ctx) => {
      const { orderNo: id } = validateParams(ctx, orderNo);
      const timeline = await checkins.timeline(id);
      if (timeline.length === 0) throw notFound(`job ${id} has no check-ins`);
      ctx.body = { orderNo: id, checkins: timeline };
    });
  },
};
