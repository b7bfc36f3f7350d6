/**
 * The NLM program (100021, versions 1, 3 and 4; XNFS chapters 10 and 14)
 * over the unified lock manager. Synchronous procedures reply with their
 * result; the asynchronous _MSG procedures reply void and send the result
 * as the matching _RES *call* to the client's NLM (found through its
 * portmapper); incoming _RES calls are accepted and otherwise ignored.
 */
import type { LockManager } from '../../core/locks/api.js';
import type { ShareAuthorizer, ShareRegistry } from '../../core/share.js';
import { silentLogger, type Logger } from '../../observability/logger.js';
import { PortmapRemoteCaller, type RemoteCaller } from '../portmap/remote-call.js';
import type { RpcCall, RpcOutcome, RpcProgram } from '../rpc/types.js';
import type { XdrReader } from '../xdr/reader.js';
import { XdrWriter } from '../xdr/writer.js';
import { NLM_PROGRAM, NLM_V1, NLM_V4, NlmProc } from './constants.js';
import {
  decodeCancelArgs,
  decodeLockArgs,
  decodeNotifyArgs,
  decodeRes,
  decodeShareArgs,
  decodeTestArgs,
  decodeTestRes,
  decodeUnlockArgs,
} from './codec/decode.js';
import { encodeRes, encodeShareRes, encodeTestRes } from './codec/encode.js';
import type { NlmRes, NlmTestRes } from './codec/types.js';
import { NlmContext, type MonitoredClient } from './context.js';
import { cancelOp } from './procedures/cancel.js';
import { freeAllOp, releaseHost } from './procedures/free-all.js';
import { grantedOp } from './procedures/granted.js';
import { lockOp } from './procedures/lock.js';
import { shareOp, unshareOp } from './procedures/share.js';
import { testOp } from './procedures/test.js';
import { unlockOp } from './procedures/unlock.js';

export interface NlmProgramOptions {
  shares: ShareRegistry;
  /** The lock manager of a share (undefined: the share has none → DENIED_NOLOCKS). */
  locks: (shareId: number) => LockManager | undefined;
  logger?: Logger;
  /** Outgoing calls (NLM_GRANTED, _RES messages); default: through the peer's portmapper on port 111. */
  callbackClient?: RemoteCaller;
  /**
   * Told about every host that takes monitored state (LOCK, LOCK_MSG, SHARE;
   * not NM_LOCK), so NSM can notify it after a restart (NsmService.monitorPeer).
   */
  monitor?: (client: MonitoredClient) => void;
  /** caller_name in NLM_GRANTED callbacks; default os.hostname(). */
  serverName?: string;
  /** Waits between GRANTED callback retries before the lock is given back; default 1, 3, 10 s. */
  grantRetryDelaysMs?: readonly number[];
  /**
   * Share permissions, asked on every request that names a file (as MOUNT
   * and NFS ask them). Absent: every caller may lock. The Runtime folds the
   * export's client-network and port rules into it.
   */
  authorize?: ShareAuthorizer;
}

export interface NlmProgram extends RpcProgram {
  /** Drop everything a host held (its NSM reboot notification); same as FREE_ALL. */
  releaseHost(name: string): Promise<void>;
  /** Blocked requests waiting for a grant (metrics, tests). */
  readonly blockedCount: number;
}

type Handler = (ctx: NlmContext, call: RpcCall, args: XdrReader, reply: XdrWriter) => Promise<RpcOutcome>;

/** Send a _MSG procedure's result as the matching _RES call; failures are only logged (the client retries). */
function sendResult(ctx: NlmContext, call: RpcCall, proc: NlmProc, encode: (w: XdrWriter) => void): void {
  const w = new XdrWriter(128);
  encode(w);
  const target = { address: call.peer.address, transport: call.peer.transport };
  ctx.caller.call(target, NLM_PROGRAM, call.vers, proc, w.toBuffer()).catch((e: Error) => {
    ctx.logger.warn(
      { op: NlmProc[proc], client: call.peer.address, err: e.message },
      'nlm: _RES message not delivered',
    );
  });
}

const res =
  (op: (ctx: NlmContext, call: RpcCall, args: XdrReader) => Promise<NlmRes>): Handler =>
  async (ctx, call, args, reply) => {
    encodeRes(reply, call.vers, await op(ctx, call, args));
    return 'success';
  };

const resMsg =
  (resProc: NlmProc, op: (ctx: NlmContext, call: RpcCall, args: XdrReader) => Promise<NlmRes>): Handler =>
  async (ctx, call, args) => {
    const r = await op(ctx, call, args);
    sendResult(ctx, call, resProc, (w) => encodeRes(w, call.vers, r));
    return 'success';
  };

const test = (ctx: NlmContext, call: RpcCall, args: XdrReader): Promise<NlmTestRes> =>
  testOp(ctx, call, decodeTestArgs(args, call.vers));
const lock = (ctx: NlmContext, call: RpcCall, args: XdrReader) =>
  lockOp(ctx, call, decodeLockArgs(args, call.vers), true);
const cancel = (ctx: NlmContext, call: RpcCall, args: XdrReader) =>
  cancelOp(ctx, call, decodeCancelArgs(args, call.vers));
