import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261126003338 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "pagoefectivo_refund_request" drop constraint if exists "pagoefectivo_refund_request_key_unique";`);
    this.addSql(`alter table if exists "pagoefectivo_refund_batch" drop constraint if exists "pagoefectivo_refund_batch_batch_key_unique";`);
    this.addSql(`create table if not exists "pagoefectivo_refund_batch" ("id" text not null, "batch_key" text not null, "items_hash" text not null, "item_count" integer not null, "created_by" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "pagoefectivo_refund_batch_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_batch_deleted_at" ON "pagoefectivo_refund_batch" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_batch_batch_key_unique" ON "pagoefectivo_refund_batch" ("batch_key") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "pagoefectivo_refund_request" ("id" text not null, "key" text not null, "source" text check ("source" in ('return', 'batch')) not null, "batch_key" text null, "line" integer null, "return_id" text null, "order_id" text null, "payment_id" text null, "requested_amount" text null, "amount" text null, "currency_code" text null, "reason" text null, "status" text check ("status" in ('running', 'ok', 'pending', 'error', 'skipped')) not null default 'running', "refund_id" text null, "message" text null, "tries" integer not null default 0, "started_at" timestamptz null, "finished_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "pagoefectivo_refund_request_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_request_deleted_at" ON "pagoefectivo_refund_request" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_request_key_unique" ON "pagoefectivo_refund_request" ("key") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_request_batch_key" ON "pagoefectivo_refund_request" ("batch_key") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_request_return_id" ON "pagoefectivo_refund_request" ("return_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_request_order_id" ON "pagoefectivo_refund_request" ("order_id") WHERE deleted_at IS NULL;`);

    this.addSql(`alter table if exists "pagoefectivo_refund" drop constraint if exists "pagoefectivo_refund_status_check";`);

    this.addSql(`alter table if exists "pagoefectivo_refund" add column if not exists "bank_reference" text null, add column if not exists "settled_by" text null;`);
    this.addSql(`alter table if exists "pagoefectivo_refund" add constraint "pagoefectivo_refund_status_check" check("status" in ('requested', 'pending', 'verifying', 'awaiting_transfer', 'completed', 'rejected', 'failed'));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_refund_requested_at" ON "pagoefectivo_refund" ("requested_at") WHERE deleted_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pagoefectivo_refund_batch" cascade;`);

    this.addSql(`drop table if exists "pagoefectivo_refund_request" cascade;`);

    this.addSql(`alter table if exists "pagoefectivo_refund" drop constraint if exists "pagoefectivo_refund_status_check";`);

    this.addSql(`drop index if exists "IDX_pagoefectivo_refund_requested_at";`);
    this.addSql(`alter table if exists "pagoefectivo_refund" drop column if exists "bank_reference", drop column if exists "settled_by";`);

    this.addSql(`alter table if exists "pagoefectivo_refund" add constraint "pagoefectivo_refund_status_check" check("status" in ('requested', 'pending', 'verifying', 'completed', 'rejected', 'failed'));`);
  }

}
