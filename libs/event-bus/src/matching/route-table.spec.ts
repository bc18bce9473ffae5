import { GATEWAY_ROUTE } from './pattern-matcher.js';
import { RouteTable } from './route-table.js';

describe('RouteTable', () => {
  it('finds exact and wildcard values of a type, exact first', () => {
    const table = new RouteTable<string>();
    table.add('photo.*', 'a', 'wild');
    table.add('photo.uploaded', 'b', 'exact');
    table.add('**', 'c', 'all');
    expect(table.match('photo.uploaded')).toEqual(['exact', 'wild', 'all']);
    expect(table.match('photo.processing.done')).toEqual(['all']);
    expect(table.match('order.placed')).toEqual(['all']);
  });

  it('tells when a pattern is new and when it became empty', () => {
    const table = new RouteTable<number>();
    expect(table.add('a.*', '1', 1)).toBe(true);
    expect(table.add('a.*', '2', 2)).toBe(false);
    expect(table.size).toBe(2);
    expect(table.remove('a.*', '1')).toBe(false);
    expect(table.remove('a.*', 'missing')).toBe(false);
    expect(table.remove('a.*', '2')).toBe(true);
    expect(table.has('a.*')).toBe(false);
    expect(table.size).toBe(0);
  });

  it('forgets a cached answer when the table changes', () => {
    const table = new RouteTable<string>();
    table.add('a.b', '1', 'one');
    expect(table.match('a.b')).toEqual(['one']);
    table.add('a.*', '2', 'two');
    expect(table.match('a.b')).toEqual(['one', 'two']);
    table.remove('a.b', '1');
    expect(table.match('a.b')).toEqual(['two']);
  });

  it('matches # routes exactly only: not even ** reaches them', () => {
    const table = new RouteTable<string>();
    table.add('**', '1', 'all');
    expect(table.match(GATEWAY_ROUTE)).toEqual([]);
    table.add(GATEWAY_ROUTE, '2', 'gateway');
    expect(table.match(GATEWAY_ROUTE)).toEqual(['gateway']);
    expect(table.match('x.y')).toEqual(['all']);
  });

  it('keeps its cache bounded under invented types', () => {
    const table = new RouteTable<string>();
    table.add('**', '1', 'all');
    for (let i = 0; i < 25_000; i++) table.match(`t${i}`);
    const cache = (table as unknown as { cache: Map<string, unknown> }).cache;
    expect(cache.size).toBeLessThanOrEqual(10_000);
  });
});
