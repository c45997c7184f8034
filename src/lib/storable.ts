/**
 * What PostgreSQL's text and jsonb cannot hold though JSON and JavaScript strings can: U+0000
 * and lone UTF-16 surrogates. Dependency-free.
 */
export const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** `text` with each unstorable character replaced by U+FFFD. */
export function storable(text: string): string {
  return text.replace(new RegExp(UNSTORABLE.source, "g"), "\ufffd")
}
