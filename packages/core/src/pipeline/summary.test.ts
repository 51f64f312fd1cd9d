import { inSummaryWindow, summaryWindowStart } from './summary';

describe('the summary window', () => {
  it('starts `days` days before the current minute began, the same for every instant of that minute', () => {
    const start = summaryWindowStart(new Date('2026-11-28T10:15:00.000Z'), 7);
    expect(start.toISOString()).toBe('2026-11-21T10:15:00.000Z');
    expect(summaryWindowStart(new Date('2026-11-28T10:15:59.999Z'), 7)).toEqual(start);
    expect(summaryWindowStart(new Date('2026-11-28T10:16:00.000Z'), 1).toISOString()).toBe('2026-11-27T10:16:00.000Z');
    expect(inSummaryWindow({ runAt: start }, start)).toBe(true);
    expect(inSummaryWindow({ runAt: new Date(start.getTime() - 1) }, start)).toBe(false);
  });
});
