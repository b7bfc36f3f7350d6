/**
 * A small SMB2 client for protocol tests: frames requests by hand over TCP,
 * matches responses by MessageId, and offers the commands the tests use.
 * It trusts nothing it does not check: responses are decoded with the
 * server's own header codec only for field access.
 */
import * as net from 'node:net';
import { FrameDecoder, frameHeader } from '../../../src/protocols/smb2/framing.js';
import { decodeHeader, type Smb2Header } from '../../../src/protocols/smb2/header.js';
import {
  Command,
  FLAGS_ASYNC_COMMAND,
  FLAGS_RELATED_OPERATIONS,
  FLAGS_SIGNED,
} from '../../../src/protocols/smb2/constants.js';
import type { Smb2Signing } from '../../../src/protocols/smb2/context.js';

const STATUS_PENDING = 0x00000103;

export interface Smb2Response {
  hdr: Smb2Header;
  status: number;
  /** The whole response message (header included); body offsets count from its start. */
  msg: Buffer;
  /** The body after the 64-byte header. */
  body: Buffer;
}

export interface RequestOptions {
  treeId?: number;
  sessionId?: bigint;
  creditCharge?: number;
  creditRequest?: number;
  flags?: number;
  /** Force a MessageId (credit-window tests). */
  messageId?: bigint;
}

export interface Smb2FileId {
  persistent: bigint;
  volatile: bigint;
}

export const RELATED_FILE_ID: Smb2FileId = { persistent: 0xffffffffffffffffn, volatile: 0xffffffffffffffffn };

function header(cmd: number, messageId: bigint, o: RequestOptions & { treeId: number; sessionId: bigint }): Buffer {
  const h = Buffer.alloc(64);
  h.writeUInt32LE(0x424d53fe, 0);
  h.writeUInt16LE(64, 4);
  h.writeUInt16LE(o.creditCharge ?? 1, 6);
  h.writeUInt16LE(cmd, 12);
  h.writeUInt16LE(o.creditRequest ?? 32, 14);
  h.writeUInt32LE(o.flags ?? 0, 16);
  h.writeBigUInt64LE(messageId, 24);
  h.writeUInt32LE(o.treeId, 36);
  h.writeBigUInt64LE(o.sessionId, 40);
  return h;
}

export function utf16(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}

