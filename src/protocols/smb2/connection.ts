import { createHash } from 'node:crypto';
import type * as net from 'node:net';
import type { Logger } from '../../observability/logger.js';
import {
  COMMAND_NAMES,
  Command,
  DIALECT_202,
  FLAGS_ASYNC_COMMAND,
  FLAGS_RELATED_OPERATIONS,
  FLAGS_SERVER_TO_REDIR,
  FLAGS_SIGNED,
  HEADER_SIZE,
  SMB1_MAGIC,
  SMB2_MAGIC,
  TRANSFORM_MAGIC,
} from './constants.js';
import { decryptMessage, encryptMessage, readTransformHeader } from './crypto/encryption.js';
import type { Smb2ServerContext } from './context.js';
import { CreditWindow } from './credits.js';
import { checkSignature, dispatch } from './dispatch.js';
import { FrameDecoder, frameHeader } from './framing.js';
import { Smb2Request, errorReply, type AsyncWork, type Smb2Reply } from './handler.js';
import { decodeHeader, encodeHeader, type Smb2Header } from './header.js';
import { handleSmb1Negotiate } from './commands/negotiate.js';
import { releaseOpen } from './commands/close.js';
import type { Open, Session } from './state.js';
import { Status, ntStatusOf } from './status.js';
import { Smb2DecodeError, align8 } from './wire.js';

/** Frames, and bytes of frames, queued on one connection before reading pauses (backpressure). */
const MAX_QUEUED_FRAMES = 64;
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** MS-SMB2 §2.2.23: unsolicited messages (oplock and lease breaks) carry MessageId 0xFFFFFFFFFFFFFFFF. */
const UNSOLICITED_MESSAGE_ID = 0xffffffffffffffffn;

/** A command answered STATUS_PENDING whose final response is still to come (MS-SMB2 §3.3.1.1 AsyncCommandList). */
interface AsyncOp {
  readonly asyncId: bigint;
  readonly req: Smb2Request;
  readonly work: AsyncWork;
  /** The interim response has gone out; until then a final reply waits here (it must not overtake it). */
  interimSent: boolean;
  early?: Smb2Reply;
}

/** What NEGOTIATE established (MS-SMB2 §3.3.1.7), kept for VALIDATE_NEGOTIATE_INFO. */
export interface Negotiated {
  dialect: number;
  clientGuid: Buffer;
  clientCapabilities: number;
  clientSecurityMode: number;
  clientDialects: number[];
  serverCapabilities: number;
  serverSecurityMode: number;
  /** Connection.CipherId: 0 when the client cannot encrypt. */
  cipher: number;
}

/**
 * One client connection: frames in, commands run strictly in arrival order
 * (a compound's parts in sequence), responses out in the same order. The
 * credit window bounds how many requests a client may have outstanding; the
 * frame queue bounds what we buffer (the socket pauses when it is full).
 */
export class Smb2Connection {
  readonly sessions = new Map<bigint, Session>();
  readonly opens = new Map<bigint, Open>();
  readonly credits: CreditWindow;
  negotiated?: Negotiated;
  /** SMB 3.1.1 Connection.PreauthIntegrityHashValue (MS-SMB2 §3.3.5.4). */
  preauthHash?: Buffer;
  readonly log: Logger;
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private running = false;
  private closed = false;
  private paused = false;
  /** Pending async commands by AsyncId. */
  private readonly asyncOps = new Map<bigint, AsyncOp>();
  private nextAsyncId = 1n;

