import { z } from 'zod';

/** Job statuses a field engineer can report, in the order a job usually goes through them. */
export const JOB_STATUSES = ['assigned', 'onroute', 'homecheckedin', 'installing', 'completed', 'cancelled', 'failed'] as const;

/** The seed's date format: `2021-03-18 10:13:43`, a real calendar date and time. */
export function parseCheckinDate(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const roundTrips = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  return roundTrips ? date : undefined;
}

/** Seed 001's check-in body. */
export const checkinBody = z.strictObject({
  internetNo: z.string().regex(/^\d{1,20}$/, 'must be 1-20 digits'),
  orderNo: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, _ or -'),
  staffCode: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, _ or -'),
  jobStatus: z.enum(JOB_STATUSES),
  checkinLatitude: z.number().min(-90).max(90),
  checkinLongitude: z.number().min(-180).max(180),
  checkinDate: z.string().refine((text) => parseCheckinDate(text) !== undefined, 'must be a date and time as YYYY-MM-DD HH:mm:ss'),
});

export type CheckinBody = z.output<typeof checkinBody>;
