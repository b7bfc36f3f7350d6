/**
 * Transport-independent half of the RPC server: one message in, one encoded
 * reply (or none) out. Checks the credential (RFC 5531 §9, Appendix A),
 * finds the program by number, runs the handler, maps its outcome to an
 * accept_stat, and consults the duplicate request cache.
 */
import type { Logger } from '../../observability/logger.js';
import { XdrError } from '../xdr/errors.js';
import { XdrReader } from '../xdr/reader.js';
import { XdrWriter } from '../xdr/writer.js';
import { DuplicateRequestCache } from './drc.js';
import {
  AUTH_ERROR,
  type CallHeader,
  decodeAuthSys,
  decodeCallHeader,
  encodeAcceptedReply,
  encodeDeniedReply,
} from './message.js';
import {
  AUTH_NONE,
  AUTH_SYS,
  AcceptStat,
  AuthStat,
  type AuthSysParams,
  type RpcCall,
  type RpcOutcome,
  type RpcPeer,
  type RpcProgram,
} from './types.js';

/** Writers kept for reuse; a writer that grew past this is dropped instead. */
const WRITER_POOL_SIZE = 32;
const POOLED_WRITER_MAX_CAPACITY = 64 * 1024;

type AuthCheck = { ok: true; authSys?: AuthSysParams } | { ok: false; stat: AuthStat };

/**
 * RFC 5531 §9 / Appendix A credential check. AUTH_NONE and AUTH_SYS take an
 * AUTH_NONE verifier with an empty body (as Linux nfsd requires).
 * AUTH_SHORT is refused with AUTH_REJECTEDCRED, which per Appendix A makes
 * the client resend its full credential (this server never issues short-hand
 * credentials). Other flavors, RPCSEC_GSS included until it is implemented,
 * get AUTH_REJECTEDCRED too, as libtirpc does for flavors it has no handler for.
 */
function checkAuth(h: CallHeader): AuthCheck {
  let authSys: AuthSysParams | undefined;
  switch (h.cred.flavor) {
    case AUTH_NONE:
      if (h.cred.body.length !== 0) return { ok: false, stat: AuthStat.AUTH_BADCRED };
      break;
    case AUTH_SYS:
      authSys = decodeAuthSys(h.cred.body);
      if (!authSys) return { ok: false, stat: AuthStat.AUTH_BADCRED };
      break;
    default:
      return { ok: false, stat: AuthStat.AUTH_REJECTEDCRED };
  }
  if (h.verf.flavor !== AUTH_NONE || h.verf.body.length !== 0) return { ok: false, stat: AuthStat.AUTH_BADVERF };
  return authSys ? { ok: true, authSys } : { ok: true };
}

export interface DispatcherOptions {
  programs: RpcProgram[];
  logger: Logger;
  drcEntries?: number;
}

export class RpcDispatcher {
  private readonly programs = new Map<number, RpcProgram>();
  private readonly writers: XdrWriter[] = [];
  readonly drc: DuplicateRequestCache;
  private readonly logger: Logger;

  constructor(opts: DispatcherOptions) {
    for (const p of opts.programs) this.addProgram(p);
    this.logger = opts.logger;
    this.drc = new DuplicateRequestCache(opts.drcEntries);
  }

  addProgram(p: RpcProgram): void {
    this.programs.set(p.prog, p);
  }

  removeProgram(prog: number): void {
    this.programs.delete(prog);
  }

  /**
   * Process one RPC message. Resolves to the reply message as buffers (the
   * first one starting with `headroom` unused bytes, for a record mark), or
   * null when no reply is due. Never rejects: a failure outside a handler
   * (a program's isNonIdempotent or supportsVersion throwing) is logged and
   * the call dropped, so one bad call cannot take the process down.
   */
  async dispatch(msg: Buffer, peer: RpcPeer, headroom: number): Promise<Buffer[] | null> {
    try {
      return await this.process(msg, peer, headroom);
    } catch (err) {
      this.logger.error({ err, client: peer.address }, 'rpc: dispatch failed, call dropped');
      return null;
    }
  }

