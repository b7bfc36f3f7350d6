import { DEFAULT_API_PORT, DEFAULT_PORT } from './config.js';

/**
 * The file `dfs init` writes: every key with its default and what it does.
 * It must parse (parseConfig) to exactly the defaults; a test checks this.
 */
export function defaultConfigYaml(): string {
  return `# DittoFS server configuration (docs/configuration.md).
# Every key is optional; a DITTOFS_* environment variable overrides each one
# (e.g. DITTOFS_PORT, DITTOFS_LOG_LEVEL, DITTOFS_API_PORT; \`dfs config env\` lists them all).
# Check a file with: dfs config validate FILE

# Address the NFS listener binds to.
host: 0.0.0.0
# One TCP and UDP port for NFSv3, MOUNT and portmap.
port: ${DEFAULT_PORT}
# Extra port answering portmap only (111 lets clients find services the standard way; needs root). 0 = off.
portmapPort: 0
# fatal, error, warn, info, debug, trace or silent. Logs are JSON lines on stderr.
logLevel: info
# Where stores and the control-plane database live (default $XDG_DATA_HOME/dittofs or ~/.local/share/dittofs).
# dataDir: /var/lib/dittofs
# Largest READ/WRITE offered to clients (bytes).
maxIo: 1048576
# Largest RPC record accepted (bytes); at least maxIo + 4096.
maxRecordSize: 4194304

# Shares defined here are managed by this file: they are exported at every start and are
# read-only through the REST API (docs/control-plane.md). Shares created with dfsctl live in
# the control-plane database.
shares:
  - name: /export
    # Metadata store: lmdb (on disk, default path dataDir/metadata/<name>) or memory.
    metadata: { type: lmdb }
    # Block store: fs (default path dataDir/blocks/<name>) or memory.
    blocks: { type: fs }
    readOnly: false
    rootSquash: true
    allSquash: false
    anonUid: 65534
    anonGid: 65534
    requirePrivilegedPort: false
    # IPv4 addresses or CIDR blocks allowed to mount; empty = everyone.
    allowedClients: []

# REST control plane used by dfsctl. Listens on localhost unless configured otherwise.
api:
  enabled: true
  host: 127.0.0.1
  port: ${DEFAULT_API_PORT}
  accessTokenSeconds: 900
  refreshTokenSeconds: 604800

# Control-plane database (users, groups, permissions, API-made shares, stores, adapters).
# sqlite: one node. postgres: several nodes share one database and act as one cluster: a change
# made through any node's API takes effect on every node (docs/control-plane.md "Several nodes").
database:
  type: sqlite
  # path: /var/lib/dittofs/controlplane.db   # default dataDir/controlplane.db
  # type: postgres
  # url: postgresql://dittofs:PASSWORD@db.example:5432/dittofs   # or set DITTOFS_DATABASE_URL
  # schema: dittofs_cp                        # tables live in this schema, created if missing
`;
}
