import { Type } from '@fastify/type-provider-typebox';

/** Shared OpenAPI/JSON schemas of the REST API. */
export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({
      description: 'stable machine-readable code, e.g. NOT_FOUND, VALIDATION_FAILED, UNAUTHENTICATED',
    }),
    message: Type.String(),
  }),
});

export const Name = Type.String({ minLength: 1, maxLength: 64 });
export const Id32 = Type.Integer({ minimum: 0, maximum: 4294967295 });
export const Role = Type.Union([Type.Literal('admin'), Type.Literal('user')]);
export const Level = Type.Union([
  Type.Literal('none'),
  Type.Literal('read'),
  Type.Literal('read-write'),
  Type.Literal('admin'),
]);

export const User = Type.Object({
  name: Type.String(),
  role: Role,
  uid: Type.Integer(),
  gid: Type.Integer(),
  enabled: Type.Boolean(),
  mustChangePassword: Type.Boolean(),
  groups: Type.Array(Type.String()),
  createdAt: Type.String(),
});

export const Group = Type.Object({ name: Type.String(), gid: Type.Integer(), members: Type.Array(Type.String()) });

export const Permission = Type.Object({
  share: Type.String(),
  kind: Type.Union([Type.Literal('user'), Type.Literal('group')]),
  principal: Type.String(),
  level: Level,
});

const S3Settings = Type.Object(
  {
    bucket: Type.String({ minLength: 1, maxLength: 255 }),
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    region: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    forcePathStyle: Type.Optional(Type.Boolean()),
    accessKeyId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    secretAccessKey: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1024, description: 'write-only: shown as "***"' }),
    ),
  },
  { additionalProperties: false },
);

/** Type-specific store settings (docs/control-plane.md "Stores"). */
export const StoreSettings = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'postgres: postgres:// URL; a password in it is shown as "***"',
      }),
    ),
    schema: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'postgres: default dittofs' })),
    chunkSize: Type.Optional(Type.Integer({ description: 'tiered/s3: bytes, 4096 to 16 MiB, default 1 MiB' })),
    localBudgetBytes: Type.Optional(Type.Integer({ description: 'tiered/s3: local-tier bytes before eviction' })),
    s3: Type.Optional(S3Settings),
  },
  { additionalProperties: false },
);

export const Store = Type.Object({
  kind: Type.Union([Type.Literal('metadata'), Type.Literal('block')]),
  name: Type.String(),
  type: Type.String(),
  path: Type.Optional(Type.String()),
  settings: Type.Optional(StoreSettings),
});

export const Durability = Type.Union([
  Type.Literal('writeback'),
  Type.Literal('local-durable'),
  Type.Literal('remote'),
]);

export const ShareOptions = {
  readOnly: Type.Boolean(),
  rootSquash: Type.Boolean(),
  allSquash: Type.Boolean(),
  anonUid: Id32,
  anonGid: Id32,
  requirePrivilegedPort: Type.Boolean(),
  allowedClients: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 256 }),
  /** Absent: local-durable. */
  durability: Type.Optional(Durability),
};

export const Share = Type.Object({
  name: Type.String(),
  source: Type.Union([Type.Literal('config'), Type.Literal('api')]),
  metadataStore: Type.String(),
  blockStore: Type.String(),
  options: Type.Object(ShareOptions),
  exported: Type.Boolean(),
});

export const Adapter = Type.Object({
  name: Type.String(),
  enabled: Type.Boolean(),
  port: Type.Integer(),
  boundPort: Type.Integer(),
  listening: Type.Boolean(),
});

export const Tokens = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer(),
  mustChangePassword: Type.Boolean(),
});

/** Standard error responses of an authenticated route. */
export const authErrors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
};