const unlock = (ctx: NlmContext, call: RpcCall, args: XdrReader) =>
  unlockOp(ctx, call, decodeUnlockArgs(args, call.vers));
const granted = async (_ctx: NlmContext, call: RpcCall, args: XdrReader) => grantedOp(decodeTestArgs(args, call.vers));

/** A _RES call: the result of a _MSG this server sent. Nothing here waits for one; decode to validate. */
const resultReceived =
  (decode: (r: XdrReader, vers: number) => unknown): Handler =>
  async (ctx, call, args) => {
    decode(args, call.vers);
    if (ctx.logger.isLevelEnabled('debug'))
      ctx.logger.debug({ op: NlmProc[call.proc], client: call.peer.address }, 'nlm');
    return 'success';
  };

/** Indexed by procedure number (XNFS §10.3 / §14.3). */
const PROCEDURES: Readonly<Record<number, Handler>> = {
  [NlmProc.NULL]: async () => 'success',
  [NlmProc.TEST]: async (ctx, call, args, reply) => {
    encodeTestRes(reply, call.vers, await test(ctx, call, args));
    return 'success';
  },
  [NlmProc.LOCK]: res(lock),
  [NlmProc.CANCEL]: res(cancel),
  [NlmProc.UNLOCK]: res(unlock),
  [NlmProc.GRANTED]: res(granted),
  [NlmProc.TEST_MSG]: async (ctx, call, args) => {
    const r = await test(ctx, call, args);
    sendResult(ctx, call, NlmProc.TEST_RES, (w) => encodeTestRes(w, call.vers, r));
    return 'success';
  },
  [NlmProc.LOCK_MSG]: resMsg(NlmProc.LOCK_RES, lock),
  [NlmProc.CANCEL_MSG]: resMsg(NlmProc.CANCEL_RES, cancel),
  [NlmProc.UNLOCK_MSG]: resMsg(NlmProc.UNLOCK_RES, unlock),
  [NlmProc.GRANTED_MSG]: resMsg(NlmProc.GRANTED_RES, granted),
  [NlmProc.TEST_RES]: resultReceived(decodeTestRes),
  [NlmProc.LOCK_RES]: resultReceived(decodeRes),
  [NlmProc.CANCEL_RES]: resultReceived(decodeRes),
  [NlmProc.UNLOCK_RES]: resultReceived(decodeRes),
  [NlmProc.GRANTED_RES]: resultReceived(decodeRes),
  [NlmProc.SHARE]: async (ctx, call, args, reply) => {
    encodeShareRes(reply, call.vers, await shareOp(ctx, call, decodeShareArgs(args)));
    return 'success';
  },
  [NlmProc.UNSHARE]: async (ctx, call, args, reply) => {
    encodeShareRes(reply, call.vers, await unshareOp(ctx, call, decodeShareArgs(args)));
    return 'success';
  },
  [NlmProc.NM_LOCK]: res((ctx, call, args) => lockOp(ctx, call, decodeLockArgs(args, call.vers), false)),
  [NlmProc.FREE_ALL]: async (ctx, _call, args) => {
    await freeAllOp(ctx, decodeNotifyArgs(args));
    return 'success';
  },
};

/** Procedures added in version 3 (XNFS §10.3: "version 3 only"); v4 keeps them. */
const V3_ONLY = new Set<number>([NlmProc.SHARE, NlmProc.UNSHARE, NlmProc.NM_LOCK, NlmProc.FREE_ALL]);

/** Procedures whose retransmission must not run twice: their replies go to the duplicate-request cache. */
const NON_IDEMPOTENT = new Set<number>([
  NlmProc.LOCK,
  NlmProc.CANCEL,
  NlmProc.UNLOCK,
  NlmProc.LOCK_MSG,
  NlmProc.CANCEL_MSG,
  NlmProc.UNLOCK_MSG,
  NlmProc.SHARE,
  NlmProc.UNSHARE,
  NlmProc.NM_LOCK,
]);

export function createNlmProgram(opts: NlmProgramOptions): NlmProgram {
  const logger = opts.logger ?? silentLogger;
  const ctx = new NlmContext(
    opts.shares,
    opts.locks,
    'protocol' in logger.bindings() ? logger : logger.child({ protocol: 'nlm' }),
    opts.callbackClient ?? new PortmapRemoteCaller(),
    opts.monitor ?? (() => undefined),
    opts.grantRetryDelaysMs ?? [1_000, 3_000, 10_000],
    opts.serverName,
    opts.authorize,
  );
  return {
    prog: NLM_PROGRAM,
    name: 'nlm',
    minVers: NLM_V1,
    maxVers: NLM_V4,
    // XNFS defines versions 1, 3 and 4 only (Linux lockd serves the same three).
    supportsVersion: (vers) => vers !== 2,
    async handle(call, args, reply) {
      const proc = PROCEDURES[call.proc];
      if (!proc || (call.vers === NLM_V1 && V3_ONLY.has(call.proc))) return 'proc_unavail';
      return proc(ctx, call, args, reply);
    },
    isNonIdempotent: (_vers, proc) => NON_IDEMPOTENT.has(proc),
    releaseHost: (name) => releaseHost(ctx, name),
    get blockedCount() {
      return ctx.blocked.size;
    },
  };
}
