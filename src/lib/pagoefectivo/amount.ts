import type { BigNumberInput } from "@medusajs/framework/types"
import { MathBN } from "@medusajs/framework/utils"
import { WireAmount } from "./wire"

/**
 * Medusa amount (number, string, BigNumber or its raw `{ value, precision }`) → PagoEfectivo
 * amount with exactly two decimals. Never goes through a JavaScript float.
 *
 * `round: true` rounds half-up to cents (a cart total computed with taxes may carry more
 * decimals); without it, an amount with more than two decimals is refused.
 */
export function toWireAmount(amount: BigNumberInput, { round = false }: { round?: boolean } = {}): WireAmount {
  let value
  try {
    value = MathBN.convert(amount)
  } catch {
    value = undefined
  }
  if (!value || !value.isFinite()) throw new Error("the amount is not a number")
  if (value.lte(0)) throw new Error(`the amount must be above 0, got ${value.toFixed()}`)
  if (!round && (value.decimalPlaces() ?? 0) > 2) {
    throw new Error(`the amount ${value.toFixed()} has more than 2 decimals`)
  }
  const text = value.toFixed(2, 4 /* BigNumber.ROUND_HALF_UP */)
  if (text === "0.00") throw new Error(`the amount ${value.toFixed()} rounds to 0.00`)
  if (text.split(".")[0].length > 16) throw new Error(`the amount ${text} has more than 16 integer digits`)
  return new WireAmount(text)
}
