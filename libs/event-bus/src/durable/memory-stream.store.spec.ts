import { compareEntryIds } from './entry-ids.js';
import { MemoryStreamStore } from './memory-stream.store.js';

const info = (group: string) => ({
  group,
  handler: 'H.run',
  error: 'boom',
  attempts: 1,
  firstFailureAt: '2026-01-01T00:00:00.000Z',
  lastFailureAt: '2026-01-01T00:00:00.000Z',
});

describe('compareEntryIds', () => {
  it('orders by time, then by sequence as numbers', () => {
    const ids = ['5-10', '5-9', '40-0', '5-0', '100'];
    expect([...ids].sort(compareEntryIds)).toEqual([
      '5-0',
      '5-9',
      '5-10',
      '40-0',
      '100',
    ]);
  });
});

describe('MemoryStreamStore, for the admin dashboard', () => {
  it('pages dead letters on after an id, across streams, oldest first', async () => {
    const store = new MemoryStreamStore(
      { strategy: 'maxlen', maxLength: 100 },
      100,
    );
    for (let n = 0; n < 12; n++)
      await store.deadLetter(
        n % 2 ? 'odd' : 'even',
        { id: `1-${n}`, payload: JSON.stringify({ id: `e${n}`, type: 'x.y' }) },
        info('g'),
      );
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.listDeadLetters({ count: 5, after });
      if (page.length === 0) break;
      seen.push(...page.map(l => l.eventId!));
      after = page[page.length - 1].id;
    }
    expect(seen).toEqual(Array.from({ length: 12 }, (_, n) => `e${n}`));
  });

  it('describes a stream: length, dead letters, each group with lag, pending and its consumers', async () => {
    const store = new MemoryStreamStore(
      { strategy: 'maxlen', maxLength: 100 },
      100,
    );
    await store.ensureGroup('order', 'busy', '0');
    await store.ensureGroup('order', 'idle', '0');
    for (let n = 0; n < 3; n++) await store.append('order', `{"n":${n}}`);
    const [first] = await store.read('order', 'busy', 'worker-1', 2, 0);
    await store.ack('order', 'busy', [first.id]);
    const description = await store.describe('order');
    expect(description).toMatchObject({
      stream: 'order',
      length: 3,
      deadLetters: 0,
    });
    const groups = Object.fromEntries(
      description.groups.map(g => [g.group, g]),
    );
    expect(groups.busy).toMatchObject({
      pending: 1,
      lag: 1,
      consumers: [{ name: 'worker-1', pending: 1 }],
    });
    expect(groups.idle).toMatchObject({ pending: 0, lag: 3, consumers: [] });
    expect(await store.describe('nothing')).toEqual({
      stream: 'nothing',
      length: 0,
      deadLetters: 0,
      groups: [],
    });
  });
});
