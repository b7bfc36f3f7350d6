export { PortmapRegistry, IPPROTO_TCP, IPPROTO_UDP, netidProtocol } from './registry.js';
export type { Mapping, MappingInput, PortmapProtocol } from './registry.js';
export { createPortmapProgram, PMAP_PROG, type PortmapProgramOptions } from './program.js';
export { toUniversalAddress, parseUniversalAddress } from './universal-address.js';
