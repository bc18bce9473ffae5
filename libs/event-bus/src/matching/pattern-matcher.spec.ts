import {
  compilePattern,
  escapeRedisGlob,
  isValidEventType,
  isValidPattern,
  toRedisGlob,
} from './pattern-matcher.js';

/** [pattern, types it matches, types it does not match] */
const cases: Array<[string, string[], string[]]> = [
  [
    'photo.uploaded',
    ['photo.uploaded'],
    ['photo', 'photo.uploaded.x', 'photo.upload', 'x.photo.uploaded'],
  ],
  [
    'photo.*',
    ['photo.uploaded', 'photo.x'],
    ['photo.processing.started', 'photo', 'video.uploaded'],
  ],
  [
    'photo.**',
    ['photo', 'photo.uploaded', 'photo.processing.started'],
    ['photos', 'video.uploaded', 'x.photo'],
  ],
  [
    '*.processing.*',
    ['photo.processing.started', 'video.processing.done'],
    [
      'photo.processing',
      'a.b.processing.c',
      'processing.started',
      'photo.processing.a.b',
    ],
  ],
  ['**', ['a', 'photo.uploaded', 'a.b.c.d.e'], []],
  ['*', ['a', 'photo'], ['photo.uploaded']],
  ['a.**.b', ['a.b', 'a.x.b', 'a.x.y.b'], ['a', 'b', 'a.b.c', 'x.a.b', 'ab']],
  [
    '**.done',
    ['done', 'job.done', 'a.b.c.done'],
    ['done.x', 'undone', 'job.undone'],
  ],
  ['a.*.**', ['a.x', 'a.x.y', 'a.x.y.z'], ['a', 'b.x']],
  [
    'user-profile.*',
    ['user-profile.updated', 'user-profile.x_y'],
    ['user.updated', 'user-profile', 'userprofile.updated'],
  ],
  [
    'order_item.created-v2',
    ['order_item.created-v2'],
    ['order_item.created_v2', 'orderitem.created-v2'],
  ],
  [
    '*.state_changed',
    ['user_1.state_changed', 'a-b.state_changed'],
    ['a.b.state_changed', 'state_changed'],
  ],
];

/** Every type named in the table, to probe each pattern's glob with. */
const allTypes = [...new Set(cases.flatMap(([, yes, no]) => [...yes, ...no]))];

const matchRows = cases.flatMap(([pattern, yes, no]) => [
  ...yes.map(type => [pattern, type, true] as const),
  ...no.map(type => [pattern, type, false] as const),
]);

/** Redis glob semantics for our alphabet: `*` matches any run of characters (dots included). */
function redisGlobToRegex(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '\\')
      source += glob[++i].replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
    else if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

describe('compilePattern', () => {
  it.each(matchRows)('%s vs %s → %s', (pattern, type, expected) => {
    expect(compilePattern(pattern)(type)).toBe(expected);
  });
});

describe('isValidPattern', () => {
  it.each([
    'photo.uploaded',
    'photo.*',
    'photo.**',
    '**',
    '*',
    'a.**.b',
    '**.done',
    'user-profile.x_y',
    '0.9',
    'a'.repeat(255),
  ])('accepts %s', pattern => {
    expect(isValidPattern(pattern)).toBe(true);
  });

  it.each([
    ['uppercase', 'Photo.uploaded'],
    ['empty', ''],
    ['empty segment', 'photo..uploaded'],
    ['trailing dot', 'photo.'],
    ['leading dot', '.photo'],
    ['space', 'photo uploaded'],
    ['triple star', 'photo.***'],
    ['star inside a segment', 'photo.up*'],
    ['leading dash', '-photo'],
    ['over 255 characters', 'a'.repeat(256)],
    ['not a string', 42],
    ['undefined', undefined],
  ])('rejects %s', (_label, pattern) => {
    expect(isValidPattern(pattern)).toBe(false);
  });
});

describe('isValidEventType', () => {
  it.each(['photo.uploaded', 'photo', 'a-b.c_d.0', 'a'.repeat(255)])(
    'accepts %s',
    type => {
      expect(isValidEventType(type)).toBe(true);
    },
  );

  it.each([
    ['uppercase', 'Photo.Uploaded'],
    ['empty', ''],
    ['empty segment', 'photo..uploaded'],
    ['leading dot', '.photo'],
    ['trailing dot', 'photo.'],
    ['space', 'photo uploaded'],
    ['wildcard', 'photo.*'],
    ['triple star', '***'],
    ['over 255 characters', 'a'.repeat(256)],
    ['not a string', null],
  ])('rejects %s', (_label, type) => {
    expect(isValidEventType(type)).toBe(false);
  });
});

describe('toRedisGlob', () => {
  it.each([
    ['photo.uploaded', 'photo.uploaded'],
    ['photo.*', 'photo.*'],
    ['photo.**', 'photo*'],
    ['**', '*'],
    ['a.**.b', 'a*b'],
    ['**.done', '*done'],
  ])('%s → %s', (pattern, glob) => {
    expect(toRedisGlob(pattern)).toBe(glob);
  });

  it.each(cases)(
    'the glob of %s selects a superset of its matches',
    pattern => {
      const glob = redisGlobToRegex(toRedisGlob(pattern));
      const matched = allTypes.filter(compilePattern(pattern));
      expect(matched.length).toBeGreaterThan(0);
      for (const type of matched) {
        expect({ type, matched: glob.test(type) }).toEqual({
          type,
          matched: true,
        });
      }
    },
  );
});

describe('escapeRedisGlob', () => {
  it('escapes glob metacharacters', () => {
    expect(escapeRedisGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
  });

  it('leaves ordinary prefixes alone', () => {
    expect(escapeRedisGlob('eventbus:photo-service_1.')).toBe(
      'eventbus:photo-service_1.',
    );
  });

  it('makes a prefix match only itself', () => {
    const glob = redisGlobToRegex(
      escapeRedisGlob('bus*:') + toRedisGlob('photo.**'),
    );
    expect(glob.test('bus*:photo.uploaded')).toBe(true);
    expect(glob.test('busX:photo.uploaded')).toBe(false);
  });
});
