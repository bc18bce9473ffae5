import { historyPage } from './room-history-page.js';

describe('historyPage', () => {
  const kept = ['a', 'b', 'c', 'd', 'e'].map(id => ({ id }));
  const ids = (page: { events: Array<{ id: string }> }) =>
    page.events.map(event => event.id).join('');

  it('gives the newest events without a cursor, oldest first', () => {
    const page = historyPage(kept, { limit: 2 });
    expect(ids(page)).toBe('de');
    expect(page).toMatchObject({ hasMore: true, recovered: true });
    expect(historyPage(kept, {})).toMatchObject({
      hasMore: false,
      recovered: true,
    });
    expect(ids(historyPage(kept, {}))).toBe('abcde');
  });

  it('pages forward after since (exclusive) until hasMore is false', () => {
    const first = historyPage(kept, { since: 'a', limit: 2 });
    expect(ids(first)).toBe('bc');
    expect(first.hasMore).toBe(true);
    const second = historyPage(kept, { since: 'c', limit: 2 });
    expect(ids(second)).toBe('de');
    expect(second.hasMore).toBe(false);
    expect(historyPage(kept, { since: 'e' })).toEqual({
      events: [],
      hasMore: false,
      recovered: true,
    });
  });

  it('pages back before an event (exclusive)', () => {
    const page = historyPage(kept, { before: 'd', limit: 2 });
    expect(ids(page)).toBe('bc');
    expect(page.hasMore).toBe(true);
    expect(historyPage(kept, { before: 'b', limit: 2 })).toMatchObject({
      hasMore: false,
    });
  });

  it('is not recovered, and empty, when the cursor is no longer kept', () => {
    expect(historyPage(kept, { since: 'z' })).toEqual({
      events: [],
      hasMore: false,
      recovered: false,
    });
    expect(historyPage(kept, { before: 'z' }).recovered).toBe(false);
  });
});