  private async process(msg: Buffer, peer: RpcPeer, headroom: number): Promise<Buffer[] | null> {
    const decoded = decodeCallHeader(msg);
    if (decoded.kind === 'drop') {
      this.logger.debug({ client: peer.address, reason: decoded.reason }, 'rpc: message dropped');
      return null;
    }
    const w = this.acquireWriter();
    try {
      if (decoded.kind === 'denied') {
        encodeDeniedReply(w, decoded.xid, decoded.reject, decoded.authStat);
        return this.finish(w, headroom);
      }
      const h = decoded.header;
      const auth = checkAuth(h);
      if (!auth.ok) {
        encodeDeniedReply(w, h.xid, AUTH_ERROR, auth.stat);
        return this.finish(w, headroom);
      }
      const program = this.programs.get(h.prog);
      if (!program) {
        encodeAcceptedReply(w, h.xid, AcceptStat.PROG_UNAVAIL);
        return this.finish(w, headroom);
      }
      if (h.vers < program.minVers || h.vers > program.maxVers || program.supportsVersion?.(h.vers) === false) {
        encodeAcceptedReply(w, h.xid, AcceptStat.PROG_MISMATCH, { low: program.minVers, high: program.maxVers });
        return this.finish(w, headroom);
      }
      const call: RpcCall = { ...h, peer };
      if (auth.authSys) call.authSys = auth.authSys;
      const args = new XdrReader(msg, decoded.argsOffset);
      if (!program.isNonIdempotent?.(h.vers, h.proc)) {
        return (await this.run(program, call, args, w)) ? this.finish(w, headroom) : null;
      }
      const cached = this.drc.begin({
        address: peer.address,
        xid: h.xid,
        prog: h.prog,
        vers: h.vers,
        proc: h.proc,
        args: msg.subarray(decoded.argsOffset),
      });
      if (cached.kind === 'in-progress') {
        // The original is still running; its reply will answer this retransmission too.
        this.logger.debug({ client: peer.address, xid: h.xid }, 'rpc: retransmission of call in progress dropped');
        return null;
      }
      if (cached.kind === 'replay') {
        const out = Buffer.allocUnsafe(headroom + cached.reply.length);
        cached.reply.copy(out, headroom);
        return [out];
      }
      if (!(await this.run(program, call, args, w))) {
        this.drc.abandon(cached.key);
        return null;
      }
      this.drc.complete(cached.key, w.toBuffer());
      return this.finish(w, headroom);
    } finally {
      this.releaseWriter(w);
    }
  }

  /** Run the handler; leaves the complete reply in `w` and returns true, or false to send nothing. */
  private async run(program: RpcProgram, call: RpcCall, args: XdrReader, w: XdrWriter): Promise<boolean> {
    encodeAcceptedReply(w, call.xid, AcceptStat.SUCCESS);
    let outcome: RpcOutcome;
    try {
      outcome = await program.handle(call, args, w);
    } catch (e) {
      if (e instanceof XdrError) {
        outcome = 'garbage_args';
      } else {
        this.logger.error(
          { err: e, prog: call.prog, vers: call.vers, proc: call.proc, xid: call.xid, client: call.peer.address },
          `rpc: ${program.name} handler failed`,
        );
        outcome = 'system_err';
      }
    }
    if (outcome === 'success') return true;
    if (outcome === 'drop') return false;
    w.reset();
    if (typeof outcome === 'object') {
      encodeDeniedReply(w, call.xid, AUTH_ERROR, outcome.authError);
      return true;
    }
    const stat =
      outcome === 'proc_unavail'
        ? AcceptStat.PROC_UNAVAIL
        : outcome === 'garbage_args'
          ? AcceptStat.GARBAGE_ARGS
          : AcceptStat.SYSTEM_ERR;
    encodeAcceptedReply(w, call.xid, stat);
    return true;
  }

  /** Copy the writer's own bytes out (it is reused); zero-copy chunks are passed by reference. */
  private finish(w: XdrWriter, headroom: number): Buffer[] {
    const parts = w.toBuffers();
    const tail = parts[parts.length - 1];
    if (parts.length === 1) {
      const out = Buffer.allocUnsafe(headroom + tail.length);
      tail.copy(out, headroom);
      return [out];
    }
    const out: Buffer[] = headroom ? [Buffer.allocUnsafe(headroom)] : [];
    for (let i = 0; i < parts.length - 1; i++) out.push(parts[i]);
    out.push(Buffer.from(tail));
    return out;
  }

  private acquireWriter(): XdrWriter {
    return this.writers.pop() ?? new XdrWriter(1024);
  }

  private releaseWriter(w: XdrWriter): void {
    if (this.writers.length < WRITER_POOL_SIZE && w.capacity <= POOLED_WRITER_MAX_CAPACITY) {
      this.writers.push(w.reset());
    }
  }
}
