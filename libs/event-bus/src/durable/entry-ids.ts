/**
 * Orders stream entry ids (`<ms>-<seq>`) as Redis does: by time, then sequence. Compared as
 * strings, `…-10` would come before `…-9`.
 */
export function compareEntryIds(a: string, b: string): number {
  const [aMs, aSeq = '0'] = a.split('-');
  const [bMs, bSeq = '0'] = b.split('-');
  return Number(aMs) - Number(bMs) || Number(aSeq) - Number(bSeq);
}
