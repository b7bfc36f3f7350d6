/** A server under benchmark, started by this bench and stopped by it. */
export interface BenchServer {
  /** Label in results: "dittofs" (fs blocks, local-durable), "dittofs-mem" (memory blocks), "ganesha". */
  readonly label: string;
  readonly host: string;
  readonly port: number;
  /** MOUNT's port (the same as `port` for DittoFS). */
  readonly mountPort: number;
  /** Path a client mounts. */
  readonly exportPath: string;
  /** Pid of the process that serves (the one whose CPU and memory are measured). */
  readonly pid: number;
  /** Directory the export's data lands in (same filesystem for every server). */
  readonly dataDir: string;
  /** What the server printed (for errors). */
  logs(): Promise<string>;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its temporary files. */
  stop(): Promise<void>;
}
