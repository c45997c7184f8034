/**
 * The development and test store. It loads the plugin straight from src/: the payment provider
 * under the Payment module (Medusa's id: pp_pagoefectivo_pagoefectivo) and the plugin's own
 * `pagoefectivo` module; src/api, src/subscribers, src/jobs and src/admin load as the app's own.
 *
 * With no PAGOEFECTIVO_* variables set it talks to the bundled sandbox (`npm run sandbox`) at
 * http://localhost:4010/v1 with the sandbox's demo credentials.
 */
import { defineConfig, loadEnv } from "@medusajs/framework/utils"

loadEnv(process.env.NODE_ENV || "development", process.cwd())

const env = process.env

/** One options object for the provider and the plugin module (see README.md, "Configuration"). */
const pagoefectivo = {
  accessKey: env.PAGOEFECTIVO_ACCESS_KEY ?? "SANDBOXACCESSKEY0001",
  secretKey: env.PAGOEFECTIVO_SECRET_KEY ?? "sandbox-secret-key-0123456789abcdefghijk",
  serviceId: env.PAGOEFECTIVO_SERVICE_ID ?? "1234",
  environment: env.PAGOEFECTIVO_ENVIRONMENT,
  baseUrl: env.PAGOEFECTIVO_BASE_URL ?? (env.PAGOEFECTIVO_ENVIRONMENT ? undefined : "http://localhost:4010/v1"),
  cipExpiryHours: env.PAGOEFECTIVO_CIP_EXPIRY_HOURS,
  refundWindowDays: env.PAGOEFECTIVO_REFUND_WINDOW_DAYS,
  requestTimeoutMs: env.PAGOEFECTIVO_REQUEST_TIMEOUT_MS,
  connectTimeoutMs: env.PAGOEFECTIVO_CONNECT_TIMEOUT_MS,
  maxRetries: env.PAGOEFECTIVO_MAX_RETRIES,
  refundCallLeaseSeconds: env.PAGOEFECTIVO_REFUND_CALL_LEASE_SECONDS,
  duplicateRefundGuardSeconds: env.PAGOEFECTIVO_DUPLICATE_REFUND_GUARD_SECONDS,
  reconcileAfterMinutes: env.PAGOEFECTIVO_RECONCILE_AFTER_MINUTES,
  refundMode: env.PAGOEFECTIVO_REFUND_MODE,
  manualRefundFallback: env.PAGOEFECTIVO_MANUAL_REFUND_FALLBACK,
  autoRefundOnReturn: env.PAGOEFECTIVO_AUTO_REFUND_ON_RETURN,
  recordOutsideRefunds: env.PAGOEFECTIVO_RECORD_OUTSIDE_REFUNDS,
  cipEmails: env.PAGOEFECTIVO_CIP_EMAILS,
  cipEmailTemplate: env.PAGOEFECTIVO_CIP_EMAIL_TEMPLATE,
  cipReminderTemplate: env.PAGOEFECTIVO_CIP_REMINDER_TEMPLATE,
  cipReminderHours: env.PAGOEFECTIVO_CIP_REMINDER_HOURS,
  renewExpiredCip: env.PAGOEFECTIVO_RENEW_EXPIRED_CIP,
  maxCipRenewals: env.PAGOEFECTIVO_MAX_CIP_RENEWALS,
  cipRenewedTemplate: env.PAGOEFECTIVO_CIP_RENEWED_TEMPLATE,
  notificationConcurrency: env.PAGOEFECTIVO_NOTIFICATION_CONCURRENCY,
}

/**
 * Medusa's Notification module as it comes (the local provider on the admin's "feed" channel),
 * plus an email provider when PAGOEFECTIVO_DEV_EMAIL names one: "local" writes each email to the
 * log (`npm run demo`), anything else is a provider module's path (the email spec's recorder).
 * Without it no email provider exists, and the plugin says so once at boot.
 */
const devEmail = env.PAGOEFECTIVO_DEV_EMAIL
const notificationModules = devEmail
  ? [
      {
        resolve: "@medusajs/medusa/notification",
        options: {
          providers: [
            { resolve: "@medusajs/medusa/notification-local", id: "local", options: { name: "Local Notification Provider", channels: ["feed"] } },
            devEmail === "local"
              ? { resolve: "@medusajs/medusa/notification-local", id: "local-email", options: { name: "Email to the log", channels: ["email"] } }
              : { resolve: devEmail, id: "dev-email", options: { channels: ["email"] } },
          ],
        },
      },
    ]
  : []

/**
 * With REDIS_URL set, the store runs as it would on several instances: Redis event bus, workflow
 * engine and locking (the multi-instance spec starts two processes this way).
 */
const redisModules = env.REDIS_URL
  ? [
      { resolve: "@medusajs/medusa/event-bus-redis", options: { redisUrl: env.REDIS_URL } },
      { resolve: "@medusajs/medusa/workflow-engine-redis", options: { redis: { redisUrl: env.REDIS_URL } } },
      {
        resolve: "@medusajs/medusa/locking",
        options: {
          providers: [
            { resolve: "@medusajs/medusa/locking-redis", id: "locking-redis", is_default: true, options: { redisUrl: env.REDIS_URL } },
          ],
        },
      },
    ]
  : []

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    http: {
      storeCors: env.STORE_CORS ?? "http://localhost:8000",
      adminCors: env.ADMIN_CORS ?? "http://localhost:9000",
      authCors: env.AUTH_CORS ?? "http://localhost:9000,http://localhost:8000",
      jwtSecret: env.JWT_SECRET ?? "supersecret",
      cookieSecret: env.COOKIE_SECRET ?? "supersecret",
    },
  },
  admin: {
    disable: env.MEDUSA_ADMIN_DISABLED === "true",
  },
  modules: [
    {
      resolve: "@medusajs/medusa/payment",
      options: {
        providers: [{ resolve: "./src/providers/pagoefectivo", id: "pagoefectivo", options: pagoefectivo }],
      },
    },
    { resolve: "./src/modules/pagoefectivo", options: pagoefectivo },
    ...redisModules,
    ...notificationModules,
    ...(env.MEDUSA_FF_RBAC === "true" ? [{ resolve: "@medusajs/medusa/rbac" }] : []),
  ],
})
