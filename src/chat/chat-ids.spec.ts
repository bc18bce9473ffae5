import {
  directChatId,
  mayJoinChatRoom,
  messageId,
  parseChatId,
  parseMessageId,
} from './chat-ids.js';

const PHOTO = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('chat ids', () => {
  it('gives two users one direct chat, whichever of them asks', () => {
    expect(directChatId('bob', 'alice')).toBe('dm:alice:bob');
    expect(directChatId('alice', 'bob')).toBe('dm:alice:bob');
    expect(parseChatId('dm:alice:bob')).toEqual({
      kind: 'direct',
      users: ['alice', 'bob'],
    });
  });

  it.each([
    'dm:bob:alice',
    'dm:alice:alice',
    'dm:alice',
    'dm:alice:bob:carol',
    'dm:al ice:bob',
    `dm:${'a'.repeat(100)}:${'b'.repeat(100)}`,
    'photo:not-a-uuid',
    // One thread per photo: the upper-case spelling of its id would be a second one.
    'photo:0F8FAD5B-D9CB-469F-A165-70867728950E',
    'group:x',
    '',
  ])('refuses %j', chatId => {
    expect(parseChatId(chatId)).toBeUndefined();
  });

  it('reads a photo thread and message ids that name their chat', () => {
    expect(parseChatId(`photo:${PHOTO}`)).toEqual({
      kind: 'photo',
      photoId: PHOTO,
    });
    const id = messageId('dm:alice:bob', 12);
    expect(id).toBe('dm:alice:bob#12');
    expect(parseMessageId(id)).toEqual({ chatId: 'dm:alice:bob', seq: 12 });
    expect(parseMessageId('dm:alice:bob#0')).toBeUndefined();
    expect(parseMessageId('dm:bob:alice#1')).toBeUndefined();
    expect(parseMessageId('12')).toBeUndefined();
  });

  it("lets only a chat's members into its room", async () => {
    const owner = async (userId: string, photoId: string) =>
      userId === 'alice' && photoId === PHOTO;
    expect(await mayJoinChatRoom('alice', 'chat:dm:alice:bob', owner)).toBe(
      true,
    );
    expect(await mayJoinChatRoom('carol', 'chat:dm:alice:bob', owner)).toBe(
      false,
    );
    expect(await mayJoinChatRoom('alice', `chat:photo:${PHOTO}`, owner)).toBe(
      true,
    );
    expect(await mayJoinChatRoom('bob', `chat:photo:${PHOTO}`, owner)).toBe(
      false,
    );
    expect(await mayJoinChatRoom('alice', 'photo:x', owner)).toBe(false);
  });
});
