/** The image types the demo accepts, by what their first bytes say. */
export type ImageMimeType =
  'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

export const ACCEPTED_TYPES: readonly ImageMimeType[] = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
];

export const EXTENSIONS: Record<ImageMimeType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(
  bytes: Uint8Array,
  signature: number[],
  offset = 0,
): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, index) => bytes[offset + index] === byte);
}

function ascii(text: string): number[] {
  return [...text].map(char => char.charCodeAt(0));
}

/**
 * The image type of `bytes` from their magic numbers (never from the file
 * name or the client's Content-Type), or undefined when they are none of the
 * accepted types. A file that starts right but is broken further on passes
 * here and fails in the worker, where it is decoded.
 */
export function sniffImageType(bytes: Uint8Array): ImageMimeType | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, PNG_SIGNATURE)) return 'image/png';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a')))
    return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8))
    return 'image/webp';
  return undefined;
}

/** A short human name of what the bytes look like, for error messages. */
export function describeContent(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty file';
  const head = Buffer.from(bytes.subarray(0, 16));
  const text = head.toString('latin1');
  if (text.startsWith('%PDF')) return 'a PDF document';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]))
    return 'a ZIP archive (or an Office document)';
  if (/^\s*</.test(text)) return 'text that looks like HTML, XML or SVG';
  if (startsWith(bytes, ascii('BM'))) return 'a BMP image';
  if (
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])
  )
    return 'a TIFF image';
  if (startsWith(bytes, ascii('ftyp'), 4))
    return 'an ISO media file (HEIC, AVIF or a video)';
  return `content starting with bytes ${head.subarray(0, 8).toString('hex').replace(/(..)/g, '$1 ').trim()}`;
}
