// The demo page: sign in with a development token, upload photos, watch each one
// move through the worker's stages live, get notifications, see your other devices.
// Realtime goes through the client SDK's browser bundle (@shared-infra/event-bus-client):
// it reconnects by itself and replays the events missed meanwhile.
/* global document, window, location, navigator, sessionStorage, fetch, crypto, FormData, XMLHttpRequest, setTimeout, clearTimeout, setInterval, clearInterval */
import { connect } from '/vendor/event-bus-client.js';

const STAGES = ['validation', 'resize', 'thumbnail', 'optimize'];
const PHOTO_EVENTS = [
  'photo.processing.started',
  'photo.processing.progress',
  'photo.processing.completed',
  'photo.processing.failed',
];
const SESSION_KEY = 'event-bus-demo.session';
const DEVICE_KEY = 'event-bus-demo.client-id';
const FINAL = new Set(['completed', 'failed', 'rejected', 'deleted']);

const $ = id => document.getElementById(id);

/** @type {{ userId: string, token: string, expiresAt: number } | undefined} */
let session;
/** @type {ReturnType<typeof connect> | undefined} */
let client;
/** photoId (or a local id while uploading) → photo state */
const photos = new Map();
const seenEvents = new Set();
/** Photos deleted while this page was open: events still on their way about them are dropped. */
const deletedPhotos = new Set();
let notificationCount = 0;
let devicesTimer;
let devicesPoll;
let localIds = 0;

$('origin').textContent = location.host;

// ------------------------------------------------------------------ sign in

$('signin-form').addEventListener('submit', async event => {
  event.preventDefault();
  const userId = $('user-id').value.trim();
  $('signin-button').disabled = true;
  try {
    await signIn(userId);
  } catch (error) {
    showSignInError(error.message);
  } finally {
    $('signin-button').disabled = false;
  }
});

$('signout').addEventListener('click', () => {
  sessionStorage.removeItem(SESSION_KEY);
  location.reload();
});

