import type { MedusaContainer } from "@medusajs/framework/types"
import { sendCipReminders } from "../lib/cip-emails/reminders"

/**
 * Reminds shoppers of their unpaid CIP before it expires (option cipReminderHours, default 6),
 * once per CIP. Runs every PAGOEFECTIVO_CIP_REMINDER_EVERY_MINUTES minutes (default 15; read when
 * the job loads, since Medusa fixes job schedules at boot).
 */
export default async function pagoefectivoCipRemindersJob(container: MedusaContainer) {
  await sendCipReminders(container)
}

const every = Math.min(Math.max(Number(process.env.PAGOEFECTIVO_CIP_REMINDER_EVERY_MINUTES) || 15, 1), 59)

export const config = {
  name: "pagoefectivo-cip-reminders",
  schedule: `*/${every} * * * *`,
}
