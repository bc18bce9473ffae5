// The demo's chat panel (seed 002's socket protocol, src/chat/): who is online,
// direct messages with the typing indicator and read marks. It uses the page's
// client SDK connection (app.js hands it over with a `demo:client` event):
// requests go through client.request(), room events (message:new, …) arrive by
// their bus type through client.on(), and the chat rooms are subscribed so that
// the SDK replays what a reconnect missed.
/* global document, window, crypto, setInterval, clearInterval, setTimeout, clearTimeout */

const $ = id => document.getElementById(id);

/** How often the "who's online" list is asked for again (status changes of chat peers come live). */
const PEOPLE_POLL_MS = 5000;
/** A typing:start is renewed this often while the user types (the server clears it after 3 s). */
const TYPING_RENEW_MS = 1500;

let client;
let me;
/** userId → { online, lastSeen, unread, chatId } */
const people = new Map();
/** The open conversation: { chatId, peerId, messages: Map<id, message>, peerReadSeq } */
let open;
const subscribed = new Set();
let peoplePoll;
let lastTypingSent = 0;
let typingHide;

window.addEventListener('demo:client', event => {
  ({ client, userId: me } = event.detail);
  $('chat').hidden = false;
  wire();
});

function wire() {
  client.state.subscribe(state => {
    if (state === 'connected') void refresh();
  });
  client.on('chat.message.new', event => onMessage(event.data));
  client.on('chat.message.edited', event => onChanged(event.data));
  client.on('chat.message.deleted', event => onChanged(event.data));
  client.on('chat.message.reaction', event => onReaction(event.data));
  client.on('chat.message.read', event => onRead(event.data));
  client.onMessage('typing:start', notice => onTyping(notice, true));
  client.onMessage('typing:stop', notice => onTyping(notice, false));
  client.onMessage('user:status', status => {
    const person = personOf(status.userId);
    person.online = status.status === 'online';
    if (status.lastSeen) person.lastSeen = status.lastSeen;
    renderPeople();
  });
  clearInterval(peoplePoll);
  peoplePoll = setInterval(() => void loadPeople(), PEOPLE_POLL_MS);
  window.addEventListener('beforeunload', () => clearInterval(peoplePoll));
}

async function ask(message, payload) {
  const ack = await client.request(message, payload);
  if (!ack?.ok) throw new Error(ack?.error ?? `${message} failed`);
  return ack;
}

async function refresh() {
  try {
    const { chats } = await ask('chat:list');
    for (const chat of chats) {
      if (chat.kind !== 'direct' || !chat.peer) continue;
      const person = personOf(chat.peer.userId);
      Object.assign(person, {
        chatId: chat.chatId,
        unread: chat.unread,
        online: chat.peer.online === true,
        lastSeen: chat.peer.lastSeen,
      });
      watchChat(chat.chatId);
    }
    await loadPeople();
    if (open) await loadHistory();
  } catch (error) {
    showError(error.message);
  }
}

async function loadPeople() {
  if (!client?.identity) return;
  try {
    const { users } = await ask('users:list');
    for (const user of users) {
      if (user.userId === me) continue;
      const person = personOf(user.userId);
      // No presence for someone who has not written to us: shown as not online.
      person.online = user.online === true;
      person.lastSeen = user.lastSeen;
    }
    renderPeople();
  } catch (error) {
    showError(error.message);
  }
}

function personOf(userId) {
  let person = people.get(userId);
  if (!person) people.set(userId, (person = { online: false, unread: 0 }));
  return person;
}

/** Joins the chat's room through the SDK: after a reconnect it replays the chat's missed events. */
function watchChat(chatId) {
  if (subscribed.has(chatId)) return;
  subscribed.add(chatId);
  client.subscribe(`chat:${chatId}`, () => undefined).catch(error => {
    subscribed.delete(chatId);
    showError(error.message);
  });
}

// ------------------------------------------------------------------ conversation

async function openChat(peerId) {
  try {
    const { chat } = await ask('chat:open', { userId: peerId });
    open = { chatId: chat.chatId, peerId, messages: new Map(), peerReadSeq: 0 };
    const person = personOf(peerId);
    person.chatId = chat.chatId;
    watchChat(chat.chatId);
    $('conversation').hidden = false;
    $('chat-peer-name').textContent = peerId;
    $('messages').replaceChildren();
    await loadHistory();
    $('chat-input').focus();
  } catch (error) {
    showError(error.message);
  }
}

async function loadHistory() {
  const { messages, reads } = await ask('chat:history', {
    chatId: open.chatId,
    limit: 50,
  });
  open.peerReadSeq = reads.find(r => r.userId === open.peerId)?.seq ?? 0;
  for (const message of messages) open.messages.set(message.id, message);
  renderMessages();
  await markRead();
}

async function markRead() {
  const person = personOf(open.peerId);
  if (person.unread > 0 || [...open.messages.values()].some(m => m.senderId !== me)) {
    person.unread = 0;
    renderPeople();
    await ask('chat:read-all', { chatId: open.chatId }).catch(() => undefined);
  }
}

