import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { createUserAccountWorkflow } from "@medusajs/medusa/core-flows"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ADMIN_EMAIL, ADMIN_PASSWORD } from "../helpers/admin"
import { useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * RBAC (issue #14) with Medusa's flag on (MEDUSA_FF_RBAC=true): the plugin's routes that move money
 * need `refund:create`, the policy of Medusa's own POST /admin/payments/:id/refund; the others need
 * read policies (src/api/admin/pagoefectivo/policies.ts). A staff role with read policies only gets
 * 403 from the batch and manual routes (and nothing is refunded); with a role that has
 * `refund:create` (registered by src/policies/pagoefectivo.ts), 200.
 *
 * The flag is set before the app boots (through useSandbox: the runner reads medusa-config.ts, which
 * enables Medusa's RBAC module by the flag, before it applies its own `env`). A refund refused by
 * PagoEfectivo with 403/601 awaits a bank transfer (manualRefundFallback), for the manual routes.
 */
const sandbox = useSandbox({ MEDUSA_FF_RBAC: "true", PAGOEFECTIVO_MANUAL_REFUND_FALLBACK: "true" })

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)

    const http = (method: string, path: string, headers: Record<string, string>, body?: unknown) => shop.call(method, path, body, headers)
    const login = async (email: string, password: string) => {
      const res = await http("POST", "/auth/user/emailpass", {}, { email, password })
      expect(res.status).toBe(200)
      return { authorization: `Bearer ${res.body.token}` }
    }
    /** A user registered through Medusa's auth routes, as an invited staff member would be. */
    const createUser = async (email: string, password: string) => {
      const { body } = await http("POST", "/auth/user/emailpass/register", {}, { email, password })
      const authIdentityId = JSON.parse(Buffer.from(body.token.split(".")[1], "base64url").toString()).auth_identity_id
      const { result } = await createUserAccountWorkflow(getContainer()).run({ input: { authIdentityId, userData: { email } } })
      return result.id as string
    }

    beforeEach(async () => {
      // The first admin gets Medusa's super admin role, as `medusa user` gives it with the flag on
      // (its token carries its roles, so it logs in again afterwards).
      const [admin] = await getContainer().resolve(Modules.USER).listUsers({ email: ADMIN_EMAIL })
      await getContainer().resolve(ContainerRegistrationKeys.LINK).create({ [Modules.USER]: { user_id: admin.id }, [Modules.RBAC]: { rbac_role_id: "role_super_admin" } })
      shop.admin = await login(ADMIN_EMAIL, ADMIN_PASSWORD)
    })

    /** A role with these policies (by key), created and given to a new staff user through Medusa's admin API; answers the user's headers. */
    const staffWith = async (email: string, keys: string[][]) => {
      const userId = await createUser(email, "staff-password-123")
      const roles: string[] = []
      for (const [i, set] of keys.entries()) {
        const { body } = await http("GET", `/admin/rbac/policies?${set.map((k) => `key[]=${encodeURIComponent(k)}`).join("&")}&limit=50`, shop.admin)
        expect(body.policies.map((p: any) => p.key).sort()).toEqual([...set].sort())
        const role = await http("POST", "/admin/rbac/roles", shop.admin, { name: `${email} ${i}`, policy_ids: body.policies.map((p: any) => p.id) })
        expect(role.status).toBe(200)
        roles.push(role.body.role.id)
      }
      if (roles.length) expect((await http("POST", `/admin/users/${userId}/roles`, shop.admin, { roles })).status).toBe(200)
      return login(email, "staff-password-123")
    }

    const READ = ["payment:read", "order:read"]

    it("a read-only staff role: the reads answer 200, the batch and manual routes (and Medusa's own refund) 403, and nothing is refunded", async () => {
      const { orderId, paymentId } = await shop.paidOrder()
      // a refund awaiting a bank transfer: PagoEfectivo's 403/601 with manualRefundFallback
      await sandbox.config({ refundsEnabled: false })
      expect((await shop.refund(paymentId, 20)).status).toBe(200)
      await sandbox.config({ refundsEnabled: true })
      const [awaiting] = await shop.pe().listPagoEfectivoRefunds({ order_id: orderId })
      expect(awaiting.status).toBe("awaiting_transfer")

      const staff = await staffWith("lectura@tienda.pe", [READ])
      for (const path of [`/admin/pagoefectivo/orders/${orderId}`, "/admin/pagoefectivo/attention", "/admin/pagoefectivo/notifications", "/admin/pagoefectivo/health", "/admin/pagoefectivo/reconcile-runs"]) {
        expect([path, (await http("GET", path, staff)).status]).toEqual([path, 200])
      }
      const forbidden = { type: "forbidden", message: "Insufficient permissions. Required policies: refund:create" }
      const batch = await http("POST", "/admin/pagoefectivo/refunds/batch", staff, { batch_key: "rbac-batch-0001", items: [{ payment_id: paymentId, amount: 10 }] })
      expect(batch).toEqual({ status: 403, body: forbidden })
      expect(await http("POST", `/admin/pagoefectivo/refunds/${awaiting.refund_id}/complete`, staff, { bank_reference: "BCP-1" })).toEqual({ status: 403, body: forbidden })
      expect(await http("POST", `/admin/pagoefectivo/refunds/${awaiting.refund_id}/fail`, staff, { reason: "no" })).toEqual({ status: 403, body: forbidden })
      expect((await http("POST", "/admin/pagoefectivo/returns/return_01X/refund", staff, {})).status).toBe(403)
      expect((await http("POST", "/admin/pagoefectivo/notifications/penotif_01X/record", staff, {})).status).toBe(403)
      // the same policy as Medusa's own Refund button
      expect((await http("POST", `/admin/payments/${paymentId}/refund`, staff, { amount: 10 })).status).toBe(403)

      // nothing moved: one refund (the 20.00 awaiting a transfer), still awaiting
      expect((await sandbox.state()).counters.refundsCreated).toBe(0)
      expect((await shop.pe().listPagoEfectivoRefunds({ order_id: orderId })).map((r: any) => r.status)).toEqual(["awaiting_transfer"])
      expect(await shop.books(orderId)).toMatchObject({ medusa: 20, summary: 20 })

      // a user with no role at all cannot even read
      const nobody = await staffWith("sinrol@tienda.pe", [])
      expect((await http("GET", "/admin/pagoefectivo/attention", nobody)).status).toBe(403)
      expect((await http("GET", `/admin/pagoefectivo/orders/${orderId}`, nobody)).status).toBe(403)
    })

    it("with refund:create, the batch and manual routes answer 200", async () => {
      const { orderId, paymentId } = await shop.paidOrder()
      await sandbox.config({ refundsEnabled: false })
      expect((await shop.refund(paymentId, 20)).status).toBe(200)
      await sandbox.config({ refundsEnabled: true })
      const [awaiting] = await shop.pe().listPagoEfectivoRefunds({ order_id: orderId })

      const staff = await staffWith("tesoreria@tienda.pe", [READ, ["refund:create"]])
      const batch = await http("POST", "/admin/pagoefectivo/refunds/batch", staff, { batch_key: "rbac-batch-0002", items: [{ payment_id: paymentId, amount: 10 }] })
      expect(batch.status).toBe(200)
      expect(batch.body.items).toEqual([expect.objectContaining({ line: 1, payment_id: paymentId, status: "pending", amount: "10.00" })])
      const complete = await http("POST", `/admin/pagoefectivo/refunds/${awaiting.refund_id}/complete`, staff, { bank_reference: "BCP-778812" })
      expect(complete.status).toBe(200)
      expect(complete.body).toMatchObject({ outcome: "applied", refund: { status: "completed", bank_reference: "BCP-778812" } })
      expect((await http("POST", `/admin/payments/${paymentId}/refund`, staff, { amount: 5 })).status).toBe(200)
      expect((await sandbox.state()).counters.refundsCreated).toBe(2)
      expect(await shop.books(orderId)).toMatchObject({ medusa: 35, summary: 35 })
    })
  },
})
