export * from './types.js';
export { RpcServer, type RpcServerOptions, DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION } from './server.js';
export {
  RpcClient,
  RpcClientError,
  type RpcClientErrorCode,
  type RpcClientOptions,
  type RpcCallOptions,
  type RpcReply,
} from './client.js';
export {
  DEFAULT_MAX_RECORD_SIZE,
  RecordDecoder,
  RecordTooLargeError,
  frameRecord,
  writeRecordMark,
} from './record-marking.js';
export {
  AUTH_ERROR,
  MAX_AUTH_BYTES,
  MAX_AUTH_SYS_GIDS,
  MAX_MACHINE_NAME,
  MSG_ACCEPTED,
  MSG_CALL,
  MSG_DENIED,
  MSG_REPLY,
  RPC_MISMATCH,
  RPC_VERSION,
  type CallHeader,
  type RejectStat,
  decodeAuthSys,
  decodeCallHeader,
  decodeReply,
  encodeAcceptedReply,
  encodeAuthSys,
  encodeCallHeader,
  encodeDeniedReply,
} from './message.js';
export { DuplicateRequestCache, DEFAULT_DRC_ENTRIES, argsChecksum } from './drc.js';
