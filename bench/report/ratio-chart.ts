/**
 * Charts of DittoFS / ganesha ratios on a log2 scale centred on 1.0 (equal
 * speed): a bar to the right means DittoFS is faster, to the left slower, and
 * 2× faster is as long as 2× slower. As SVG (for docs) and as text (for the
 * terminal and for Markdown viewers that do not show images).
 */
import type { Row } from './summary.js';

const MIN_LOG = -5; // 1/32
const MAX_LOG = 3; // 8

function clampLog(r: number): number {
  return Math.max(MIN_LOG, Math.min(MAX_LOG, Math.log2(r)));
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function fmtRatio(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '–';
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
}

export function ratioSvg(rows: readonly Row[], title: string): string {
  const labelW = 190;
  const plotW = 480;
  const rowH = 30;
  const top = 46;
  const width = labelW + plotW + 70;
  const height = top + rows.length * rowH + 40;
  const x = (log: number) => labelW + ((log - MIN_LOG) / (MAX_LOG - MIN_LOG)) * plotW;
  const x1 = x(0);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${labelW}" y="26" width="10" height="10" fill="#2f6db5"/><text x="${labelW + 14}" y="35">DittoFS fs blocks (local-durable)</text>`,
    `<rect x="${labelW + 230}" y="26" width="10" height="10" fill="#9dbbe0"/><text x="${labelW + 244}" y="35">DittoFS memory blocks</text>`,
  );
  for (let l = MIN_LOG; l <= MAX_LOG; l++) {
    const gx = x(l);
    const label = l >= 0 ? `${2 ** l}×` : `1/${2 ** -l}`;
    out.push(
      `<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${top + rows.length * rowH}" stroke="${l === 0 ? '#000' : '#ddd'}"/>`,
      `<text x="${gx}" y="${top + rows.length * rowH + 14}" text-anchor="middle" fill="#555">${label}</text>`,
    );
  }
  out.push(
    `<text x="${labelW + plotW / 2}" y="${height - 6}" text-anchor="middle" fill="#555">DittoFS / ganesha (log scale; right of the black line = DittoFS faster)</text>`,
  );
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${labelW - 6}" y="${y + 18}" text-anchor="end">${esc(row.metric)}</text>`);
    const bars: [number | null, string, number][] = [
      [row.ratio, '#2f6db5', 4],
      [row.ratioWriteback, '#9dbbe0', 16],
    ];
    for (const [r, color, dy] of bars) {
      if (r === null || !Number.isFinite(r) || r <= 0) continue;
      const bx = x(clampLog(r));
      out.push(
        `<rect x="${Math.min(x1, bx)}" y="${y + dy}" width="${Math.max(1, Math.abs(bx - x1))}" height="10" fill="${color}"/>`,
        `<text x="${labelW + plotW + 6}" y="${y + dy + 9}" font-size="10">${fmtRatio(r)}</text>`,
      );
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** One line per metric: a bar from the 1.0 mark (`|`), left = slower, right = faster. */
export function ratioText(rows: readonly Row[]): string {
  const cols = 40;
  const at = (log: number) => Math.round(((log - MIN_LOG) / (MAX_LOG - MIN_LOG)) * cols);
  const one = at(0);
  const lines = [`${''.padEnd(14)}${'1/32'.padEnd(one - 2)}1×${''.padEnd(cols - one - 3)}8×`];
  for (const row of rows) {
    const cells: string[] = Array.from({ length: cols + 1 }, (_, i) => (i === one ? '|' : ' '));
    if (row.ratio !== null && row.ratio > 0) {
      const p = at(clampLog(row.ratio));
      for (let i = Math.min(p, one); i <= Math.max(p, one); i++) if (i !== one) cells[i] = '█';
    }
    lines.push(
      `${row.metric.padEnd(14)}${cells.join('')} ${fmtRatio(row.ratio)} (memory blocks ${fmtRatio(row.ratioWriteback)})`,
    );
  }
  return lines.join('\n');
}
