/** @module Types for files imported `with { type: 'file' }`: Bun hands back their path (embedded by `bun build --compile`). */
declare module '*.mmdb' {
  const path: string;
  export default path;
}
