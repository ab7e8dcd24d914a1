// `with { type: "file" }` imports of vendored files yield their path (embedded in the executable).
declare module "htmx.org/dist/htmx.min.js" {
  const path: string;
  export default path;
}

declare module "*.svg" {
  const path: string;
  export default path;
}