  constructor(
    readonly server: Smb2ServerContext,
    readonly socket: net.Socket,
    readonly peer: { address: string; port: number },
    private readonly onClosed: (c: Smb2Connection) => void,
  ) {
    this.log = server.logger.child({ client: `${peer.address}:${peer.port}` });
    this.credits = new CreditWindow(server.maxCredits);
    this.decoder = new FrameDecoder(server.maxIo + 64 * 1024);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err) => this.log.debug({ err }, 'socket error'));
    socket.on('close', () => this.teardown());
    socket.on('end', () => socket.end());
  }

  get dialect(): number {
    return this.negotiated?.dialect ?? 0;
  }

  private onData(d: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(d);
    } catch (err) {
      this.log.info({ err }, 'bad transport frame, closing');
      this.close();
      return;
    }
    for (const f of frames) {
      this.queue.push(f);
      this.queuedBytes += f.length;
    }
    if ((this.queue.length >= MAX_QUEUED_FRAMES || this.queuedBytes >= MAX_QUEUED_BYTES) && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const frame = this.queue.shift()!;
        this.queuedBytes -= frame.length;
        if (this.paused && this.queue.length < MAX_QUEUED_FRAMES / 2 && this.queuedBytes < MAX_QUEUED_BYTES / 2) {
          this.paused = false;
          this.socket.resume();
        }
        try {
          await this.handleFrame(frame);
        } catch (err) {
          // Nothing a client sends may escape as an exception: a bug here closes this connection only.
          this.log.warn({ err }, 'unexpected error handling a frame, closing');
          this.close();
        }
      }
    } finally {
      this.running = false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.teardown();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private teardown(): void {
    this.closed = true;
    // Connection loss ends every pending command (their final responses have nowhere to go).
    const ops = [...this.asyncOps.values()];
    this.asyncOps.clear();
    for (const op of ops) op.work.cancel();
    if (this.sessions.size === 0 && this.opens.size === 0) {
      this.onClosed(this);
      return;
    }
    const opens = [...this.opens.values()];
    this.opens.clear();
    this.sessions.clear();
    this.onClosed(this);
    void closeOpens(opens, this.log);
  }

  /**
   * Send a message the server starts (MS-SMB2 §3.3.4.6/§3.3.4.7 oplock and
   * lease break notifications): `body` after a header with `command`,
   * MessageId 0xFFFFFFFFFFFFFFFF, SessionId and TreeId 0, no credits, unsigned
   * (only responses are signed, §3.3.4.1.1). When `session` is given and its
   * client encrypts, the message goes inside a TRANSFORM_HEADER for that
   * session (§3.3.4.1.4). False when the connection is gone.
   */
  sendNotification(command: number, body: Buffer, session?: Session): boolean {
    if (this.closed) return false;
    const msg = Buffer.alloc(HEADER_SIZE + body.length);
    encodeHeader(msg, 0, {
      creditCharge: 0,
      status: Status.SUCCESS,
      command,
      credits: 0,
      flags: FLAGS_SERVER_TO_REDIR,
      nextCommand: 0,
      messageId: UNSOLICITED_MESSAGE_ID,
      treeId: 0,
      sessionId: 0n,
    });
    body.copy(msg, HEADER_SIZE);
    this.sendMaybeEncrypted(msg, session?.clientEncrypts === true ? session : undefined);
    return true;
  }

  private sendMaybeEncrypted(plain: Buffer, session: Session | undefined): void {
    const enc = session?.encryption;
    if (session && enc) {
      this.send([encryptMessage(enc.cipher, enc.encryptionKey, plain, session.id, enc.nonces.next())]);
    } else {
      this.send([plain]);
    }
  }

  private send(parts: Buffer[]): void {
    if (this.closed) return;
    let len = 0;
    for (const p of parts) len += p.length;
    this.socket.cork();
    this.socket.write(frameHeader(len));
    for (const p of parts) this.socket.write(p);
    this.socket.uncork();
  }

  private async handleFrame(frame: Buffer): Promise<void> {
    if (frame.length < 4) return this.close();
    const magic = frame.readUInt32LE(0);
    if (magic === SMB1_MAGIC) {
      // MS-SMB2 §3.3.5.3: only the very first message may be an SMB1 negotiate.
      if (this.negotiated) return this.close();
      const reply = handleSmb1Negotiate(this, frame);
      if (!reply) return this.close();
      this.credits.consume(0n, 1);
      this.credits.grant(1);
      return this.send([reply]);
    }
    if (magic === TRANSFORM_MAGIC) return this.handleTransform(frame);
    if (magic !== SMB2_MAGIC) return this.close();
    await this.handleSmb2(frame);
  }

  /**
   * MS-SMB2 §3.3.5.2.1.1: an encrypted message names its session; it is
   * decrypted with the session's DecryptionKey (a bad header, an unknown
   * session or a failed tag closes the connection), run like any other,
   * and answered encrypted.
   */
  private async handleTransform(frame: Buffer): Promise<void> {
    const th = readTransformHeader(frame);
    const session = th ? this.sessions.get(th.sessionId) : undefined;
    if (!th || !session?.encryption) {
      this.log.info(
        { session: th ? String(th.sessionId) : undefined },
        'bad TRANSFORM_HEADER or session without keys, closing',
      );
      return this.close();
    }
    const plain = decryptMessage(session.encryption.cipher, session.encryption.decryptionKey, frame);
    if (!plain || plain.length < HEADER_SIZE || plain.readUInt32LE(0) !== SMB2_MAGIC) {
      this.log.info({ session: String(th.sessionId) }, 'encrypted message does not decrypt, closing');
      return this.close();
    }
    session.clientEncrypts = true;
    await this.handleSmb2(plain, session);
  }

  private async handleSmb2(frame: Buffer, encryptedBy?: Session): Promise<void> {
    const out: Buffer[] = [];
    const wentAsync: AsyncOp[] = [];
    let off = 0;
    let related: { persistent: bigint; volatile: bigint } | undefined;
    let prev: { session: bigint; tree: number; status: number } | undefined;
    for (;;) {
      let hdr: Smb2Header;
      try {
        hdr = decodeHeader(frame, off);
      } catch {
        return this.close();
      }
      const next = hdr.nextCommand;
      // MS-SMB2 §3.3.5.2.7: NextCommand is 8-byte aligned and stays inside the frame.
      if (next !== 0 && (next % 8 !== 0 || next < HEADER_SIZE || off + next > frame.length)) return this.close();
      const msg = frame.subarray(off, next ? off + next : frame.length);
      if (hdr.command === Command.CANCEL) {
        // MS-SMB2 §3.3.5.16: CANCEL takes no credit and gets no response of its own.
        this.cancel(hdr, msg, encryptedBy);
        if (next === 0) break;
        off += next;
        continue;
      }
      const charge = this.dialect === DIALECT_202 ? 1 : hdr.creditCharge;
      if (!this.credits.consume(hdr.messageId, charge)) {
        this.log.info({ messageId: String(hdr.messageId), charge }, 'MessageId outside the credit window, closing');
        return this.close();
      }
      const isRelated = (hdr.flags & FLAGS_RELATED_OPERATIONS) !== 0;
      if (isRelated && prev) {
        // MS-SMB2 §3.3.5.2.7.2: related operations use the previous operation's session and tree.
        hdr.sessionId = prev.session;
        hdr.treeId = prev.tree;
      }
      const req = new Smb2Request(this, hdr, msg, isRelated ? related : undefined, encryptedBy);
      const started = process.hrtime.bigint();
      let reply: Smb2Reply;
      if (isRelated && (!prev || noSessionOrTree(prev.status))) {
        // §3.3.5.2.7.2: a related operation takes the previous one's session and tree; when there
        // is no previous one, or its SessionId/TreeId did not name a live session or tree, there is
        // nothing to take: INVALID_PARAMETER (Windows and Samba; smbtorture smb2.compound.invalid2).
        reply = errorReply(Status.INVALID_PARAMETER);
      } else if (isRelated && prev && prev.status !== Status.SUCCESS && related === undefined && needsPrevFile(hdr)) {
        // §3.3.5.2.7.2: a failed CREATE fails the related commands that use its FileId with the same status.
        reply = errorReply(prev.status);
      } else {
        reply = await this.run(req);
      }
      const op = COMMAND_NAMES[hdr.command] ?? 'unknown';
      this.server.opts.onOp?.(op, reply.status, Number(process.hrtime.bigint() - started) / 1e9);
      if (req.createdFileId) related = req.createdFileId;
      else if (!isRelated) related = undefined;
      prev = { session: hdr.sessionId, tree: hdr.treeId, status: reply.status };
      const granted = this.credits.grant(hdr.credits);
      // MS-SMB2 §3.3.4.2: a command going async answers an interim response (with the credits) now.
      const asyncOp = reply.async ? this.startAsync(req, reply.async) : undefined;
      if (asyncOp) wentAsync.push(asyncOp);
      out.push(this.buildResponse(req, reply, granted, next !== 0, asyncOp?.asyncId));
      if (this.closed) return;
      if (next === 0) break;
      off += next;
    }
    if (out.length === 0) return;
    const enc = encryptedBy?.encryption;
    if (enc) {
      const plain = out.length === 1 ? out[0] : Buffer.concat(out);
      this.send([encryptMessage(enc.cipher, enc.encryptionKey, plain, encryptedBy.id, enc.nonces.next())]);
    } else {
      this.send(out);
    }
    for (const op of wentAsync) {
      op.interimSent = true;
      if (op.early) this.finishAsync(op, op.early);
    }
  }

  private async run(req: Smb2Request): Promise<Smb2Reply> {
    try {
      return await dispatch(req);
    } catch (e) {
      return this.failure(req, e);
    }
  }

  private failure(req: Smb2Request, e: unknown): Smb2Reply {
    if (e instanceof Smb2DecodeError) return errorReply(Status.INVALID_PARAMETER);
    const st = ntStatusOf(e);
    if (st !== undefined) {
      this.log.debug(
        { op: COMMAND_NAMES[req.hdr.command], status: st.toString(16), reason: (e as Error).message },
        'command failed',
      );
      return errorReply(st);
    }
    this.log.warn({ err: e, op: COMMAND_NAMES[req.hdr.command] }, 'unexpected error');
    return errorReply(Status.INTERNAL_ERROR);
  }

  private startAsync(req: Smb2Request, work: AsyncWork): AsyncOp {
    const asyncId = this.nextAsyncId++;
    const op: AsyncOp = { asyncId, req, work, interimSent: false };
    if (this.closed) {
      work.cancel();
      return op;
    }
    this.asyncOps.set(asyncId, op);
    work.final.then(
      (reply) => this.finishAsync(op, reply),
      (e: unknown) => this.finishAsync(op, this.failure(req, e)),
    );
    return op;
  }

  /** MS-SMB2 §3.3.4.2: the final response of an async command: ASYNC header, no credits, signed/encrypted as usual. */
  private finishAsync(op: AsyncOp, reply: Smb2Reply): void {
    if (this.asyncOps.get(op.asyncId) !== op) return;
    if (!op.interimSent) {
      op.early = reply;
      return;
    }
    this.asyncOps.delete(op.asyncId);
    if (this.closed) return;
    const final: Smb2Reply = { status: reply.status, body: reply.body, payload: reply.payload };
    const buf = this.buildResponse(op.req, final, 0, false, op.asyncId);
    this.server.opts.onOp?.(COMMAND_NAMES[op.req.hdr.command] ?? 'unknown', final.status, 0);
    this.sendMaybeEncrypted(buf, op.req.encryptedBy);
  }

  /**
   * MS-SMB2 §3.3.5.16: CANCEL names a pending command by AsyncId (ASYNC
   * header) or by MessageId; an unknown target, another session's command or
   * a bad signature is ignored (CANCEL never gets a response).
   */
  private cancel(hdr: Smb2Header, msg: Buffer, encryptedBy: Session | undefined): void {
    let target: AsyncOp | undefined;
    if ((hdr.flags & FLAGS_ASYNC_COMMAND) !== 0) {
      target = this.asyncOps.get(hdr.asyncId);
    } else {
      for (const op of this.asyncOps.values()) {
        if (op.req.hdr.messageId === hdr.messageId) target = op;
      }
    }
    if (!target || target.req.hdr.sessionId !== hdr.sessionId) return;
    const session = this.sessions.get(hdr.sessionId);
    if (session && encryptedBy !== session) {
      try {
        checkSignature(new Smb2Request(this, hdr, msg), session.signingKey, session.signingRequired);
      } catch {
        this.log.debug({ messageId: String(hdr.messageId) }, 'CANCEL with a bad signature ignored');
        return;
      }
    }
    target.work.cancel();
  }

  /**
   * Header + body (+ payload), padded to 8 bytes when another response follows
   * in the compound (MS-SMB2 §3.3.4.1.3), and signed when the session signs.
   * With `asyncId` the header is the ASYNC form (interim and final responses
   * of an async command, §3.3.4.2).
   */
  private buildResponse(req: Smb2Request, reply: Smb2Reply, granted: number, more: boolean, asyncId?: bigint): Buffer {
    const { hdr } = req;
    const payloadLen = reply.payload?.length ?? 0;
    const raw = HEADER_SIZE + reply.body.length + payloadLen;
    const total = more ? align8(raw) : raw;
    const buf = Buffer.alloc(total);
    const session = req.session ?? this.sessions.get(hdr.sessionId);
    // Encrypted responses are not signed (MS-SMB2 §3.3.4.1.1): the AEAD tag authenticates them.
    const signWith = req.encryptedBy ? undefined : this.responseSigningKey(req, session, reply);
    encodeHeader(buf, 0, {
      creditCharge: hdr.creditCharge,
      status: reply.status,
      command: hdr.command,
      credits: granted,
      flags:
        FLAGS_SERVER_TO_REDIR |
        (hdr.flags & FLAGS_RELATED_OPERATIONS) |
        (signWith ? FLAGS_SIGNED : 0) |
        (asyncId !== undefined ? FLAGS_ASYNC_COMMAND : 0),
      nextCommand: more ? total : 0,
      messageId: hdr.messageId,
      treeId: hdr.treeId,
      sessionId: hdr.sessionId,
      asyncId,
    });
    reply.body.copy(buf, HEADER_SIZE);
    if (reply.payload) reply.payload.copy(buf, HEADER_SIZE + reply.body.length);
    if (signWith) this.server.signing.sign(this.dialect, signWith, buf);
    if (hdr.command === Command.NEGOTIATE || hdr.command === Command.SESSION_SETUP)
      afterPreauthMessage(this, req, reply, buf);
    return buf;
  }

  /**
   * MS-SMB2 §3.3.4.1.1: sign when the request was signed or the session
   * requires signing, once a signing key exists; never sign
   * STATUS_PENDING-style interim or errors of unknown sessions.
   */
  private responseSigningKey(req: Smb2Request, session: Session | undefined, reply: Smb2Reply): Buffer | undefined {
    if (!session?.signingKey) return undefined;
    if (reply.status === Status.USER_SESSION_DELETED) return undefined;
    // §3.3.4.1.1: an interim response of an async command is not signed.
    if (reply.async) return undefined;
    if (req.hdr.command === Command.SESSION_SETUP) {
      // §3.3.5.5.3: the final SESSION_SETUP response is signed (3.1.1 always, else when signing is required).
      return reply.status === Status.SUCCESS && (this.dialect >= 0x0300 || session.signingRequired)
        ? session.signingKey
        : undefined;
    }
    if ((req.hdr.flags & FLAGS_SIGNED) !== 0 || session.signingRequired) return session.signingKey;
    return undefined;
  }
}

