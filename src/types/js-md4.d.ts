// Types for js-md4@0.3.2 (it ships none): only what DittoFS uses.
declare module 'js-md4' {
  interface Md4 {
    arrayBuffer(message: ArrayBuffer | Uint8Array | string): ArrayBuffer;
    hex(message: ArrayBuffer | Uint8Array | string): string;
  }
  const md4: Md4;
  export default md4;
}
