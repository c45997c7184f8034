import type { MedusaContainer } from "@medusajs/framework/types"
import { createUserAccountWorkflow } from "@medusajs/medusa/core-flows"

export const ADMIN_EMAIL = "admin@tienda.pe"
export const ADMIN_PASSWORD = "admin-password-123"

/**
 * Registers an admin through Medusa's own auth routes and returns the headers of a logged-in
 * admin: the same path a real admin takes (emailpass register → user account → login).
 */
export async function adminHeaders(baseUrl: string, container: MedusaContainer) {
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(baseUrl + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    })
    const json = await res.json()
    if (!res.ok) throw new Error(`${path} → ${res.status} ${JSON.stringify(json)}`)
    return json
  }
  const { token: registration } = await post("/auth/user/emailpass/register", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
  const authIdentityId = JSON.parse(Buffer.from(registration.split(".")[1], "base64url").toString()).auth_identity_id
  await createUserAccountWorkflow(container).run({ input: { authIdentityId, userData: { email: ADMIN_EMAIL } } })
  const { token } = await post("/auth/user/emailpass", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
  return { authorization: `Bearer ${token}` }
}
