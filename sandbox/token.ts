/**
 * JWT-looking bearer tokens for the sandbox: `header.payload.signature`, base64url, HS256 with
 * a key the sandbox draws at start-up. Like PagoEfectivo's, a token is 200-205 characters long.
 * Tokens are stateless: the sandbox verifies the HMAC and the expiry, and rejects tokens of an
 * older generation (POST /__sandbox/tokens/revoke bumps the generation).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"

export const TOKEN_MIN_LENGTH = 200
export const TOKEN_MAX_LENGTH = 205

export interface TokenClaims {
  /** The service id the token was issued for. */
  sub: string
  /** Issued at, whole seconds since the epoch. */
  iat: number
  /** Expires at, whole seconds since the epoch. */
  exp: number
  jti: string
  gen: number
  /** Padding so that the token has PagoEfectivo's length. */
  pad?: string
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url")
const HEADER = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))

function encode(key: Buffer, claims: TokenClaims): string {
  const unsigned = `${HEADER}.${b64url(JSON.stringify(claims))}`
  const signature = createHmac("sha256", key).update(unsigned).digest("base64url")
  return `${unsigned}.${signature}`
}

export function issueToken(key: Buffer, claims: Omit<TokenClaims, "jti" | "pad">): string {
  const base: TokenClaims = { ...claims, jti: randomBytes(8).toString("hex") }
  let token = encode(key, base)
  for (let pad = ""; token.length < TOKEN_MIN_LENGTH; ) {
    pad += "x"
    token = encode(key, { ...base, pad })
  }
  if (token.length > TOKEN_MAX_LENGTH) {
    // Claims too long to fit: never happens with the sandbox's own claims.
    throw new Error(`token of ${token.length} characters`)
  }
  return token
}

/** The claims of a token this key signed, or null when it is malformed or forged. */
export function verifyToken(key: Buffer, token: string): TokenClaims | null {
  const parts = token.split(".")
  if (parts.length !== 3 || parts[0] !== HEADER) return null
  const expected = createHmac("sha256", key).update(`${parts[0]}.${parts[1]}`).digest()
  const given = Buffer.from(parts[2], "base64url")
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"))
    if (typeof claims?.exp !== "number" || typeof claims?.gen !== "number") return null
    return claims as TokenClaims
  } catch {
    return null
  }
}
