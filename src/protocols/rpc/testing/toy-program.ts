/**
 * A small RPC program for the RPC layer's own tests: each procedure exercises
 * one dispatcher path (echo, delay, non-idempotent counter, throw, ...).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { XdrReader } from '../../xdr/reader.js';
import type { XdrWriter } from '../../xdr/writer.js';
import type { RpcCall, RpcOutcome, RpcProgram } from '../types.js';
import { AUTH_SYS, AuthStat } from '../types.js';
import { RpcServer, type RpcServerOptions } from '../server.js';

export const TOY_PROG = 0x20000101;
export const TOY_MIN_VERS = 1;
export const TOY_MAX_VERS = 3;
/** Inside the range but not served: exercises supportsVersion. */
export const TOY_UNSERVED_VERS = 2;

export const TOY = {
  NULL: 0,
  /** opaque<1024> in, same out. */
  ECHO: 1,
  /** (ms, tag) in: waits ms, returns tag. */
  DELAY: 2,
  /** Non-idempotent: returns how many times it has run. */
  COUNT: 3,
  /** Throws a plain Error: SYSTEM_ERR. */
  THROW: 4,
  /** Returns 'garbage_args'. */
  GARBAGE: 5,
  /** AUTH_SYS only (else AUTH_TOOWEAK); returns uid, gid, gid count. */
  WHOAMI: 6,
  /** Returns 'drop'. */
  DROP: 7,
  /** n in: n bytes of pattern out, appended zero-copy. */
  BIG: 8,
  /** Non-idempotent: waits until the test opens the gate, then returns its run count. */
  GATED: 9,
};

export class ToyProgram implements RpcProgram {
  readonly prog = TOY_PROG;
  readonly name = 'toy';
  readonly minVers = TOY_MIN_VERS;
  readonly maxVers = TOY_MAX_VERS;
  /** Runs per procedure number. */
  readonly runs = new Map<number, number>();
  /** Calls currently inside the handler. */
  active = 0;
  maxActive = 0;
  private gate?: { promise: Promise<void>; open: () => void };

  supportsVersion(vers: number): boolean {
    return vers !== TOY_UNSERVED_VERS;
  }

  isNonIdempotent(_vers: number, proc: number): boolean {
    return proc === TOY.COUNT || proc === TOY.GATED;
  }

  runCount(proc: number): number {
    return this.runs.get(proc) ?? 0;
  }

  closeGate(): void {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  openGate(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  async handle(call: RpcCall, args: XdrReader, reply: XdrWriter): Promise<RpcOutcome> {
    const n = this.runCount(call.proc) + 1;
    this.runs.set(call.proc, n);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      switch (call.proc) {
        case TOY.NULL:
          return 'success';
        case TOY.ECHO:
          reply.opaque(args.opaque(1024));
          return 'success';
        case TOY.DELAY: {
          const ms = args.uint32();
          const tag = args.uint32();
          await sleep(ms);
          reply.uint32(tag);
          return 'success';
        }
        case TOY.COUNT:
          args.uint32();
          reply.uint32(n);
          return 'success';
        case TOY.THROW:
          throw new Error('toy failure');
        case TOY.GARBAGE:
          return 'garbage_args';
        case TOY.WHOAMI:
          if (call.cred.flavor !== AUTH_SYS || !call.authSys) return { authError: AuthStat.AUTH_TOOWEAK };
          reply.uint32(call.authSys.uid).uint32(call.authSys.gid).uint32(call.authSys.gids.length);
          return 'success';
        case TOY.DROP:
          return 'drop';
        case TOY.BIG: {
          const len = args.uint32();
          const data = Buffer.alloc(len);
          for (let i = 0; i < len; i++) data[i] = i & 0xff;
          reply.uint32(0xb16b16);
          reply.appendOpaqueZeroCopy(data);
          reply.uint32(0xe0d);
          return 'success';
        }
        case TOY.GATED:
          await this.gate?.promise;
          reply.uint32(n);
          return 'success';
        default:
          return 'proc_unavail';
      }
    } finally {
      this.active--;
    }
  }
}

/** An RpcServer serving a fresh ToyProgram on an ephemeral loopback TCP port. */
export async function startToyServer(
  opts: Partial<RpcServerOptions> = {},
): Promise<{ server: RpcServer; toy: ToyProgram; port: number }> {
  const toy = new ToyProgram();
  const server = new RpcServer({ ...opts, programs: [toy, ...(opts.programs ?? [])] });
  const { port } = await server.listenTcp(0, '127.0.0.1');
  return { server, toy, port };
}
