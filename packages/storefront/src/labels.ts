import type { PagoEfectivoCipStatus } from "../../../src/lib/cip/read"
import type { VoucherLocale } from "../../../src/lib/cip/format"

/** Every text the voucher shows; pass `labels` to the component to change any of them. */
export type VoucherLabels = {
  title: string
  codeLabel: string
  copy: string
  copied: string
  amount: string
  amountPaid: string
  expires: string
  limaTime: string
  timeLeft: string
  status: string
  statuses: Record<PagoEfectivoCipStatus, string>
  paidMessage: string
  expiredMessage: string
  canceledMessage: string
  /** Shown while unpaid when the store emails the CIP (the status route's `cip_emails`). */
  emailNotice: string
  /** An expired CIP the store renews: shown instead of expiredMessage, above the button. */
  renewableMessage: string
  renew: string
  renewing: string
  qrAlt: string
  voucherLink: string
  howToPay: string
  steps: string[]
}

export const VOUCHER_LABELS: Record<VoucherLocale, VoucherLabels> = {
  es: {
    title: "Paga con PagoEfectivo",
    codeLabel: "Código de pago (CIP)",
    copy: "Copiar",
    copied: "¡Copiado!",
    amount: "Monto a pagar",
    amountPaid: "Monto pagado",
    expires: "Vence el",
    limaTime: "hora de Lima",
    timeLeft: "Tiempo restante",
    status: "Estado",
    statuses: { pending: "Pendiente de pago", paid: "Pagado", expired: "Vencido", canceled: "Anulado" },
    paidMessage: "¡Recibimos tu pago! Tu pedido está confirmado.",
    expiredMessage: "Este código venció sin pagarse. Haz tu pedido de nuevo para obtener otro.",
    canceledMessage: "Este código fue anulado.",
    emailNotice: "También te enviamos este código por correo.",
    renewableMessage: "Este código venció sin pagarse. Tu pedido sigue reservado: obtén un nuevo código para pagarlo.",
    renew: "Obtener un nuevo código",
    renewing: "Generando un nuevo código…",
    qrAlt: "Código QR de la orden de pago",
    voucherLink: "Ver la orden de pago de PagoEfectivo",
    howToPay: "Cómo pagar",
    steps: [
      "En efectivo: en un agente o bodega (BCP, BBVA, Interbank, Scotiabank, Kasnet, Western Union…), di que pagas a PagoEfectivo y da tu código CIP.",
      "Por banca por internet o app móvil: entra a tu banco, elige Pago de servicios › PagoEfectivo › PagoEfectivo Soles (o Dólares) e ingresa tu código CIP.",
      "Paga el monto exacto antes de la fecha de vencimiento.",
    ],
  },
  en: {
    title: "Pay with PagoEfectivo",
    codeLabel: "Payment code (CIP)",
    copy: "Copy",
    copied: "Copied!",
    amount: "Amount to pay",
    amountPaid: "Amount paid",
    expires: "Expires on",
    limaTime: "Lima time",
    timeLeft: "Time left",
    status: "Status",
    statuses: { pending: "Awaiting payment", paid: "Paid", expired: "Expired", canceled: "Canceled" },
    paidMessage: "We received your payment! Your order is confirmed.",
    expiredMessage: "This code expired unpaid. Place your order again to get a new one.",
    canceledMessage: "This code was canceled.",
    emailNotice: "We also emailed you this code.",
    renewableMessage: "This code expired unpaid. Your order is still held: get a new code to pay it.",
    renew: "Get a new code",
    renewing: "Getting a new code…",
    qrAlt: "QR code of the payment voucher",
    voucherLink: "Open the PagoEfectivo payment voucher",
    howToPay: "How to pay",
    steps: [
      "In cash: at an agent or corner shop (BCP, BBVA, Interbank, Scotiabank, Kasnet, Western Union…), say you are paying PagoEfectivo and give your CIP code.",
      "In online or mobile banking: open your bank, choose Pay services › PagoEfectivo › PagoEfectivo Soles (or Dollars) and enter your CIP code.",
      "Pay the exact amount before the expiry date.",
    ],
  },
}
