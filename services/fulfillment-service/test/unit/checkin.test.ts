import { checkinBody, parseCheckinDate } from '../../src/checkin';

const seed = {
  internetNo: '8850049302',
  orderNo: '5960915_106347524.2',
  staffCode: 'cs_eng_ftth',
  jobStatus: 'homecheckedin',
  checkinLatitude: 13.7827811,
  checkinLongitude: 100.5465937,
  checkinDate: '2021-03-18 10:13:43',
};

describe('check-in validation', () => {
  it("accepts seed 001's body as it is", () => {
    expect(checkinBody.parse(seed)).toEqual(seed);
    expect(parseCheckinDate(seed.checkinDate)?.toISOString()).toBe('2021-03-18T10:13:43.000Z');
  });

  it('refuses impossible dates and other formats', () => {
    for (const text of ['2021-02-30 10:00:00', '2021-03-18T10:13:43', '2021-03-18 24:00:00', '18/03/2021 10:13:43', '']) {
      expect(parseCheckinDate(text)).toBeUndefined();
    }
  });

  it('names each bad field', () => {
    const result = checkinBody.safeParse({
      ...seed,
      checkinLatitude: 91,
      checkinLongitude: -180.5,
      jobStatus: 'teleported',
      checkinDate: '2021-13-01 00:00:00',
      internetNo: undefined,
    });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['checkinDate', 'checkinLatitude', 'checkinLongitude', 'internetNo', 'jobStatus']);
  });
});
