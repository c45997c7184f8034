import Medusa from "@medusajs/js-sdk"

/**
 * The JS SDK as Medusa's docs set it up for admin customizations (src/admin/lib/sdk.ts), with the
 * dashboard's own settings: the backend URL the admin was built with (or this origin) and the same
 * authentication (a session cookie, unless the admin was built for JWT).
 */
export const sdk = new Medusa({
  baseUrl: __BACKEND_URL__ || "/",
  auth: {
    type: __AUTH_TYPE__ ?? "session",
    jwtTokenStorageKey: __JWT_TOKEN_STORAGE_KEY__ || undefined,
  },
})
