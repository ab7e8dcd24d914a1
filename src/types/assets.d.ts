// Files embedded by `with { type: "text" }` / `{ type: "file" }` imports.
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const path: string;
  export default path;
}
