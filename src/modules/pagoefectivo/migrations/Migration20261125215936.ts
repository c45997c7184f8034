import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261125215936 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "pagoefectivo_refund" drop constraint if exists "pagoefectivo_refund_refund_id_unique";`);
    this.addSql(`alter table if exists "pagoefectivo_notification" drop constraint if exists "pagoefectivo_notification_key_unique";`);
    this.addSql(`create table if not exists "pagoefectivo_notification" ("id" text not null, "key" text not null, "event_type" text not null, "operation_number" text null, "cip" text null, "refund_id" text null, "payload" jsonb not null, "status" text check ("status" in ('received', 'processed', 'failed', 'ignored', 'unmatched', 'anomaly', 'deferred')) not null default 'received', "error" text null, "deliveries" integer not null default 1, "processed_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "pagoefectivo_notification_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_notification_deleted_at" ON "pagoefectivo_notification" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_pagoefectivo_notification_key_unique" ON "pagoefectivo_notification" ("key") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_notification_status" ON "pagoefectivo_notification" ("status") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_notification_refund_id" ON "pagoefectivo_notification" ("refund_id") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "pagoefectivo_refund" ("id" text not null, "refund_id" text not null, "payment_id" text null, "payment_session_id" text null, "payment_collection_id" text null, "order_id" text null, "merchant_order_id" text not null, "cip" text not null, "transaction_code" text not null, "amount" numeric not null, "currency_code" text not null, "status" text check ("status" in ('requested', 'pending', 'verifying', 'completed', 'rejected', 'failed')) not null default 'requested', "reason" text null, "reference_id" text null, "trace_id" text null, "correlation_id" text null, "failure_code" text null, "failure_reason" text null, "attempts" jsonb null, "requested_at" timestamptz not null, "settled_at" timestamptz null, "reversed_at" timestamptz null, "reversal_note" text null, "anomaly" text null, "raw_amount" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "pagoefectivo_refund_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_deleted_at" ON "pagoefectivo_refund" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_refund_id_unique" ON "pagoefectivo_refund" ("refund_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_status" ON "pagoefectivo_refund" ("status") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_cip" ON "pagoefectivo_refund" ("cip") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_payment_id" ON "pagoefectivo_refund" ("payment_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_order_id" ON "pagoefectivo_refund" ("order_id") WHERE deleted_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pagoefectivo_notification" cascade;`);

    this.addSql(`drop table if exists "pagoefectivo_refund" cascade;`);
  }

}
