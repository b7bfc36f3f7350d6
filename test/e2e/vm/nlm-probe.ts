// A second NLM client for the kernel-nlm suite, run inside the test's network
// namespace (`ip netns exec NS node --import tsx nlm-probe.ts ...`) where the
// server listens: it finds a file's handle through MOUNT and LOOKUP, then
// sends one NLM4 TEST or LOCK (as host "probe"), or an SM_NOTIFY as if a host
// had rebooted. Prints one JSON line: { status } (the nlm4_stats number) or { ok }.
//
//   nlm-probe.ts lock|test PORT EXPORT NAME OFFSET LENGTH
//   nlm-probe.ts unlock PORT EXPORT NAME OFFSET LENGTH
//   nlm-probe.ts notify PORT MON_NAME STATE
import { RpcClient, type RpcReply } from '../../../src/protocols/rpc/client.js';
import { AcceptStat } from '../../../src/protocols/rpc/types.js';
import { XdrWriter } from '../../../src/protocols/xdr/writer.js';
import type { XdrReader } from '../../../src/protocols/xdr/reader.js';
import { encodeLockArgs, encodeTestArgs, encodeUnlockArgs } from '../../../src/protocols/nlm/codec/encode.js';
import { decodeRes, decodeTestRes } from '../../../src/protocols/nlm/codec/decode.js';
import { encodeStatChange } from '../../../src/protocols/nsm/codec.js';

const NFS = 100003;
const MOUNT = 100005;
const NLM = 100021;
const NSM = 100024;
const ROOT_CRED = { stamp: 1, machineName: 'probe', uid: 0, gid: 0, gids: [] };

function ok(r: RpcReply): XdrReader {
  if (r.kind !== 'accepted' || r.acceptStat !== AcceptStat.SUCCESS) throw new Error(`RPC failed: ${JSON.stringify(r)}`);
  return r.body;
}

async function fileHandle(c: RpcClient, exportPath: string, name: string): Promise<Buffer> {
  const mnt = ok(await c.call(MOUNT, 3, 1, new XdrWriter().string(exportPath).toBuffer(), { cred: ROOT_CRED }));
  if (mnt.uint32() !== 0) throw new Error(`MNT ${exportPath} failed`);
  const root = Buffer.from(mnt.opaque(64));
  const look = ok(await c.call(NFS, 3, 3, new XdrWriter().opaque(root).string(name).toBuffer(), { cred: ROOT_CRED }));
  const st = look.uint32();
  if (st !== 0) throw new Error(`LOOKUP ${name}: nfsstat3 ${st}`);
  return Buffer.from(look.opaque(64));
}

async function main(): Promise<void> {
  const [cmd, portArg, ...rest] = process.argv.slice(2);
  const c = await RpcClient.connect('127.0.0.1', Number(portArg), { timeoutMs: 10_000 });
  try {
    if (cmd === 'notify') {
      const w = new XdrWriter();
      encodeStatChange(w, { monName: rest[0]!, state: Number(rest[1]) });
      ok(await c.call(NSM, 1, 6, w.toBuffer()));
      console.log(JSON.stringify({ ok: true }));
      return;
    }
    const [exportPath, name, offset, length] = rest;
    const fh = await fileHandle(c, exportPath!, name!);
    const lock = {
      callerName: 'probe',
      fh,
      oh: Buffer.from('probe-owner'),
      svid: 4242,
      offset: BigInt(offset!),
      length: BigInt(length!),
    };
    const cookie = Buffer.from('probe');
    const w = new XdrWriter();
    let status: number;
    if (cmd === 'test') {
      encodeTestArgs(w, 4, { cookie, exclusive: true, lock });
      status = decodeTestRes(ok(await c.call(NLM, 4, 1, w.toBuffer())), 4).stat;
    } else if (cmd === 'lock') {
      encodeLockArgs(w, 4, { cookie, block: false, exclusive: true, lock, reclaim: false, state: 1 });
      status = decodeRes(ok(await c.call(NLM, 4, 22, w.toBuffer()))).stat; // NM_LOCK: no NSM monitoring of "probe"
    } else if (cmd === 'unlock') {
      encodeUnlockArgs(w, 4, { cookie, lock });
      status = decodeRes(ok(await c.call(NLM, 4, 4, w.toBuffer()))).stat;
    } else {
      throw new Error(`unknown command ${cmd}`);
    }
    console.log(JSON.stringify({ status }));
  } finally {
    await c.close();
  }
}

main().catch((e: unknown) => {
  console.log(JSON.stringify({ error: (e as Error).message }));
  process.exitCode = 1;
});
