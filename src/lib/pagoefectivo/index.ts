export * from "./wire"
export * from "./errors"
export * from "./client"