async function issueToken(userId) {
  const response = await fetch('/auth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok)
    throw new Error(messageOf(body, `sign-in failed (${response.status})`));
  return {
    userId,
    token: body.token,
    expiresAt: Date.now() + body.expiresIn * 1000,
  };
}

async function signIn(userId) {
  session = await issueToken(userId);
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  start();
}

/** The token for the next request or connection, renewed a minute before it expires. */
async function freshToken() {
  if (session.expiresAt - Date.now() < 60_000) {
    session = await issueToken(session.userId);
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  }
  return session.token;
}

function showSignInError(message) {
  $('signin-error').textContent = message;
  $('signin-error').hidden = false;
}

/** This browser tab's device id, kept across reloads of the tab. */
function deviceId() {
  let id = sessionStorage.getItem(DEVICE_KEY);
  if (!id) {
    const ua = navigator.userAgent;
    const browser = /Firefox\//.test(ua)
      ? 'firefox'
      : /Edg\//.test(ua)
        ? 'edge'
        : /Chrom(e|ium)\//.test(ua)
          ? 'chrome'
          : /Safari\//.test(ua)
            ? 'safari'
            : 'browser';
    const os = /Android/.test(ua)
      ? 'android'
      : /iPhone|iPad/.test(ua)
        ? 'ios'
        : /Mac OS/.test(ua)
          ? 'mac'
          : /Windows/.test(ua)
            ? 'windows'
            : /Linux/.test(ua)
              ? 'linux'
              : 'web';
    const random = Array.from(crypto.getRandomValues(new Uint8Array(3)), b =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    id = `${browser}-${os}-${random}`;
    sessionStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

// ------------------------------------------------------------------ realtime

function start() {
  $('signin').hidden = true;
  $('app').hidden = false;
  $('connection').hidden = false;
  $('who').textContent = session.userId;
  const clientId = deviceId();
  $('this-device').textContent = clientId;

  client = connect({
    url: location.origin,
    clientId,
    getToken: freshToken,
    // The gateway could not replay what this page missed in a room: ask the server for the state instead.
    onRecoveryFailed: room => {
      logLine('recovery', room, 'missed events not replayable: refetching');
      if (room.startsWith('photo:'))
        void refetchPhoto(room.slice('photo:'.length));
      else void loadPhotos();
    },
    onError: error => logLine('error', '', error.message),
  });

  // The chat panel (chat.js) shares this connection.
  window.dispatchEvent(
    new window.CustomEvent('demo:client', {
      detail: { client, userId: session.userId },
    }),
  );

  client.state.subscribe(state => {
    const pill = $('state');
    pill.dataset.state = state;
    pill.textContent =
      state === 'disconnected' ? 'disconnected · reconnecting' : state;
    if (state === 'connected') {
      const identity = client.identity;
      $('instance').textContent = identity
        ? `instance ${identity.instanceId.slice(0, 8)}`
        : '';
      scheduleDevices(0);
    }
  });

  for (const type of PHOTO_EVENTS) client.on(type, applyPhotoEvent);
  client.on('photo.deleted', onPhotoDeleted);
  client.on('photo.upload.failed', onUploadFailed);
  client.on('notification.new', onNotification);
  client.on('device.connected', () => scheduleDevices(150));
  client.on('device.disconnected', () => scheduleDevices(150));

  // Sockets of an instance that died are cleaned up by another one a few seconds later: poll too.
  devicesPoll = setInterval(() => scheduleDevices(0), 20_000);

  client.ready().then(
    () => loadPhotos(),
    error => {
      logLine('error', '', error.message);
      if (/unauthorized|token/i.test(error.message)) {
        sessionStorage.removeItem(SESSION_KEY);
        showSignInError(
          `The gateway refused the token (${error.message}). Sign in again.`,
        );
        $('signin').hidden = false;
      }
    },
  );
}

/** Every photo event, from the photo's room or the owner's room (each outcome comes through both). */
function applyPhotoEvent(event) {
  if (!remember(event)) return;
  logLine(event.type, event.room, shortId(event.id));
  const data = event.data;
  if (deletedPhotos.has(data.photoId)) return;
  const photo =
    photos.get(data.photoId) ??
    addPhoto(
      { photoId: data.photoId, filename: '', status: 'uploaded', progress: 0 },
      true,
    );
  if (photo.status === 'completed') return render(photo);
  const newJob = data.jobId && photo.jobId && data.jobId !== photo.jobId;
  switch (event.type) {
    case 'photo.processing.started':
      if (newJob || !photo.jobId) {
        photo.jobId = data.jobId;
        if (newJob)
          Object.assign(photo, {
            progress: 0,
            stage: undefined,
            step: undefined,
            error: undefined,
          });
        photo.status = 'processing';
      }
      break;
    case 'photo.processing.progress':
      if (photo.status === 'failed' && !newJob) break;
      if (newJob)
        Object.assign(photo, {
          jobId: data.jobId,
          progress: 0,
          error: undefined,
        });
      photo.jobId ??= data.jobId;
      photo.status = 'processing';
      if (data.progress >= photo.progress)
        Object.assign(photo, {
          progress: data.progress,
          stage: data.stage,
          step: data.currentStep,
        });
      break;
    case 'photo.processing.completed':
      Object.assign(photo, {
        status: 'completed',
        progress: 100,
        jobId: data.jobId,
        thumbnails: data.thumbnails,
        duration: data.duration,
        error: undefined,
      });
      break;
    case 'photo.processing.failed':
      Object.assign(photo, {
        status: 'failed',
        jobId: data.jobId,
        error: data.error.message + (data.retryable ? ' (retrying)' : ''),
      });
      break;
  }
  render(photo);
  watch(photo);
}

/** A photo deleted here or on another device (`photo.deleted` to the owner's room). */
function onPhotoDeleted(event) {
  if (!remember(event)) return;
  logLine(event.type, event.room, shortId(event.id));
  removePhoto(event.data.photoId);
}

/** An upload the server accepted and then could not keep (`photo.upload.failed`). */
function onUploadFailed(event) {
  if (!remember(event)) return;
  logLine(event.type, event.room, shortId(event.id));
  const photo = event.data.photoId ? photos.get(event.data.photoId) : undefined;
  // The worker's photo.processing.failed, when it comes too, says the same in more detail.
  if (!photo || photo.status === 'failed') return;
  Object.assign(photo, { status: 'failed', error: event.data.error });
  render(photo);
  watch(photo);
}

function removePhoto(photoId) {
  deletedPhotos.add(photoId);
  const photo = photos.get(photoId);
  if (!photo) return;
  photo.status = 'deleted';
  watch(photo);
  photo.element.remove();
  photos.delete(photoId);
  $('photos-empty').hidden = photos.size > 0;
}

async function deletePhoto(photoId) {
  try {
    await api(`/photos/${encodeURIComponent(photoId)}`, { method: 'DELETE' });
    removePhoto(photoId);
  } catch (error) {
    logLine('error', '', `could not delete the photo: ${error.message}`);
  }
}

/** False for an event this page has handled already (replays can repeat what arrived live). */
function remember(event) {
  if (seenEvents.has(event.id)) return false;
  seenEvents.add(event.id);
  if (seenEvents.size > 5000)
    seenEvents.delete(seenEvents.values().next().value);
  return true;
}

/** Watches a photo's own room while it is being processed (the owner's room carries the same news). */
function watch(photo) {
  if (!client || photo.photoId.startsWith('local-')) return;
  if (FINAL.has(photo.status)) {
    if (photo.subscription) {
      const subscription = photo.subscription;
      photo.subscription = undefined;
      subscription.then(s => s?.unsubscribe()).catch(() => undefined);
    }
    return;
  }
  if (photo.subscription) return;
  photo.subscription = client
    .subscribe(`photo:${photo.photoId}`, applyPhotoEvent)
    .catch(error => {
      logLine('subscribe refused', `photo:${photo.photoId}`, error.message);
      return undefined;
    });
}

function onNotification(event) {
  if (!remember(event)) return;
  logLine(event.type, event.room, shortId(event.id));
  const data = event.data;
  const item = document.createElement('li');
  if (data.severity === 'error') item.className = 'error';
  item.dataset.photoId = data.photoId ?? '';
  const time = document.createElement('time');
  time.textContent = new Date(data.timestamp).toLocaleTimeString();
  const title = document.createElement('div');
  title.className = 'title';
  title.textContent = data.title;
  const message = document.createElement('div');
  const photo = data.photoId ? photos.get(data.photoId) : undefined;
  message.textContent = photo?.filename
    ? `${photo.filename}: ${data.message}`
    : data.message;
  item.append(time, title, message);
  $('notifications').prepend(item);
  while ($('notifications').children.length > 20)
    $('notifications').lastElementChild.remove();
  $('notification-count').textContent = String(++notificationCount);
  $('notifications-empty').hidden = true;
}

// ------------------------------------------------------------------ HTTP

async function api(path, init = {}) {
  const response = await fetch(path, {
    ...init,
    headers: { ...init.headers, authorization: `Bearer ${await freshToken()}` },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok)
    throw new Error(messageOf(body, `${path}: ${response.status}`));
  return body;
}

/** The user's photos as the server has them: on start and when a replay was not possible. */
async function loadPhotos() {
  try {
    const { photos: records } = await api('/photos?limit=50');
    for (const record of records.reverse()) mergeRecord(record);
  } catch (error) {
    logLine('error', '', `could not load photos: ${error.message}`);
  }
}

async function refetchPhoto(photoId) {
  try {
    mergeRecord(await api(`/photos/${photoId}`));
  } catch (error) {
    logLine('error', '', error.message);
  }
}

function mergeRecord(record) {
  const photo =
    photos.get(record.photoId) ??
    addPhoto({
      photoId: record.photoId,
      filename: record.filename,
      status: 'uploaded',
      progress: 0,
    });
  photo.filename = record.filename;
  if (photo.status !== 'completed') {
    if (record.status === 'completed') {
      Object.assign(photo, {
        status: 'completed',
        progress: 100,
        jobId: record.jobId,
        thumbnails: record.thumbnails,
        error: undefined,
      });
    } else if (record.status === 'failed') {
      // A failure of the job this page watches (or of one it did not know); a newer job's events win.
      if (
        photo.status !== 'processing' ||
        !photo.jobId ||
        record.jobId === photo.jobId
      ) {
        Object.assign(photo, {
          status: 'failed',
          jobId: record.jobId,
          stage: record.stage,
          error: record.error?.message,
        });
      }
    } else if (
      record.status === 'processing' &&
      (photo.status === 'uploaded' || photo.status === 'processing')
    ) {
      photo.status = 'processing';
      photo.jobId ??= record.jobId;
      if (record.progress >= photo.progress)
        Object.assign(photo, {
          progress: record.progress,
          stage: record.stage,
        });
    }
  }
  render(photo);
  watch(photo);
}

/** Uploads one file (XMLHttpRequest: fetch has no upload progress). */
async function upload(file) {
  const photo = addPhoto({
    photoId: `local-${++localIds}`,
    filename: file.name,
    status: 'uploading',
    progress: 0,
  });
  render(photo);
  const token = await freshToken();
  const form = new FormData();
  form.append('photo', file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/photos');
  xhr.setRequestHeader('authorization', `Bearer ${token}`);
  xhr.upload.onprogress = e => {
    if (!e.lengthComputable) return;
    photo.step = `uploading ${Math.round((e.loaded / e.total) * 100)}%`;
    render(photo);
  };
  xhr.onerror = () => {
    Object.assign(photo, {
      status: 'rejected',
      error: 'The upload failed: the server could not be reached.',
    });
    render(photo);
  };
  xhr.onload = () => {
    let body = {};
    try {
      body = JSON.parse(xhr.responseText);
    } catch {
      // not JSON
    }
    if (xhr.status !== 202) {
      Object.assign(photo, {
        status: 'rejected',
        error: messageOf(body, `The upload failed (${xhr.status}).`),
      });
      render(photo);
      return;
    }
    settleUpload(photo, body.photoId);
  };
  xhr.send(form);
}

/** The upload's card takes the photo's id; events may have created a card for it meanwhile. */
function settleUpload(local, photoId) {
  photos.delete(local.photoId);
  const early = photos.get(photoId);
  if (early) {
    early.filename = local.filename;
    local.element.remove();
    render(early);
    watch(early);
    return;
  }
  local.photoId = photoId;
  local.status = 'uploaded';
  local.step = 'queued';
  local.element.dataset.photoId = photoId;
  photos.set(photoId, local);
  render(local);
  watch(local);
}

// ------------------------------------------------------------------ devices

function scheduleDevices(delayMs) {
  clearTimeout(devicesTimer);
  devicesTimer = setTimeout(() => void loadDevices(), delayMs);
}

async function loadDevices() {
  if (!client?.identity) return;
  try {
    const { devices } = await api('/devices');
    const own = client.identity.clientId;
    const others = devices.filter(device => device.clientId !== own);
    const list = $('devices');
    list.replaceChildren(
      ...others.map(device => {
        const item = document.createElement('li');
        item.dataset.clientId = device.clientId;
        const [browser, os] = device.clientId.split('-');
        item.textContent = `${browser ?? 'device'}${os ? ` on ${os}` : ''}`;
        const id = document.createElement('code');
        id.textContent = device.clientId;
        item.append(' ', id);
        return item;
      }),
    );
    $('devices-empty').hidden = others.length > 0;
  } catch (error) {
    logLine('error', '', `devices: ${error.message}`);
  }
}

// ------------------------------------------------------------------ rendering

function addPhoto(photo, needsDetails = false) {
  const element = document.createElement('li');
  element.className = 'photo';
  element.dataset.photoId = photo.photoId;
  element.innerHTML = `
    <div class="thumb">…</div>
    <div class="body">
      <div class="name"></div>
      <div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"><span></span></div>
      <div class="stages">${STAGES.map(stage => `<span data-stage="${stage}">${stage}</span>`).join('')}</div>
      <div class="status"></div>
    </div>
    <button type="button" class="delete" title="Delete this photo" aria-label="Delete this photo">✕</button>`;
  element.querySelector('.delete').addEventListener('click', () => {
    if (!photo.photoId.startsWith('local-')) void deletePhoto(photo.photoId);
  });
  photo.element = element;
  photos.set(photo.photoId, photo);
  $('photos').prepend(element);
  $('photos-empty').hidden = true;
  // Heard of through an event before this page knew the photo (uploaded from another device).
  if (needsDetails) void refetchPhoto(photo.photoId);
  return photo;
}

function render(photo) {
  const element = photo.element;
  element.dataset.status = photo.status;
  element.querySelector('.name').textContent = photo.filename || 'photo';
  const bar = element.querySelector('.bar');
  bar.dataset.progress = String(photo.progress);
  bar.setAttribute('aria-valuenow', String(photo.progress));
  const full =
    photo.status === 'uploading' ||
    photo.status === 'failed' ||
    photo.status === 'rejected';
  bar.firstElementChild.style.width = `${full ? 100 : photo.progress}%`;
  const doneStages = Math.round((photo.progress / 100) * STAGES.length);
  element.querySelectorAll('.stages span').forEach((span, index) => {
    span.className =
      index < doneStages
        ? 'done'
        : index === doneStages && photo.status === 'processing'
          ? 'current'
          : '';
  });
  element.querySelector('.status').textContent = statusText(photo);
  const thumbnail = photo.thumbnails?.find(t => t.size === 'small');
  const thumb = element.querySelector('.thumb');
  if (thumbnail && !thumb.querySelector('img')) {
    const img = document.createElement('img');
    img.alt = photo.filename;
    img.src = thumbnail.url;
    thumb.replaceChildren(img);
  } else if (!thumbnail && !thumb.querySelector('img')) {
    thumb.textContent =
      photo.status === 'failed' || photo.status === 'rejected'
        ? '✕'
        : `${photo.progress}%`;
  }
}

function statusText(photo) {
  switch (photo.status) {
    case 'uploading':
      return photo.step ?? 'uploading…';
    case 'uploaded':
      return 'queued for processing';
    case 'processing':
      return photo.stage
        ? `${photo.progress}% · ${photo.stage}${photo.step ? `: ${photo.step}` : ''}`
        : 'processing started';
    case 'completed':
      return `done${photo.duration ? ` in ${(photo.duration / 1000).toFixed(1)} s` : ''}${photo.step ? ` · ${photo.step}` : ''}`;
    case 'failed':
      return `failed: ${photo.error ?? 'unknown error'}`;
    case 'rejected':
      return photo.error ?? 'rejected';
  }
  return '';
}

function logLine(type, room, detail) {
  const item = document.createElement('li');
  const bold = document.createElement('b');
  bold.textContent = type;
  item.append(
    `${new Date().toLocaleTimeString()} `,
    bold,
    ` ${room ?? ''} ${detail ?? ''}`,
  );
  $('events').prepend(item);
  while ($('events').children.length > 40)
    $('events').lastElementChild.remove();
}

function shortId(id) {
  return `#${id.slice(-6)}`;
}

function messageOf(body, fallback) {
  const message = body?.message;
  return Array.isArray(message)
    ? message.join('; ')
    : typeof message === 'string'
      ? message
      : fallback;
}

// ------------------------------------------------------------------ files in

$('file-input').addEventListener('change', event => {
  for (const file of event.target.files) void upload(file);
  event.target.value = '';
});

const dropzone = $('dropzone');
dropzone.addEventListener('dragover', event => {
  event.preventDefault();
  dropzone.classList.add('over');
});
dropzone.addEventListener('dragleave', () => dropzone.classList.remove('over'));
dropzone.addEventListener('drop', event => {
  event.preventDefault();
  dropzone.classList.remove('over');
  for (const file of event.dataTransfer.files) void upload(file);
});

window.addEventListener('beforeunload', () => {
  clearInterval(devicesPoll);
  client?.close();
});

// A tab that was signed in stays signed in across reloads.
const saved = sessionStorage.getItem(SESSION_KEY);
if (saved) {
  try {
    session = JSON.parse(saved);
    start();
  } catch {
    sessionStorage.removeItem(SESSION_KEY);
  }
}
