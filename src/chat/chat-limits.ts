/** Direct chats a user may start per UTC day unless `CHAT_NEW_CHATS_PER_DAY` says otherwise. */
export const DEFAULT_NEW_CHATS_PER_DAY = 100;

/**
 * How many direct chats one user may start (send the first message of) per
 * UTC day: every chat is stored for good and put in both members' lists, so
 * one token must not make unbounded ones. `CHAT_NEW_CHATS_PER_DAY`, a whole
 * number >= 1; anything else stops the start with the variable's name.
 */
export function newChatsPerDayFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): number {
  const raw = env.CHAT_NEW_CHATS_PER_DAY?.trim();
  if (!raw) return DEFAULT_NEW_CHATS_PER_DAY;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new Error(
      `CHAT_NEW_CHATS_PER_DAY is ${JSON.stringify(raw)}: give a whole number >= 1, e.g. ${DEFAULT_NEW_CHATS_PER_DAY}.`,
    );
  return Number(raw);
}

/** The UTC day of `at`, the key of a day's count of new chats. */
export const utcDay = (at: number): string =>
  new Date(at).toISOString().slice(0, 10);