function onMessage(message) {
  if (open?.chatId === message.chatId) {
    open.messages.set(message.id, message);
    renderMessages();
    if (message.senderId !== me) {
      hideTyping();
      void ask('message:read', {
        chatId: message.chatId,
        messageId: message.id,
      }).catch(() => undefined);
    }
    return;
  }
  const peerId = message.chatId
    .split(':')
    .slice(1)
    .find(id => id !== me);
  if (!peerId || message.senderId === me) return;
  const person = personOf(peerId);
  person.chatId = message.chatId;
  person.unread++;
  renderPeople();
}

function onChanged(message) {
  if (open?.chatId !== message.chatId) return;
  open.messages.set(message.id, message);
  renderMessages();
}

function onReaction(change) {
  const message = open?.messages.get(change.messageId);
  if (!message) return;
  message.reactions = change.reactions;
  renderMessages();
}

function onRead(receipt) {
  if (open?.chatId !== receipt.chatId || receipt.userId === me) return;
  const seq = Number(receipt.messageId.split('#').at(-1));
  open.peerReadSeq = Math.max(open.peerReadSeq, seq);
  renderMessages();
}

function onTyping(notice, typing) {
  if (open?.chatId !== notice.chatId || notice.userId === me) return;
  if (!typing) return hideTyping();
  $('typing').textContent = `${notice.userId} is typing…`;
  $('typing').hidden = false;
  // Should the stop get lost (the sender's instance died), the line goes anyway.
  clearTimeout(typingHide);
  typingHide = setTimeout(hideTyping, 6000);
}

function hideTyping() {
  clearTimeout(typingHide);
  $('typing').hidden = true;
}

$('chat-input').addEventListener('input', () => {
  if (!open || Date.now() - lastTypingSent < TYPING_RENEW_MS) return;
  lastTypingSent = Date.now();
  void ask('typing:start', { chatId: open.chatId }).catch(() => undefined);
});

$('chat-form').addEventListener('submit', async event => {
  event.preventDefault();
  const content = $('chat-input').value;
  if (!open || !content.trim()) return;
  $('chat-input').value = '';
  lastTypingSent = 0;
  try {
    const { message } = await ask('message:send', {
      chatId: open.chatId,
      content,
      clientMessageId: crypto.randomUUID(),
    });
    onMessage(message);
  } catch (error) {
    $('chat-input').value = content;
    showError(error.message);
  }
});

$('chat-open-form').addEventListener('submit', event => {
  event.preventDefault();
  const peerId = $('chat-peer').value.trim();
  if (peerId) void openChat(peerId);
  $('chat-peer').value = '';
});

// ------------------------------------------------------------------ rendering

function renderPeople() {
  const entries = [...people.entries()]
    .filter(([userId]) => userId !== me)
    .sort(
      ([a, pa], [b, pb]) =>
        Number(pb.online) - Number(pa.online) || a.localeCompare(b),
    );
  $('people').replaceChildren(
    ...entries.map(([userId, person]) => {
      const item = document.createElement('li');
      item.dataset.userId = userId;
      item.dataset.online = String(person.online);
      if (open?.peerId === userId) item.classList.add('active');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'person';
      button.textContent = userId;
      button.title = person.online
        ? 'online · send a message'
        : `offline${person.lastSeen ? ` · last seen ${new Date(person.lastSeen).toLocaleTimeString()}` : ''}`;
      button.addEventListener('click', () => void openChat(userId));
      item.append(button);
      if (person.unread > 0) {
        const badge = document.createElement('span');
        badge.className = 'badge unread';
        badge.textContent = String(person.unread);
        item.append(badge);
      }
      return item;
    }),
  );
  $('people-empty').hidden = entries.length > 0;
  const unread = entries.reduce((n, [, person]) => n + person.unread, 0);
  $('chat-unread').textContent = String(unread);
  $('chat-unread').hidden = unread === 0;
  if (open) {
    const person = personOf(open.peerId);
    $('chat-peer-status').textContent = person.online
      ? 'online'
      : person.lastSeen
        ? `last seen ${new Date(person.lastSeen).toLocaleTimeString()}`
        : 'offline';
  }
}

function renderMessages() {
  const list = $('messages');
  const messages = [...open.messages.values()].sort((a, b) => a.seq - b.seq);
  list.replaceChildren(
    ...messages.map(message => {
      const item = document.createElement('li');
      item.className = 'message';
      item.dataset.messageId = message.id;
      item.dataset.mine = String(message.senderId === me);
      const text = document.createElement('span');
      text.className = 'text';
      text.textContent = message.deleted ? 'message deleted' : message.content;
      if (message.deleted) item.classList.add('deleted');
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = `${new Date(message.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}${message.editedAt ? ' · edited' : ''}`;
      const reactions = Object.entries(message.reactions ?? {})
        .map(([emoji, users]) => `${emoji} ${users.length}`)
        .join(' ');
      if (reactions) meta.append(` · ${reactions}`);
      if (message.senderId === me) {
        const mark = document.createElement('span');
        const read = message.seq <= open.peerReadSeq;
        mark.className = 'read-mark';
        mark.dataset.read = String(read);
        mark.textContent = read ? ' ✓✓ read' : ' ✓';
        meta.append(mark);
      }
      item.append(text, meta);
      return item;
    }),
  );
  list.scrollTop = list.scrollHeight;
  $('messages-empty').hidden = messages.length > 0;
  renderPeople();
}

function showError(message) {
  $('chat-error').textContent = message;
  $('chat-error').hidden = false;
  setTimeout(() => ($('chat-error').hidden = true), 5000);
}
