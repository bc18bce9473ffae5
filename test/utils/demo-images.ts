import sharp from 'sharp';

/**
 * Real images for upload tests, drawn here (SVG rendered by sharp) so that no
 * binary fixture is needed: a landscape JPEG, a PNG with transparency, and a
 * JPEG cut short (a valid header, then nothing: it fails to decode).
 */
const PALETTES = [
  {
    top: '#2f6fd6',
    bottom: '#f5b36b',
    sun: '#ffe27a',
    far: '#3b5d46',
    near: '#24402f',
    sunX: 130,
    sunY: 48,
  },
  {
    top: '#3a1f5d',
    bottom: '#f0735a',
    sun: '#ffb347',
    far: '#5b3a55',
    near: '#2d1b33',
    sunX: 60,
    sunY: 80,
  },
  {
    top: '#0b1d3a',
    bottom: '#2a6f8f',
    sun: '#f4f1de',
    far: '#1d3d4f',
    near: '#0f2430',
    sunX: 40,
    sunY: 30,
  },
];

/** A landscape (sky, sun, two mountain ridges); `variant` 0, 1 or 2 picks day, sunset or night. */
export async function landscapeJpeg(
  width = 1800,
  height = 1200,
  variant = 0,
): Promise<Buffer> {
  const p = PALETTES[variant % PALETTES.length];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 180 120" preserveAspectRatio="none">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${p.top}"/><stop offset="1" stop-color="${p.bottom}"/></linearGradient></defs>
    <rect width="180" height="120" fill="url(#sky)"/>
    <circle cx="${p.sunX}" cy="${p.sunY}" r="14" fill="${p.sun}"/>
    <path d="M0 95 L40 55 L70 85 L105 45 L150 90 L180 70 L180 120 L0 120 Z" fill="${p.far}"/>
    <path d="M0 105 L30 90 L60 102 L95 86 L140 104 L180 94 L180 120 L0 120 Z" fill="${p.near}"/>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

export async function badgePng(size = 900): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 90 90">
    <circle cx="45" cy="45" r="40" fill="#d2384b"/>
    <circle cx="45" cy="45" r="28" fill="#fff"/>
    <circle cx="45" cy="45" r="16" fill="#3457d5"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export async function truncatedJpeg(): Promise<Buffer> {
  const whole = await landscapeJpeg(600, 400);
  return whole.subarray(0, Math.floor(whole.length / 3));
}