export class Smb2TestClient {
  nextMessageId = 0n;
  sessionId = 0n;
  treeId = 0;
  dialect = 0;
  /** Set to sign every request (and check signed responses) once a session key exists. */
  signing?: { engine: Smb2Signing; key: Buffer };
  closed = false;
  private readonly pending = new Map<bigint, (r: Smb2Response) => void>();
  /** Interim STATUS_PENDING responses of async commands (MS-SMB2 §3.3.4.2), by MessageId. */
  private readonly interims = new Map<bigint, (r: Smb2Response) => void>();
  private readonly decoder = new FrameDecoder(16 * 1024 * 1024);
  /** Raw frames received (for tests of framing). */
  readonly frames: Buffer[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      for (const f of this.decoder.push(d)) this.onFrame(f);
    });
    socket.on('close', () => {
      this.closed = true;
      for (const [, resolve] of this.pending) resolve(undefined as never);
      this.pending.clear();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<Smb2TestClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new Smb2TestClient(socket);
  }

  private onFrame(frame: Buffer): void {
    this.frames.push(frame);
    // Encrypted (TRANSFORM_HEADER) replies are left to the test that expects them.
    if (frame.length >= 4 && frame.readUInt32LE(0) === 0x424d53fd) return;
    let off = 0;
    for (;;) {
      const hdr = decodeHeader(frame, off);
      const end = hdr.nextCommand ? off + hdr.nextCommand : frame.length;
      const msg = frame.subarray(off, end);
      const res = { hdr, status: hdr.status, msg, body: msg.subarray(64) };
      const interim = this.interims.get(hdr.messageId);
      if (interim && hdr.status === STATUS_PENDING && (hdr.flags & FLAGS_ASYNC_COMMAND) !== 0) {
        // The final response follows with the same MessageId.
        this.interims.delete(hdr.messageId);
        interim(res);
      } else {
        const resolve = this.pending.get(hdr.messageId);
        this.pending.delete(hdr.messageId);
        resolve?.(res);
      }
      if (!hdr.nextCommand) break;
      off = end;
    }
  }

  /** Build one request message (header + body); MessageIds advance by CreditCharge. */
  build(cmd: number, body: Buffer, o: RequestOptions = {}): { msg: Buffer; messageId: bigint } {
    const charge = o.creditCharge ?? 1;
    const messageId = o.messageId ?? this.nextMessageId;
    if (o.messageId === undefined) this.nextMessageId += BigInt(Math.max(1, charge));
    const msg = Buffer.concat([
      header(cmd, messageId, { ...o, treeId: o.treeId ?? this.treeId, sessionId: o.sessionId ?? this.sessionId }),
      body,
    ]);
    if (this.signing && cmd !== Command.SESSION_SETUP && cmd !== Command.NEGOTIATE) {
      msg.writeUInt32LE(msg.readUInt32LE(16) | FLAGS_SIGNED, 16);
      this.signing.engine.sign(this.dialect, this.signing.key, msg);
    }
    return { msg, messageId };
  }

  /** Send raw bytes (already framed or not: the caller decides). */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  private expect(messageId: bigint): Promise<Smb2Response> {
    return new Promise((resolve) => this.pending.set(messageId, resolve));
  }

  async request(cmd: number, body: Buffer, o: RequestOptions = {}): Promise<Smb2Response> {
    const { msg, messageId } = this.build(cmd, body, o);
    const p = this.expect(messageId);
    this.socket.write(Buffer.concat([frameHeader(msg.length), msg]));
    return p;
  }

  /**
   * Send a command that may go async: `interim` resolves with the interim
   * STATUS_PENDING response (never, if the command completes at once),
   * `final` with the final response either way.
   */
  requestAsync(
    cmd: number,
    body: Buffer,
    o: RequestOptions = {},
  ): { messageId: bigint; interim: Promise<Smb2Response>; final: Promise<Smb2Response> } {
    const { msg, messageId } = this.build(cmd, body, o);
    const interim = new Promise<Smb2Response>((resolve) => this.interims.set(messageId, resolve));
    const final = this.expect(messageId);
    this.socket.write(Buffer.concat([frameHeader(msg.length), msg]));
    return { messageId, interim, final };
  }

  /** SMB2 CANCEL (MS-SMB2 §2.2.30) of an async command by AsyncId, or of a request by MessageId. */
  cancel(target: { asyncId: bigint } | { messageId: bigint }): void {
    const body = Buffer.from([4, 0, 0, 0]);
    const async = 'asyncId' in target;
    const { msg } = this.build(Command.CANCEL, body, {
      messageId: async ? 0n : target.messageId,
      creditCharge: 0,
      flags: async ? FLAGS_ASYNC_COMMAND : 0,
    });
    if (async) msg.writeBigUInt64LE(target.asyncId, 32);
    if (this.signing) this.signing.engine.sign(this.dialect, this.signing.key, msg.fill(0, 48, 64));
    this.socket.write(Buffer.concat([frameHeader(msg.length), msg]));
  }

  /** Send several commands as one compound (MS-SMB2 §3.2.4.1.4); `related` marks all but the first related. */
  async compound(
    parts: { cmd: number; body: Buffer; o?: RequestOptions }[],
    related: boolean,
  ): Promise<Smb2Response[]> {
    const msgs: Buffer[] = [];
    const waits: Promise<Smb2Response>[] = [];
    parts.forEach((p, i) => {
      const flags = (p.o?.flags ?? 0) | (related && i > 0 ? FLAGS_RELATED_OPERATIONS : 0);
      const { msg, messageId } = this.build(p.cmd, p.body, { ...p.o, flags });
      waits.push(this.expect(messageId));
      msgs.push(msg);
    });
    for (let i = 0; i < msgs.length - 1; i++) {
      const padded = Buffer.alloc((msgs[i].length + 7) & ~7);
      msgs[i].copy(padded);
      padded.writeUInt32LE(padded.length, 20);
      msgs[i] = padded;
    }
    const all = Buffer.concat(msgs);
    this.socket.write(Buffer.concat([frameHeader(all.length), all]));
    return Promise.all(waits);
  }

  /** A 3.1.1 NEGOTIATE body with PREAUTH, SIGNING and ENCRYPTION (AES-128-GCM, AES-128-CCM) contexts. */
  negotiateBodyFor311(): Buffer {
    return this.negotiateBody([0x0311], { encryption: true });
  }

  async negotiate(dialects: number[], opts: { securityMode?: number; contexts?: boolean } = {}): Promise<Smb2Response> {
    const res = await this.request(Command.NEGOTIATE, this.negotiateBody(dialects, opts), { creditCharge: 0 });
    if (res.status === 0) this.dialect = res.body.readUInt16LE(4);
    return res;
  }

  negotiateBody(
    dialects: number[],
    opts: { securityMode?: number; contexts?: boolean; encryption?: boolean } = {},
  ): Buffer {
    const fixed = Buffer.alloc(36);
    fixed.writeUInt16LE(36, 0);
    fixed.writeUInt16LE(dialects.length, 2);
    fixed.writeUInt16LE(opts.securityMode ?? 1, 4);
    fixed.writeUInt32LE(0x7f, 8);
    Buffer.from('0123456789abcdef').copy(fixed, 12);
    const list = Buffer.alloc(dialects.length * 2);
    dialects.forEach((d, i) => list.writeUInt16LE(d, i * 2));
    let body = Buffer.concat([fixed, list]);
    if (dialects.includes(0x0311) && opts.contexts !== false) {
      const pad = Buffer.alloc(((64 + body.length + 7) & ~7) - (64 + body.length));
      const ctxOffset = 64 + body.length + pad.length;
      // PREAUTH_INTEGRITY_CAPABILITIES: SHA-512 with a 32-byte salt.
      const preauth = Buffer.alloc(8 + 38);
      preauth.writeUInt16LE(1, 0);
      preauth.writeUInt16LE(38, 2);
      preauth.writeUInt16LE(1, 8);
      preauth.writeUInt16LE(32, 10);
      preauth.writeUInt16LE(1, 12);
      const pad2 = Buffer.alloc(2);
      // SIGNING_CAPABILITIES: AES-CMAC.
      const signing = Buffer.alloc(8 + 4);
      signing.writeUInt16LE(8, 0);
      signing.writeUInt16LE(4, 2);
      signing.writeUInt16LE(1, 8);
      signing.writeUInt16LE(1, 10);
      body.writeUInt32LE(ctxOffset, 28);
      body.writeUInt16LE(opts.encryption ? 3 : 2, 32);
      body = Buffer.concat([body, pad, preauth, pad2, signing]);
      if (opts.encryption) {
        // ENCRYPTION_CAPABILITIES: AES-128-GCM, AES-128-CCM (8-aligned after the 12-byte signing context).
        const enc = Buffer.alloc(4 + 8 + 6);
        enc.writeUInt16LE(2, 4);
        enc.writeUInt16LE(6, 6);
        enc.writeUInt16LE(2, 12);
        enc.writeUInt16LE(2, 14);
        enc.writeUInt16LE(1, 16);
        body = Buffer.concat([body, enc]);
      }
    }
    return body;
  }

  async sessionSetup(blob: Buffer, securityMode = 1): Promise<Smb2Response> {
    const fixed = Buffer.alloc(24);
    fixed.writeUInt16LE(25, 0);
    fixed.writeUInt8(securityMode, 3);
    fixed.writeUInt16LE(64 + 24, 12);
    fixed.writeUInt16LE(blob.length, 14);
    const res = await this.request(Command.SESSION_SETUP, Buffer.concat([fixed, blob]));
    if (res.status === 0 || res.status === 0xc0000016) this.sessionId = res.hdr.sessionId;
    return res;
  }

  /** The security buffer of a SESSION_SETUP response. */
  static securityBuffer(res: Smb2Response): Buffer {
    const off = res.body.readUInt16LE(4);
    const len = res.body.readUInt16LE(6);
    return res.msg.subarray(off, off + len);
  }

  async treeConnect(path: string): Promise<Smb2Response> {
    const name = utf16(path);
    const fixed = Buffer.alloc(8);
    fixed.writeUInt16LE(9, 0);
    fixed.writeUInt16LE(64 + 8, 4);
    fixed.writeUInt16LE(name.length, 6);
    const res = await this.request(Command.TREE_CONNECT, Buffer.concat([fixed, name]));
    if (res.status === 0) this.treeId = res.hdr.treeId;
    return res;
  }

  createBody(name: string, o: CreateBodyOptions = {}): Buffer {
    return createRequestBody(name, o);
  }

  async create(
    name: string,
    o: { access?: number; disposition?: number; options?: number; contexts?: Buffer } = {},
  ): Promise<Smb2Response & { fileId: Smb2FileId; action: number }> {
    const res = await this.request(Command.CREATE, this.createBody(name, o));
    const fileId =
      res.status === 0
        ? { persistent: res.body.readBigUInt64LE(64), volatile: res.body.readBigUInt64LE(72) }
        : { persistent: 0n, volatile: 0n };
    return { ...res, fileId, action: res.status === 0 ? res.body.readUInt32LE(4) : -1 };
  }

  static fileIdBytes(f: Smb2FileId): Buffer {
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(f.persistent, 0);
    b.writeBigUInt64LE(f.volatile, 8);
    return b;
  }

  closeBody(f: Smb2FileId, postquery = false): Buffer {
    const b = Buffer.alloc(24);
    b.writeUInt16LE(24, 0);
    b.writeUInt16LE(postquery ? 1 : 0, 2);
    Smb2TestClient.fileIdBytes(f).copy(b, 8);
    return b;
  }

  close(f: Smb2FileId, postquery = false): Promise<Smb2Response> {
    return this.request(Command.CLOSE, this.closeBody(f, postquery));
  }

  writeBody(f: Smb2FileId, offset: number, data: Buffer, flags = 0): Buffer {
    const b = Buffer.alloc(48);
    b.writeUInt16LE(49, 0);
    b.writeUInt16LE(64 + 48, 2);
    b.writeUInt32LE(data.length, 4);
    b.writeBigUInt64LE(BigInt(offset), 8);
    Smb2TestClient.fileIdBytes(f).copy(b, 16);
    b.writeUInt32LE(flags, 44);
    return Buffer.concat([b, data]);
  }

  write(f: Smb2FileId, offset: number, data: Buffer, o: RequestOptions = {}): Promise<Smb2Response> {
    return this.request(Command.WRITE, this.writeBody(f, offset, data), {
      creditCharge: Math.max(1, Math.ceil(data.length / 65536)),
      ...o,
    });
  }

  readBody(f: Smb2FileId, offset: number, length: number): Buffer {
    const b = Buffer.alloc(49);
    b.writeUInt16LE(49, 0);
    b.writeUInt32LE(length, 4);
    b.writeBigUInt64LE(BigInt(offset), 8);
    Smb2TestClient.fileIdBytes(f).copy(b, 16);
    return b;
  }

  async read(
    f: Smb2FileId,
    offset: number,
    length: number,
    o: RequestOptions = {},
  ): Promise<Smb2Response & { data: Buffer }> {
    const res = await this.request(Command.READ, this.readBody(f, offset, length), {
      creditCharge: Math.max(1, Math.ceil(length / 65536)),
      ...o,
    });
    const data =
      res.status === 0 ? res.msg.subarray(res.body[2], res.body[2] + res.body.readUInt32LE(4)) : Buffer.alloc(0);
    return { ...res, data };
  }

  flush(f: Smb2FileId): Promise<Smb2Response> {
    const b = Buffer.alloc(24);
    b.writeUInt16LE(24, 0);
    Smb2TestClient.fileIdBytes(f).copy(b, 8);
    return this.request(Command.FLUSH, b);
  }

  queryDirectoryBody(f: Smb2FileId, pattern: string, infoClass: number, flags = 0, outputLength = 65536): Buffer {
    const nm = utf16(pattern);
    const b = Buffer.alloc(32);
    b.writeUInt16LE(33, 0);
    b.writeUInt8(infoClass, 2);
    b.writeUInt8(flags, 3);
    Smb2TestClient.fileIdBytes(f).copy(b, 8);
    b.writeUInt16LE(64 + 32, 24);
    b.writeUInt16LE(nm.length, 26);
    b.writeUInt32LE(outputLength, 28);
    return Buffer.concat([b, nm.length ? nm : Buffer.alloc(1)]);
  }

  /** QUERY_DIRECTORY; `names` decodes the entries of any class whose FileNameLength sits at byte 60 (or 8 for FileNames). */
  async queryDirectory(
    f: Smb2FileId,
    pattern: string,
    infoClass = 37,
    flags = 0,
    outputLength = 65536,
  ): Promise<Smb2Response & { names: string[]; data: Buffer }> {
    const res = await this.request(
      Command.QUERY_DIRECTORY,
      this.queryDirectoryBody(f, pattern, infoClass, flags, outputLength),
    );
    if (res.status !== 0) return { ...res, names: [], data: Buffer.alloc(0) };
    const off = res.body.readUInt16LE(2);
    const data = res.msg.subarray(off, off + res.body.readUInt32LE(4));
    const nameAt: Record<number, number> = { 1: 64, 2: 68, 3: 94, 12: 12, 37: 104, 38: 80 };
    const names: string[] = [];
    let pos = 0;
    for (;;) {
      const len = data.readUInt32LE(pos + (infoClass === 12 ? 8 : 60));
      names.push(data.toString('utf16le', pos + nameAt[infoClass], pos + nameAt[infoClass] + len));
      const next = data.readUInt32LE(pos);
      if (!next) break;
      pos += next;
    }
    return { ...res, names, data };
  }

  async queryInfo(
    f: Smb2FileId,
    infoType: number,
    infoClass: number,
    outputLength = 65536,
    additional = 0,
  ): Promise<Smb2Response & { data: Buffer }> {
    const b = Buffer.alloc(41);
    b.writeUInt16LE(41, 0);
    b.writeUInt8(infoType, 2);
    b.writeUInt8(infoClass, 3);
    b.writeUInt32LE(outputLength, 4);
    b.writeUInt32LE(additional, 16);
    Smb2TestClient.fileIdBytes(f).copy(b, 24);
    const res = await this.request(Command.QUERY_INFO, b);
    const ok = res.status === 0 || res.status === 0x80000005;
    const data = ok
      ? res.msg.subarray(res.body.readUInt16LE(2), res.body.readUInt16LE(2) + res.body.readUInt32LE(4))
      : Buffer.alloc(0);
    return { ...res, data };
  }

  setInfo(f: Smb2FileId, infoClass: number, data: Buffer, infoType = 1): Promise<Smb2Response> {
    const b = Buffer.alloc(32);
    b.writeUInt16LE(33, 0);
    b.writeUInt8(infoType, 2);
    b.writeUInt8(infoClass, 3);
    b.writeUInt32LE(data.length, 4);
    b.writeUInt16LE(64 + 32, 8);
    Smb2TestClient.fileIdBytes(f).copy(b, 16);
    return this.request(Command.SET_INFO, Buffer.concat([b, data]));
  }

  /** FileRenameInformation (SMB2 form) body for SET_INFO. */
  static renameInfo(target: string, replace = false): Buffer {
    const nm = utf16(target);
    const b = Buffer.alloc(20);
    b.writeUInt8(replace ? 1 : 0, 0);
    b.writeUInt32LE(nm.length, 16);
    return Buffer.concat([b, nm]);
  }

  ioctl(ctlCode: number, f: Smb2FileId, input: Buffer, maxOutput = 1024): Promise<Smb2Response> {
    const b = Buffer.alloc(56);
    b.writeUInt16LE(57, 0);
    b.writeUInt32LE(ctlCode, 4);
    Smb2TestClient.fileIdBytes(f).copy(b, 8);
    b.writeUInt32LE(64 + 56, 24);
    b.writeUInt32LE(input.length, 28);
    b.writeUInt32LE(maxOutput, 44);
    b.writeUInt32LE(1, 48);
    return this.request(Command.IOCTL, Buffer.concat([b, input]));
  }

  echo(o: RequestOptions = {}): Promise<Smb2Response> {
    return this.request(Command.ECHO, Buffer.from([4, 0, 0, 0]), o);
  }

  logoff(): Promise<Smb2Response> {
    return this.request(Command.LOGOFF, Buffer.from([4, 0, 0, 0]));
  }

  treeDisconnect(): Promise<Smb2Response> {
    return this.request(Command.TREE_DISCONNECT, Buffer.from([4, 0, 0, 0]));
  }

  /** Resolves when the server closes the connection (or after `ms`, to false). */
  waitClosed(ms = 2000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  async end(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }
}

export interface CreateBodyOptions {
  access?: number;
  /** ShareAccess (default read | write | delete). */
  share?: number;
  /** 1 = OPEN, 3 = OPEN_IF (default), 2 = CREATE, 5 = OVERWRITE_IF. */
  disposition?: number;
  options?: number;
  /** RequestedOplockLevel (default none). */
  oplock?: number;
  contexts?: Buffer;
}

/** MS-SMB2 §2.2.13 CREATE request body (create contexts 8-aligned after the name). */
export function createRequestBody(name: string, o: CreateBodyOptions = {}): Buffer {
  const nm = utf16(name);
  const fixed = Buffer.alloc(56);
  fixed.writeUInt16LE(57, 0);
  fixed.writeUInt8(o.oplock ?? 0, 3);
  fixed.writeUInt32LE(2, 4);
  fixed.writeUInt32LE(o.access ?? 0x0012019f, 24);
  fixed.writeUInt32LE(o.share ?? 0x7, 32);
  fixed.writeUInt32LE(o.disposition ?? 3, 36);
  fixed.writeUInt32LE(o.options ?? 0, 40);
  fixed.writeUInt16LE(64 + 56, 44);
  fixed.writeUInt16LE(nm.length, 46);
  let tail = nm.length ? nm : Buffer.alloc(1);
  if (o.contexts) {
    const pad = Buffer.alloc(((56 + tail.length + 7) & ~7) - (56 + tail.length));
    fixed.writeUInt32LE(64 + 56 + tail.length + pad.length, 48);
    fixed.writeUInt32LE(o.contexts.length, 52);
    tail = Buffer.concat([tail, pad, o.contexts]);
  }
  return Buffer.concat([fixed, tail]);
}
