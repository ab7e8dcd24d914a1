// Types for `import path from "../../static/live-rows.js" with { type: "file" }` (src/web/static-routes.ts):
// a file import yields the file's path, not a module. Not served.
declare const path: string;
export default path;
