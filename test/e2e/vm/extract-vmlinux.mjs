#!/usr/bin/env node
// Usage: extract-vmlinux.mjs /boot/vmlinuz-VERSION OUT
//
// Writes the uncompressed ELF kernel found inside a Debian bzImage. qemu boots
// an ELF vmlinux through its PVH entry point, skipping the real-mode setup and
// the in-guest decompression: about 3 s less per boot under TCG.
//
// Debian compresses the payload with xz. The bzImage contains the xz magic
// more than once (the decompressor's own tables can match), so every match is
// tried until one decompresses to an ELF image. `xz --single-stream` stops at
// the end of the first stream and ignores the size trailer that follows it.
import { spawn } from 'node:child_process';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

function xzDecompress(input, outPath) {
  return new Promise((resolve) => {
    const child = spawn('xz', ['--decompress', '--stdout', '--single-stream'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.on('error', () => resolve(false));
    child.on('close', async (code) => {
      const out = Buffer.concat(chunks);
      if (code !== 0 || out.length < 1024 * 1024 || !out.subarray(0, 4).equals(ELF_MAGIC)) {
        resolve(false);
        return;
      }
      await writeFile(outPath, out);
      resolve(true);
    });
    // EPIPE when xz gives up early on a false match is expected.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
  console.error('usage: extract-vmlinux.mjs /boot/vmlinuz-VERSION OUT');
  process.exit(2);
}
const image = await readFile(src);
const tmp = `${dst}.tmp-${process.pid}`;
for (let pos = image.indexOf(XZ_MAGIC); pos >= 0; pos = image.indexOf(XZ_MAGIC, pos + 1)) {
  if (await xzDecompress(image.subarray(pos), tmp)) {
    await rename(tmp, dst);
    console.error(`extract-vmlinux: ${dst} from the xz payload at offset ${pos} of ${src}`);
    process.exit(0);
  }
}
await rm(tmp, { force: true });
console.error(`extract-vmlinux: no xz-compressed ELF payload in ${src}`);
process.exit(1);
