import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import type { RemoteChunkStore } from '../chunked/tiers.js';
import { chunkRelPath } from '../chunked/tiers.js';

export interface S3RemoteOptions {
  bucket: string;
  /** Key prefix inside the bucket (e.g. "dittofs/export/"); chunks live under `<prefix>chunks/`. */
  prefix?: string;
  /** Custom endpoint for S3-compatible stores (MinIO, Ceph, s3rver), e.g. http://127.0.0.1:9000. */
  endpoint?: string;
  /** Default: AWS_REGION / AWS_DEFAULT_REGION, else us-east-1. */
  region?: string;
  /** Path-style addressing (bucket in the path): most S3-compatible servers need it. */
  forcePathStyle?: boolean;
  /** Static credentials; without them the SDK's default chain (AWS_ACCESS_KEY_ID, profiles, instance roles) applies. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Per-request timeout (ms, default 30000), so a hung store surfaces as an error the syncer retries. */
  requestTimeoutMs?: number;
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

/** Remote chunk tier on an S3 bucket: one object per chunk at `<prefix>chunks/<ab>/<hash>`. */
export class S3Remote implements RemoteChunkStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly base: string;

  constructor(opts: S3RemoteOptions) {
    // The SDK warns on Node 20 about its releases from 2027 on; the project
    // pins a release that supports Node 20 (see package.json), so the
    // warning tells operators nothing actionable.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.bucket = opts.bucket;
    this.base = `${opts.prefix ?? ''}chunks/`;
    const cfg: S3ClientConfig = {
      region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? false,
      // S3-compatible servers store streamed bodies with aws-chunked framing
      // (corrupt objects) unless checksums are only sent when an API requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The syncer does its own retries with backoff; keep the SDK's short.
      maxAttempts: 2,
      requestHandler: { requestTimeout: opts.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
    };
    if (opts.endpoint !== undefined) cfg.endpoint = opts.endpoint;
    if (opts.credentials !== undefined) cfg.credentials = opts.credentials;
    this.client = new S3Client(cfg);
  }

  private key(hash: string): string {
    return this.base + chunkRelPath(hash);
  }

  async put(hash: string, data: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.key(hash), Body: data, ContentLength: data.length }),
    );
  }

  async get(hash: string): Promise<Buffer | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(hash) }));
      if (out.Body === undefined) return Buffer.alloc(0);
      const bytes = await out.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async delete(hash: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(hash) }));
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.base, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(o.Key.lastIndexOf('/') + 1);
        if (name !== undefined && /^[0-9a-f]{64}$/.test(name)) out.push(name);
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
