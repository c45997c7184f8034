import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { type BooksKey, booksOf, convergeEach } from "../../lib/books/converge"

export type ConvergeBooksInput = {
  /** The books of these refunds (their records say whose)… */
  refund_ids?: string[]
  /** …and/or these books. */
  books?: BooksKey[]
}

/**
 * Converges the books of the given refunds (or books): Medusa's Refund rows, order transactions,
 * payment collection and order summary become what the refund records say (see
 * src/lib/books/). No compensation, on purpose: it only moves Medusa's books towards the
 * facts, and running it again is harmless, so undoing it would only bring a wrong state back. For
 * the same reason it never fails the workflow it is in (which would undo the verdict's other
 * consequences): books it could not converge now (a lock held too long, a database error) are
 * reported with the error and left to the reconciliation's sweep, which finds every order whose
 * books disagree with its records.
 */
export const convergeBooksStep = createStep("pagoefectivo-converge-books", async (input: ConvergeBooksInput, { container }) => {
  const books = [...(input.books ?? [])]
  if (input.refund_ids?.length) {
    const records = await container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).ledger().getMany(input.refund_ids)
    books.push(...booksOf(records))
  }
  return new StepResponse(await convergeEach(container, booksOf(books)))
})
