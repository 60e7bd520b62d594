// Headless Chromium for the HTML report tests: one run per call with its own profile directory and
// process group (killed at the end, or after a timeout), and a PNG decoder to count colours in its
// screenshots. Callers skip with needChromium() first.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { which } from './needs.js';

// Found on PATH, like tshark: a PATH without it (scripts/bare-machine-test.sh) is a machine without it.
const chromium = which('chromium') ?? 'chromium';

/** Run Chromium headless on `url` with extra flags (profile under `dir`); stdout, killed (whole group) after `ms`. */
export function runChromium(dir: string, extra: string[], url: string, ms = 25_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const profile = mkdtempSync(join(dir, 'profile-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...extra, url];
  return new Promise((resolve, reject) => {
    const p = spawn(chromium, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killGroup = (): void => {
      try { if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL'); } catch { /* already gone */ }
    };
    const timer = setTimeout(() => { killGroup(); reject(new Error(`chromium timed out after ${ms} ms: ${stderr.slice(-500)}`)); }, ms);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code) => { clearTimeout(timer); killGroup(); resolve({ code, stdout, stderr }); });
  });
}

/** Decode an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) to RGB triples. */
export function decodePng(buf: Buffer): { width: number; height: number; rgb: Uint8Array } {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8, width = 0, height = 0, bpp = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString('latin1', off + 4, off + 8), body = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0); height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[12] !== 0 || (body[9] !== 2 && body[9] !== 6)) throw new Error(`unsupported PNG (depth ${body[8]}, colour ${body[9]})`);
      bpp = body[9] === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(body);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp, px = new Uint8Array(stride * height), rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], src = y * (stride + 1) + 1;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? px[y * stride + i - bpp] : 0, b = y > 0 ? px[(y - 1) * stride + i] : 0, c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp] : 0;
      let pred = 0;
      if (f === 1) pred = a; else if (f === 2) pred = b; else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c); pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      px[y * stride + i] = (raw[src + i] + pred) & 0xff;
    }
  }
  for (let p = 0; p < width * height; p++) for (let k = 0; k < 3; k++) rgb[p * 3 + k] = px[p * bpp + k];
  return { width, height, rgb };
}

export function countColour(img: { rgb: Uint8Array }, [r, g, b]: [number, number, number], tol = 8): number {
  let n = 0;
  for (let i = 0; i < img.rgb.length; i += 3) if (Math.abs(img.rgb[i] - r) <= tol && Math.abs(img.rgb[i + 1] - g) <= tol && Math.abs(img.rgb[i + 2] - b) <= tol) n++;
  return n;
}
