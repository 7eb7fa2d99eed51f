/** @module Types for files imported `with { type: 'file' }`: Bun hands back their path (embedded by `bun build --compile`). */
declare module '*.mmdb' {
  const path: string;
  export default path;
}
declare module '*.css' {
  const path: string;
  export default path;
}
declare module '*.png' {
  const path: string;
  export default path;
}
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string;
  export default path;
}
declare module 'swagger-ui-dist/swagger-ui-standalone-preset.js' {
  const path: string;
  export default path;
}
