import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261207123121 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "pagoefectivo_cip" drop constraint if exists "pagoefectivo_cip_refund_id_unique";`);
    this.addSql(`alter table if exists "pagoefectivo_cip" drop constraint if exists "pagoefectivo_cip_cip_unique";`);
    this.addSql(`create table if not exists "pagoefectivo_cip" ("id" text not null, "cip" text not null, "order_id" text not null, "payment_collection_id" text not null, "session_id" text not null, "sequence" integer not null, "amount" text not null, "currency_code" text not null, "cip_url" text null, "issued_at" timestamptz null, "date_expiry" timestamptz null, "status" text check ("status" in ('pending', 'expired', 'paid', 'overpaid')) not null default 'pending', "renewed_by" text null, "replaced_at" timestamptz null, "expired_at" timestamptz null, "paid_at" timestamptz null, "refund_id" text null, "refund_status" text check ("refund_status" in ('requested', 'pending', 'completed', 'rejected', 'failed')) null, "refund_reference" text null, "refund_error" text null, "refunded_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "pagoefectivo_cip_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_cip_deleted_at" ON "pagoefectivo_cip" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_pagoefectivo_cip_cip_unique" ON "pagoefectivo_cip" ("cip") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_pagoefectivo_cip_order_id" ON "pagoefectivo_cip" ("order_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_pagoefectivo_cip_refund_id_unique" ON "pagoefectivo_cip" ("refund_id") WHERE deleted_at IS NULL AND refund_id IS NOT NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pagoefectivo_cip" cascade;`);
  }

}