/** Commands that act on a FileId (and so inherit a failed CREATE's status in a related compound). */
/** The failure of a request whose SessionId or TreeId named no live session or tree. */
function noSessionOrTree(status: number): boolean {
  return status === Status.USER_SESSION_DELETED || status === Status.NETWORK_NAME_DELETED;
}

function needsPrevFile(hdr: Smb2Header): boolean {
  switch (hdr.command) {
    case Command.CLOSE:
    case Command.FLUSH:
    case Command.READ:
    case Command.WRITE:
    case Command.LOCK:
    case Command.IOCTL:
    case Command.QUERY_DIRECTORY:
    case Command.CHANGE_NOTIFY:
    case Command.QUERY_INFO:
    case Command.SET_INFO:
      return true;
    default:
      return false;
  }
}

/**
 * SMB 3.1.1 preauth integrity (MS-SMB2 §3.3.5.4, §3.3.5.5): the connection
 * hash covers NEGOTIATE request and response; a session's hash continues
 * from it over every SESSION_SETUP request and every response but the final
 * successful one.
 */
function afterPreauthMessage(conn: Smb2Connection, req: Smb2Request, reply: Smb2Reply, response: Buffer): void {
  if (conn.dialect !== 0x0311) return;
  if (req.hdr.command === Command.NEGOTIATE) {
    if (reply.status !== Status.SUCCESS) return;
    conn.preauthHash = preauthUpdate(preauthUpdate(Buffer.alloc(64), req.msg), response);
    return;
  }
  const session = conn.sessions.get(req.hdr.sessionId);
  if (!session || session.state !== 'in-progress' || reply.status !== Status.MORE_PROCESSING_REQUIRED) return;
  session.preauthHash = preauthUpdate(session.preauthHash!, response);
}

export function preauthUpdate(prev: Buffer, msg: Buffer): Buffer {
  return createHash('sha512').update(prev).update(msg).digest();
}

async function closeOpens(opens: Open[], log: Logger): Promise<void> {
  for (const o of opens) {
    try {
      await releaseOpen(o);
    } catch (err) {
      log.debug({ err }, 'close on disconnect failed');
    }
  }
}
