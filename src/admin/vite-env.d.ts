// Globals the admin bundler (@medusajs/admin-bundler) defines for every admin module, the
// dashboard's and the extensions' alike.
declare const __BACKEND_URL__: string | undefined
declare const __AUTH_TYPE__: "session" | "jwt" | undefined
declare const __JWT_TOKEN_STORAGE_KEY__: string | undefined
