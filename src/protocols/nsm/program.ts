/**
 * The NSM program (100024 v1, XNFS chapter 11) in front of an NsmService.
 * SM_MON, SM_UNMON, SM_UNMON_ALL and SM_SIMU_CRASH change what this host
 * monitors and are, as in rpc.statd, accepted only from the local host;
 * SM_STAT and SM_NOTIFY are open to peers.
 */
import { silentLogger, type Logger } from '../../observability/logger.js';
import { isLoopback } from '../portmap/peer-address.js';
import type { RpcProgram } from '../rpc/types.js';
import {
  decodeMon,
  decodeMonId,
  decodeMyId,
  decodeSmName,
  decodeStatChange,
  encodeStat,
  encodeStatRes,
} from './codec.js';
import { NSM_PROGRAM, NSM_V1, NsmProc, NsmRes } from './constants.js';
import type { NsmService } from './service.js';

export interface NsmProgramOptions {
  service: NsmService;
  logger?: Logger;
}

export function createNsmProgram(opts: NsmProgramOptions): RpcProgram {
  const nsm = opts.service;
  const logger = opts.logger ?? silentLogger;
  const log = 'protocol' in logger.bindings() ? logger : logger.child({ protocol: 'nsm' });
  return {
    prog: NSM_PROGRAM,
    name: 'nsm',
    minVers: NSM_V1,
    maxVers: NSM_V1,
    async handle(call, args, reply) {
      const local = isLoopback(call.peer.address);
      switch (call.proc) {
        case NsmProc.NULL:
          return 'success';
        case NsmProc.STAT: {
          // XNFS §11.3: SM_STAT only reports this host's state; an empty name cannot be monitored.
          const name = decodeSmName(args);
          encodeStatRes(reply, name ? NsmRes.SUCC : NsmRes.FAIL, nsm.state);
          return 'success';
        }
        case NsmProc.MON: {
          const mon = decodeMon(args);
          const ok = local && (await nsm.monitor(mon));
          if (!local) log.warn({ op: 'SM_MON', client: call.peer.address }, 'nsm: SM_MON from a remote host refused');
          encodeStatRes(reply, ok ? NsmRes.SUCC : NsmRes.FAIL, nsm.state);
          return 'success';
        }
        case NsmProc.UNMON: {
          const id = decodeMonId(args);
          if (local) await nsm.unmonitor(id);
          encodeStat(reply, nsm.state);
          return 'success';
        }
        case NsmProc.UNMON_ALL: {
          const id = decodeMyId(args);
          if (local) await nsm.unmonitorAll(id);
          encodeStat(reply, nsm.state);
          return 'success';
        }
        case NsmProc.SIMU_CRASH:
          if (local) await nsm.simulateCrash();
          return 'success';
        case NsmProc.NOTIFY: {
          const change = decodeStatChange(args);
          log.debug({ op: 'SM_NOTIFY', client: call.peer.address, peer: change.monName, state: change.state }, 'nsm');
          await nsm.notified(change.monName, change.state, call.peer.address);
          return 'success';
        }
        default:
          return 'proc_unavail';
      }
    },
    isNonIdempotent: (_vers, proc) => proc === NsmProc.SIMU_CRASH,
  };
}
