import { Modules } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { type CipEmailPlan, type CipEmailResult, TRIGGERS } from "../../lib/cip-emails/plan"

export const sendCipEmailStepId = "pagoefectivo-send-cip-email"

export type SendCipEmailStepInput = Extract<CipEmailPlan, { send: true }>

/** Unique violation on the notification's idempotency key: another worker claimed this email. */
function isDuplicate(e: unknown): boolean {
  const err = e as { code?: string; message?: string; errors?: unknown[] }
  if (err?.code === "23505") return true
  if (/idempotency_key/.test(err?.message ?? "") && /already exists/.test(err?.message ?? "")) return true
  return Array.isArray(err?.errors) && err.errors.some(isDuplicate)
}

/**
 * Creates (claims) and sends the notification. No compensation: an email cannot be unsent, and
 * the notification row is what keeps it from going out twice.
 */
export const sendCipEmailStep = createStep(
  sendCipEmailStepId,
  async (plan: SendCipEmailStepInput, { container }) => {
    const notifications = container.resolve(Modules.NOTIFICATION)
    try {
      const created = await notifications.createNotifications([
        {
          to: plan.to,
          channel: "email",
          template: plan.template,
          data: plan.data,
          trigger_type: TRIGGERS[plan.data.kind],
          resource_id: plan.order_id,
          resource_type: "order",
          receiver_id: plan.receiver_id,
          idempotency_key: plan.idempotency_key,
        },
      ])
      const notification = created[0]
      return new StepResponse<CipEmailResult>(
        notification
          ? { sent: true, duplicate: false, reason: null, notification_id: notification.id }
          : { sent: false, duplicate: true, reason: "already sent", notification_id: null }
      )
    } catch (e) {
      if (isDuplicate(e)) return new StepResponse<CipEmailResult>({ sent: false, duplicate: true, reason: "being sent by another worker", notification_id: null })
      throw e
    }
  }
)
