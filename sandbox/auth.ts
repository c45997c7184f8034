/**
 * Authorization (A1): POST /v1/authorizations issues tokens for the sandbox's credentials, and
 * every other /v1 call needs a live one plus an Origin header (requireApiAuth). Tokens are
 * stateless (token.ts); revoking bumps a generation that older tokens fail.
 */
import { randomBytes } from "node:crypto"
import { authHash, authRequestSchema, CODES, formatLimaDate, ORIGINS, parseDate } from "../src/lib/pagoefectivo/wire"
import {
  apiError,
  type Ctx,
  fieldError,
  HttpError,
  invalid,
  json,
  parseJsonBody,
  type Reply,
  route,
  type Route,
  SANDBOX_CODES,
  sameText,
  SUCCESS_MESSAGE,
  validate,
} from "./http"
import type { SandboxCore } from "./state"
import { issueToken, verifyToken } from "./token"

/** A dateRequest further than this from the sandbox clock is refused (400/111, field 113). */
export const AUTH_MAX_SKEW_SECONDS = 300

export class Auth {
  private readonly tokenKey = randomBytes(32)
  private tokenGeneration = 0

  constructor(private readonly core: SandboxCore) {}

  routes(): Route[] {
    return [route("POST", "/v1/authorizations", "api", (c) => this.authorize(c))]
  }

  /** Every token issued so far answers 401 from now on. */
  revokeTokens(): void {
    this.tokenGeneration++
  }

  /** Bearer token and Origin, for every /v1 call but authorizations. */
  requireApiAuth(ctx: Ctx): void {
    const header = ctx.req.headers.authorization
    const m = typeof header === "string" ? /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header) : null
    if (!m) {
      throw new HttpError(
        apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Missing or malformed Authorization header (Bearer <token>).")
      )
    }
    const claims = verifyToken(this.tokenKey, m[1])
    if (!claims || claims.sub !== String(this.core.credentials.serviceId)) {
      throw new HttpError(apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Invalid token."))
    }
    if (claims.gen < this.tokenGeneration) {
      throw new HttpError(apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Token revoked."))
    }
    if (Date.now() >= claims.exp * 1000) {
      throw new HttpError(apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Token expired."))
    }
    const origin = ctx.req.headers.origin
    if (origin === undefined || origin === "") {
      throw new HttpError(
        invalid([fieldError("Origin", CODES.REQUIRED_FIELD, `The Origin header is required (${ORIGINS.join(", ")}).`)])
      )
    }
    if (!(ORIGINS as readonly string[]).includes(origin.toLowerCase())) {
      throw new HttpError(
        invalid([fieldError("Origin", CODES.INVALID_VALUE, `Invalid Origin header: use ${ORIGINS.join(", ")}.`)])
      )
    }
  }

  private authorize(ctx: Ctx): Reply {
    const { accessKey, secretKey, serviceId } = this.core.credentials
    const input = parseJsonBody(ctx.raw)
    const body = validate(authRequestSchema, input)
    const rawServiceId = String((input as any).idService)
    const unauthorized = () => apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Invalid credentials.")
    if (!sameText(body.accessKey, accessKey) || body.idService !== serviceId) return unauthorized()
    const expected = authHash(rawServiceId, accessKey, secretKey, body.dateRequest)
    if (!sameText(expected, body.hashString)) return unauthorized()
    const now = Date.now()
    const skew = Math.abs(parseDate(body.dateRequest).getTime() - now) / 1000
    if (skew > AUTH_MAX_SKEW_SECONDS) {
      return invalid([
        fieldError(
          "dateRequest",
          CODES.INVALID_VALUE,
          `dateRequest differs from the server clock (${formatLimaDate(new Date(now))}) by ${Math.round(skew)} s; ` +
            `at most ${AUTH_MAX_SKEW_SECONDS} s allowed.`
        ),
      ])
    }
    const iat = Math.floor(now / 1000)
    const exp = Math.floor((now + this.core.state.config.tokenTtlSeconds * 1000) / 1000)
    const token = issueToken(this.tokenKey, { sub: String(serviceId), iat, exp, gen: this.tokenGeneration })
    this.core.state.counters.authorizations++
    return json(201, {
      code: CODES.SUCCESS,
      message: SUCCESS_MESSAGE,
      data: {
        token,
        codeService: "SRV",
        tokenStart: formatLimaDate(new Date(iat * 1000)),
        tokenExpires: formatLimaDate(new Date(exp * 1000)),
      },
    })
  }
}
