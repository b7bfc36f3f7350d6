// The harness itself: a guest boot passes files, environment and exit status
// through, runs ordinary uids, and reaches the host; in TAP mode (root only)
// the host also reaches the guest, which NLM/NFSv4 callback tests rely on.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeE2e, missingForGuest, which } from '../requirements.js';
import { runGuest, SLIRP_HOST_ADDRESS, type GuestResult } from './harness.js';
import { parseSteps } from './steps.js';

const NETNS_SCRIPT = resolve(import.meta.dirname, '..', '..', '..', 'scripts', 'e2e', 'netns.sh');

describeE2e('e2e guest harness (slirp network)', missingForGuest(), () => {
  let guest: GuestResult;
  let received = '';
  let server: Server;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'dfs-harness-'));
    await writeFile(join(work, 'payload.txt'), 'payload from the host\n');
    server = createServer((sock) => sock.on('data', (d) => (received += d.toString())));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    guest = await runGuest({
      script: [
        '#!/bin/sh',
        '. /lib/dfs/steps.sh',
        'files() { expect_eq "$(cat /data/payload.txt)" "payload from the host" "guest file"; }',
        `envvars() { expect_eq "$GREETING" "it's a test" "quoted env value"; expect_eq "$HARNESS_HOST" 10.0.2.2 host; }`,
        'users() { expect_eq "$(runas 1000 1001 id -u):$(runas 1000 1001 id -g)" 1000:1001 "runas ids"; }',
        `network() { echo hello-host | nc -w 5 "$HARNESS_HOST" ${port}; }`,
        'step files files',
        'step env envvars',
        'step runas users',
        'step network network',
        'exit 7',
      ].join('\n'),
      files: [{ host: join(work, 'payload.txt'), guest: '/data/payload.txt' }],
      env: { GREETING: "it's a test" },
      timeoutSec: 90,
      logName: 'harness-slirp',
    });
  });

  afterAll(async () => {
    server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("returns the test script's exit status", () => {
    expect(guest.timedOut).toBe(false);
    expect(guest.rc, guest.log).toBe(7);
  });

  it('passes files, environment and ordinary uids into the guest', () => {
    const steps = parseSteps(guest.log).steps;
    for (const name of ['files', 'env', 'runas']) expect(steps.get(name)?.ok, `${name}\n${guest.log}`).toBe(true);
  });

  it(`lets the guest reach the host's 127.0.0.1 as ${SLIRP_HOST_ADDRESS}`, () => {
    expect(parseSteps(guest.log).steps.get('network')?.ok, guest.log).toBe(true);
    expect(received).toBe('hello-host\n');
  });
});

// TAP needs CAP_NET_ADMIN: as non-root this suite is skipped, never failed.
const isRoot = process.getuid?.() === 0;
const describeTap = isRoot
  ? describeE2e
  : (name: string, _missing: string[], body: () => void) => describe.skip(`${name} (skipped: needs root)`, body);

describeTap(
  'e2e guest harness (TAP in a network namespace)',
  [...missingForGuest(), ...(which('ip') ? [] : ['ip (apt package iproute2)'])],
  () => {
    const netns = `dfs-e2e-${process.pid}`;
    let guest: GuestResult;
    let hostToGuest = '';

    beforeAll(async () => {
      const up = spawnSync(NETNS_SCRIPT, ['up', netns], { encoding: 'utf8' });
      if (up.status !== 0) throw new Error(`netns.sh up failed: ${up.stderr}`);
      const run = runGuest({
        script: [
          '#!/bin/sh',
          // serves one connection from the host side, then checks the other direction
          'echo hello-from-guest | timeout 60 nc -l -p 7000',
          'ping -c 1 -W 3 "$HARNESS_HOST" > /dev/null && echo PING-OK',
        ].join('\n'),
        net: { mode: 'tap', netns },
        timeoutSec: 90,
        logName: 'harness-tap',
      });
      // Connect from inside the namespace to the guest's listener.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !hostToGuest.includes('hello-from-guest')) {
        const r = spawnSync('ip', ['netns', 'exec', netns, 'busybox', 'nc', '-w', '2', '192.168.77.2', '7000'], {
          encoding: 'utf8',
          input: '',
          timeout: 5000,
        });
        hostToGuest += r.stdout ?? '';
        if (!hostToGuest) await new Promise((r2) => setTimeout(r2, 500));
      }
      guest = await run;
    });

    afterAll(() => {
      spawnSync(NETNS_SCRIPT, ['down', netns]);
    });

    it('lets the host side open a connection to the guest', () => {
      expect(hostToGuest, guest.log).toContain('hello-from-guest');
    });

    it('lets the guest reach the host address in the namespace', () => {
      expect(guest.log).toContain('PING-OK');
      expect(guest.rc).toBe(0);
    });
  },
);
